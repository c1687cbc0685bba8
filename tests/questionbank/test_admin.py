import pytest
from django.urls import reverse

from questionbank.models import Question
from similarity.models import DuplicateFlag
from tests.factories import make_bank, make_question, make_reviewer

pytestmark = pytest.mark.django_db


@pytest.fixture
def flag(bank, teacher):
    make_question(bank=bank, author=teacher, stem="What is osmosis?", options=["Water", "Salt"])
    make_question(
        bank=bank, author=teacher, stem="what is osmosis", options=["Salt", "Water"], answer=1
    )
    return DuplicateFlag.objects.get()


def test_admin_lists_only_the_reviewers_banks(client, flag):
    outsider = make_reviewer("chemistry-reviewer")
    make_bank("Chemistry", members=[outsider])
    client.force_login(outsider)

    flags = client.get(reverse("admin:similarity_duplicateflag_changelist"))
    questions = client.get(reverse("admin:questionbank_question_changelist"))
    change = client.get(reverse("admin:similarity_duplicateflag_change", args=[flag.pk]))

    assert flags.status_code == 200
    assert list(flags.context["cl"].queryset) == []
    assert list(questions.context["cl"].queryset) == []
    # Django's admin answers a row outside the queryset by redirecting away.
    assert change.status_code == 302
    flag.refresh_from_db()
    assert flag.status == "open"


def test_admin_side_by_side_marks_the_correct_options(client, reviewer, flag):
    client.force_login(reviewer)

    response = client.get(reverse("admin:similarity_duplicateflag_change", args=[flag.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.count("<li><strong>Water</strong> (correct)</li>") == 2


def test_admin_question_edit_with_bad_input_shows_the_error(client, bank, teacher):
    from django.contrib.auth import get_user_model

    admin_user = get_user_model().objects.create_superuser("root", password="root-password")
    question = make_question(bank=bank, author=teacher, stem="What is a cell?", options=None)
    client.force_login(admin_user)
    url = reverse("admin:questionbank_question_change", args=[question.pk])

    response = client.post(
        url,
        {
            "bank": bank.pk,
            "author": teacher.pk,
            "stem": "What is a cell?",
            "options": '["only one"]',
            "answer_index": "0",
            "answer_text": "",
            "source": "",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["options"] == [
        "A multiple-choice question needs at least two options."
    ]
    assert Question.objects.get(pk=question.pk).options == []
