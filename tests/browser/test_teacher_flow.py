"""A teacher and a reviewer in a real browser, with the real worker behind the server."""

import os
import socket
from contextlib import contextmanager

import pytest
from selenium.common.exceptions import NoAlertPresentException

from questionbank.celery import app
from questionbank.models import EmbeddingStatus, Question
from similarity.models import DuplicateFlag, FlagStatus
from similarity.services import questions_embed
from tests.factories import make_question
from tests.helpers import wait_for

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("empty_queue", "celery_worker_process"),
]

ORIGINAL = "Which organelle is known as the powerhouse of the cell?"
PARAPHRASE = "What part of the cell is called its powerhouse?"
OPTIONS = ["Mitochondrion", "Ribosome", "Nucleus", "Golgi apparatus"]
XSS = "<script>alert(1)</script> Which gas do plants take in for photosynthesis?"
SCREENSHOT = "/tmp/qb-detail.png"


@contextmanager
def worker_holding_tasks():
    """Keep new tasks in the queue, so the page is seen before the check is done.

    Without this the worker can finish a check before the browser has even
    rendered the page that says it is running.
    """
    worker = [f"test-{os.getpid()}@{socket.gethostname()}"]  # the name conftest gives it
    queue = app.conf.task_default_queue
    assert app.control.cancel_consumer(queue, destination=worker, reply=True, timeout=10)
    try:
        yield
    finally:
        assert app.control.add_consumer(queue, destination=worker, reply=True, timeout=10)


def enter_question(browser, *, stem: str, options=(), correct: int | None = None, answer=""):
    browser.open("/")
    browser.find("#id_stem").send_keys(stem)
    for number, option in enumerate(options, start=1):
        browser.find(f"#id_option_{number}").send_keys(option)
    if correct is not None:
        browser.find(f"input[name=correct][value='{correct}']").click()
    if answer:
        browser.find("#id_answer_text").send_keys(answer)
    browser.find(".question-form button[type=submit]").click()


def wait_until_checked(question, worker, *, timeout: float = 90) -> None:
    def checked() -> bool:
        return Question.objects.filter(
            pk=question.pk, embedding_status=EmbeddingStatus.READY
        ).exists()

    try:
        wait_for(checked, timeout=timeout)
    except AssertionError:
        raise AssertionError(
            f"question {question.pk} not checked within {timeout:.0f} s; "
            f"the worker's log ends:\n{worker.log()[-4000:]}"
        ) from None


def assert_no_alert(browser) -> None:
    with pytest.raises(NoAlertPresentException):
        browser.driver.switch_to.alert  # noqa: B018 - reading it is the check


def test_paraphrase_is_shown_as_a_duplicate_and_a_reviewer_confirms_it(
    browser, celery_worker_process, teacher, reviewer, bank
):
    original = make_question(bank=bank, author=teacher, stem=ORIGINAL, options=OPTIONS, answer=0)
    questions_embed(question_ids=[original.pk])

    browser.sign_in("teacher", "teacher-password")
    with worker_holding_tasks():
        enter_question(browser, stem=PARAPHRASE, options=OPTIONS, correct=1)
        browser.wait_for_text("Checking for duplicates")
        paraphrase = Question.objects.get(stem=PARAPHRASE)
        assert browser.path() == f"/questions/{paraphrase.pk}/"
        assert paraphrase.embedding_status == EmbeddingStatus.PENDING
        assert paraphrase.answer_index == 0

    # The worker checks it now; the page notices and reloads by itself.
    wait_until_checked(paraphrase, celery_worker_process)
    browser.wait_for_text("Likely duplicates (1)")
    assert "Checking for duplicates" not in browser.text()
    assert "Similar but different" not in browser.text()
    link = browser.find(f".related.duplicate a[href='/questions/{original.pk}/']")
    score = browser.find(".related.duplicate .score").text
    assert score.endswith("%") and 50 <= int(score[:-1]) <= 100
    assert ORIGINAL in browser.find(".related.duplicate .related-stem").text
    browser.driver.save_screenshot(SCREENSHOT)

    link.click()
    browser.wait_for_path(f"/questions/{original.pk}/")
    assert browser.find(".stem").text == ORIGINAL
    assert browser.console_errors() == []

    browser.sign_out()
    browser.sign_in("reviewer", "reviewer-password")
    browser.open("/review/")
    flag = DuplicateFlag.objects.get(question=paraphrase, original=original)
    pair = browser.find(f"#flag-{flag.pk}")
    assert PARAPHRASE in pair.text and ORIGINAL in pair.text
    browser.find(f"#flag-{flag.pk} button[value=confirmed]").click()
    browser.wait_for_text(f"Flag {flag.pk} confirmed as a duplicate.")

    flag.refresh_from_db()
    assert flag.status == FlagStatus.CONFIRMED
    assert flag.decided_by == reviewer
    assert flag.decided_at is not None
    browser.open("/review/?tab=decided")
    assert "Confirmed by reviewer" in browser.find(f"#flag-{flag.pk}").text


def test_script_in_a_question_is_shown_as_text(browser, teacher, reviewer, bank):
    make_question(bank=bank, author=teacher, stem=XSS)

    browser.sign_in("teacher", "teacher-password")
    enter_question(browser, stem=XSS, answer="Carbon dioxide")
    browser.wait_for_text("Question saved.")
    assert_no_alert(browser)
    assert browser.find(".card .stem").text == XSS
    assert "Likely duplicates (1)" in browser.text()  # the exact copy, found at save time

    browser.open("/")
    assert_no_alert(browser)
    assert browser.text().count("<script>alert(1)</script>") == 2

    browser.sign_out()
    browser.sign_in("reviewer", "reviewer-password")
    browser.open("/review/")
    assert_no_alert(browser)
    assert [stem.text for stem in browser.find_all(".pair .stem")] == [XSS, XSS]
    assert browser.console_errors() == []
