"""The save → worker → flag path against the real Redis, PostgreSQL and model."""

import threading

import pytest
from django.db import close_old_connections, transaction

from questionbank.models import EmbeddingStatus, Question
from questionbank.services import question_bulk_create, question_create
from similarity.models import DuplicateFlag
from similarity.tasks import embed_questions
from tests.factories import make_bank
from tests.helpers import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("empty_queue")]


@pytest.fixture
def bank(teacher):
    return make_bank("Biology", members=[teacher])


def all_ready(ids) -> bool:
    return Question.objects.filter(
        pk__in=ids, embedding_status=EmbeddingStatus.READY
    ).count() == len(ids)


def test_saved_paraphrase_is_flagged_by_the_worker(celery_worker_process, bank, teacher):
    original = question_create(
        bank=bank, author=teacher, stem="Which organelle is known as the powerhouse of the cell?"
    ).question
    wait_for(lambda: all_ready([original.pk]))
    paraphrase = question_create(
        bank=bank, author=teacher, stem="What part of the cell is called its powerhouse?"
    ).question

    wait_for(lambda: all_ready([paraphrase.pk]))

    flag = DuplicateFlag.objects.get()
    assert (flag.question_id, flag.original_id) == (paraphrase.pk, original.pk)
    assert flag.kind == "semantic"
    assert flag.label == "duplicate"
    assert flag.status == "open"
    paraphrase.refresh_from_db()
    assert paraphrase.embedding_model == "all-MiniLM-L6-v2"
    assert len(paraphrase.embedding) == 384
    assert paraphrase.truncated is False


def test_task_picked_up_before_commit_never_sees_a_missing_row(
    celery_worker_process, bank, teacher
):
    with transaction.atomic():
        question = question_create(bank=bank, author=teacher, stem="What is osmosis?").question
        # A task that reaches the worker while the row is uncommitted finds
        # nothing to do and must not fail or mark anything.
        result = embed_questions.apply_async(args=[[question.pk]])
        assert result.id
        wait_for(lambda: f"Task similarity.tasks.embed_questions[{result.id}] succeeded"
                 in celery_worker_process.log())  # fmt: skip

    wait_for(lambda: all_ready([question.pk]))
    assert "Traceback" not in celery_worker_process.log()


def test_rolled_back_question_queues_nothing(celery_worker_process, bank, teacher, redis_client):
    with pytest.raises(RuntimeError), transaction.atomic():
        question_create(bank=bank, author=teacher, stem="What is diffusion?")
        raise RuntimeError("abort")

    assert Question.objects.count() == 0
    assert redis_client.llen("celery") == 0


def test_bulk_import_of_500_gets_every_question_embedded_and_checked(
    celery_worker_process, bank, teacher
):
    items = [
        {"stem": f"Which enzyme number {n} breaks down substrate {n * 7} in the gut?"}
        for n in range(499)
    ]
    items.append({"stem": "Which enzyme number 0 breaks down substrate 0 in the gut ?"})

    questions = question_bulk_create(bank=bank, author=teacher, items=items)

    ids = [q.pk for q in questions]
    wait_for(lambda: all_ready(ids), timeout=240)
    assert Question.objects.filter(pk__in=ids, embedded_at__isnull=True).count() == 0
    # The last item repeats the first one but for spacing: found without the model.
    assert DuplicateFlag.objects.filter(kind="exact", question=questions[-1]).count() == 1


def test_fifty_tasks_at_once_finish_under_prefork_without_fork_warnings(
    celery_worker_process, bank, teacher
):
    ids = []
    for n in range(50):
        ids.append(
            question_create(
                bank=bank, author=teacher, stem=f"What is the atomic mass of isotope {n}?"
            ).question.pk
        )

    wait_for(lambda: all_ready(ids), timeout=180)
    log = celery_worker_process.log()
    assert "huggingface/tokenizers" not in log
    assert "TOKENIZERS_PARALLELISM" not in log


def test_concurrent_paraphrases_are_flagged_exactly_once(celery_worker_process, bank, teacher):
    texts = ["Which planet is closest to the Sun?", "Name the planet nearest to the Sun."]
    created = []
    barrier = threading.Barrier(2)

    def submit(text):
        close_old_connections()
        barrier.wait()
        created.append(question_create(bank=bank, author=teacher, stem=text).question.pk)
        close_old_connections()

    threads = [threading.Thread(target=submit, args=(text,)) for text in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    wait_for(lambda: all_ready(created))
    flags = DuplicateFlag.objects.all()
    assert flags.count() == 1
    assert {flags[0].question_id, flags[0].original_id} == set(created)
