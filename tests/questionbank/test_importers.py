import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from questionbank.importers import DEMO_FILE, demo_bank_load, read_jsonl
from questionbank.models import Bank, EmbeddingStatus, Question

pytestmark = pytest.mark.django_db


def write_jsonl(path, items):
    path.write_text("\n".join(json.dumps(item) for item in items) + "\n", encoding="utf-8")
    return path


def test_bundled_demo_bank_is_valid_and_names_its_sources():
    items = read_jsonl(DEMO_FILE)

    assert len(items) == 4278
    assert {item["bank"] for item in items} >= {"Biology", "Chemistry", "Economics"}
    assert all(item["source"].startswith(("MMLU ", "AI2 science ")) for item in items)


def test_demo_load_creates_users_banks_and_pending_questions_once(
    tmp_path, django_capture_on_commit_callbacks
):
    path = write_jsonl(
        tmp_path / "demo.jsonl",
        [
            {"bank": "Biology", "stem": "What is a cell?", "options": ["a", "b"], "answer": 0,
             "source": "MMLU test #1"},
            {"bank": "Physics", "stem": "What is a force?", "options": None, "answer": "push",
             "source": "MMLU test #2"},
        ],
    )  # fmt: skip

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = demo_bank_load(path=path)
    second = demo_bank_load(path=path)

    assert (first, second) == (2, 0)
    assert Question.objects.filter(embedding_status=EmbeddingStatus.PENDING).count() == 2
    assert len(callbacks) == 2  # one queued batch per bank
    teacher = get_user_model().objects.get(username="teacher")
    assert set(teacher.banks.values_list("name", flat=True)) == {"Biology", "Physics"}
    assert teacher.check_password("teacher-demo")
    # The demo questions are not the teacher's own.
    assert not Question.objects.filter(author=teacher).exists()
    assert get_user_model().objects.get(username="demo-import").is_active is False
    reviewer = get_user_model().objects.get(username="reviewer")
    assert reviewer.has_perm("similarity.change_duplicateflag")


def test_import_command_is_all_or_nothing(tmp_path):
    path = write_jsonl(tmp_path / "bad.jsonl", [{"stem": "What is a mole?"}, {"stem": "<p> </p>"}])

    with pytest.raises(CommandError, match=r"nothing imported: .*questions\[1\]"):
        call_command("import_questions", str(path), "--bank", "Chemistry")

    assert Question.objects.count() == 0
    assert not Bank.objects.filter(name="Chemistry").exists()


def test_import_command_reports_bad_json_with_its_line(tmp_path):
    path = tmp_path / "broken.jsonl"
    path.write_text('{"stem": "What is a mole?"}\n{"stem": \n', encoding="utf-8")

    with pytest.raises(CommandError, match=r"broken.jsonl:2: not valid JSON"):
        call_command("import_questions", str(path), "--bank", "Chemistry")

    assert Question.objects.count() == 0


def test_import_command_stores_into_the_named_bank(tmp_path, capsys):
    path = write_jsonl(tmp_path / "ok.jsonl", [{"stem": "What is a mole?"}])

    call_command("import_questions", str(path), "--bank", "Chemistry")

    assert Question.objects.get().bank.name == "Chemistry"
    assert "Imported 1 questions" in capsys.readouterr().out
