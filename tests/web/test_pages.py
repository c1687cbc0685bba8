"""The teacher and reviewer pages through Django's test client."""

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils.html import escape

from questionbank.models import EmbeddingStatus, Question
from similarity.models import DuplicateFlag, FlagStatus
from similarity.selectors import Match
from similarity.services import flags_write, questions_embed, questions_mark_failed
from similarity.types import Verdict
from tests.factories import make_bank, make_question, make_user

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script> Which gas do plants absorb?"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt; Which gas do plants absorb?"


@pytest.fixture
def teacher_client(client, teacher):
    client.force_login(teacher)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


def form_data(bank, **fields) -> dict:
    data = {"bank": bank.pk, "stem": "", "answer_text": "", "token": "a" * 32}
    data.update({f"option_{n}": "" for n in range(1, 7)})
    data.update(fields)
    return data


def flag_between(newer, older, *, label: str, score: float, reasons=("similar wording",)):
    verdict = Verdict(label, score, score, tuple(reasons))
    flags_write(question=newer, matches=[Match(older, verdict, exact=False)])
    return DuplicateFlag.objects.get(question=newer, original=older)


def field_errors(response, field: str) -> list[str]:
    return response.context["form"].errors.get(field, [])


# Signing in and out


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"


def test_teacher_signs_in_and_out(client, teacher):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content

    response = client.post(
        reverse("login"), {"username": "teacher", "password": "teacher-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200

    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_is_refused_with_a_message(client, teacher):
    response = client.post(reverse("login"), {"username": "teacher", "password": "nope"})

    assert response.status_code == 200
    assert b"Please enter a correct username and password" in response.content
    assert "_auth_user_id" not in client.session


# The question form


def test_home_shows_the_form_and_the_teachers_recent_questions(teacher_client, teacher, bank):
    other_bank = make_bank("Chemistry", members=[teacher])
    mine = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    make_question(bank=bank, author=make_user(), stem="What is diffusion?")
    make_question(bank=other_bank, author=teacher, stem="What is a covalent bond?")

    response = teacher_client.get(reverse("home"), {"bank": bank.pk})

    assert response.status_code == 200
    assert [q.pk for q in response.context["recent"]] == [mine.pk]
    content = response.content.decode()
    assert "Your recent questions in Biology" in content
    assert f'href="/questions/{mine.pk}/"' in content
    assert "checking…" in content
    assert 'name="stem"' in content
    assert content.count('type="radio" name="correct"') == 6
    assert "Chemistry" in content  # offered in the bank choice and the switch


def test_teacher_without_a_bank_is_told_so(client):
    client.force_login(make_user())

    response = client.get(reverse("home"))

    assert response.status_code == 200
    assert b"You are not a member of any question bank" in response.content
    assert b'name="stem"' not in response.content


@pytest.mark.parametrize(
    ("stem", "message"),
    [
        ("", "Enter the question text."),
        ("   ", "Enter the question text."),
        ("\n\t", "Enter the question text."),
        ("?", "The question text needs at least one letter or digit."),
        ("<p></p>", "The question text needs at least one letter or digit."),
    ],
)
def test_stem_without_content_is_refused_beside_the_field(
    teacher_client, bank, django_capture_on_commit_callbacks, stem, message
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = teacher_client.post(reverse("home"), form_data(bank, stem=stem))

    assert response.status_code == 200
    assert field_errors(response, "stem") == [message]
    assert message in response.content.decode()
    assert Question.objects.count() == 0
    assert callbacks == []


def test_refused_input_is_kept_in_the_form(teacher_client, bank):
    data = form_data(bank, stem="<p></p>", option_1="Mitochondrion", option_2="Ribosome")

    response = teacher_client.post(reverse("home"), data)

    content = response.content.decode()
    assert "&lt;p&gt;&lt;/p&gt;</textarea>" in content
    assert 'value="Mitochondrion"' in content
    assert 'value="Ribosome"' in content
    assert Question.objects.count() == 0


def test_oversized_stem_is_refused_naming_the_limit(
    teacher_client, bank, django_capture_on_commit_callbacks
):
    limit = settings.QUESTIONBANK["MAX_STEM_CHARS"]

    with django_capture_on_commit_callbacks() as callbacks:
        response = teacher_client.post(reverse("home"), form_data(bank, stem="x" * (limit + 1)))

    message = f"The question text is {limit + 1:,} characters long; the limit is {limit:,}."
    assert field_errors(response, "stem") == [message]
    assert message in response.content.decode()
    assert Question.objects.count() == 0
    assert callbacks == []


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"option_1": "Mitochondrion"},
            "options",
            "A multiple-choice question needs at least two options.",
        ),
        (
            {"option_1": "A", "option_2": "B"},
            "correct",
            "Choose which option is the correct answer.",
        ),
        (
            {"option_1": "A", "option_2": "B", "correct": "3"},
            "correct",
            "Option 3, marked as correct, is empty.",
        ),
        (
            {"option_1": "Mitochondrion", "option_2": " Mitochondrion ", "correct": "1"},
            "options",
            "The option 'Mitochondrion' appears twice.",
        ),
        (
            {"option_1": "A", "option_2": "B", "correct": "1", "answer_text": "A"},
            "answer_text",
            "A written answer is for open questions only; mark the correct option instead.",
        ),
    ],
)
def test_option_mistakes_are_refused_beside_the_options(
    teacher_client, bank, django_capture_on_commit_callbacks, fields, field, message
):
    data = form_data(bank, stem="Which organelle makes ATP?", **fields)

    with django_capture_on_commit_callbacks() as callbacks:
        response = teacher_client.post(reverse("home"), data)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert escape(message) in response.content.decode()
    assert Question.objects.count() == 0
    assert callbacks == []


def test_saved_question_redirects_to_its_page(
    teacher_client, teacher, bank, django_capture_on_commit_callbacks
):
    # Blank boxes in between are dropped; the correct mark follows its option.
    data = form_data(
        bank,
        stem="  Which organelle is known as the powerhouse of the cell?  ",
        option_1="Mitochondrion",
        option_2="Ribosome",
        option_4="Nucleus",
        correct="4",
    )

    with django_capture_on_commit_callbacks() as callbacks:
        response = teacher_client.post(reverse("home"), data)

    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("question-detail", args=[question.pk])
    assert question.stem == "Which organelle is known as the powerhouse of the cell?"
    assert question.options == ["Mitochondrion", "Ribosome", "Nucleus"]
    assert question.answer_index == 2
    assert (question.bank, question.author) == (bank, teacher)
    assert question.embedding_status == EmbeddingStatus.PENDING
    assert len(callbacks) == 1  # the duplicate check, queued after commit


def test_open_question_is_saved_with_its_written_answer(teacher_client, bank):
    data = form_data(
        bank, stem="Name the process plants use to make sugar.", answer_text="Photosynthesis"
    )

    response = teacher_client.post(reverse("home"), data)

    question = Question.objects.get()
    assert response.status_code == 302
    assert (question.options, question.answer_index) == ([], None)
    assert question.answer_text == "Photosynthesis"


def test_a_double_submit_stores_one_question(teacher_client, bank):
    data = form_data(bank, stem="What is osmosis?")

    first = teacher_client.post(reverse("home"), data)
    second = teacher_client.post(reverse("home"), data)
    edited = teacher_client.post(reverse("home"), {**data, "stem": "What is diffusion?"})

    assert first["Location"] == second["Location"]
    assert edited["Location"] != first["Location"]
    assert Question.objects.count() == 2


def test_a_bank_the_teacher_is_not_in_is_refused(teacher_client, bank):
    foreign = make_bank("Physics")

    response = teacher_client.post(reverse("home"), form_data(foreign, stem="What is a volt?"))

    assert response.status_code == 200
    assert field_errors(response, "bank") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Question.objects.count() == 0


# The question page


def test_pending_question_says_it_is_being_checked(teacher_client, teacher, bank):
    question = make_question(
        bank=bank,
        author=teacher,
        stem="Which organelle is known as the powerhouse of the cell?",
        options=["Mitochondrion", "Ribosome"],
        answer=0,
    )

    response = teacher_client.get(reverse("question-detail", args=[question.pk]))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Checking for duplicates" in content
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in content
    assert "js/check-status.js" in content
    assert f'data-status-url="/questions/{question.pk}/status.json"' in content
    assert '<li class="correct"><span class="option-text">Mitochondrion</span>' in content
    assert "Biology" in content and "teacher" in content
    assert "No likely duplicates" not in content
    assert "cannot be reached" not in content
    assert "no-cache" in response["Cache-Control"]


def test_pending_question_never_queued_says_the_check_will_follow(teacher_client, teacher, bank):
    question = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    # What a save leaves behind while the broker is down.
    Question.objects.filter(pk=question.pk).update(queued_at=None)

    response = teacher_client.get(reverse("question-detail", args=[question.pk]))

    content = response.content.decode()
    assert "Checking for duplicates" in content
    assert "The duplicate checker cannot be reached just now." in content


def test_status_endpoint_reports_the_check(teacher_client, teacher, bank):
    question = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    url = reverse("question-status", args=[question.pk])

    before = teacher_client.get(url)
    questions_embed(question_ids=[question.pk])
    after = teacher_client.get(url)

    assert before.json() == {
        "id": question.pk,
        "embedding_status": "pending",
        "url": f"/questions/{question.pk}/",
    }
    assert after.json()["embedding_status"] == "ready"


def test_exact_duplicate_shows_at_once_while_the_check_runs(teacher_client, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    teacher_client.post(reverse("home"), form_data(bank, stem="what is OSMOSIS"))
    copy = Question.objects.exclude(pk=original.pk).get()

    response = teacher_client.get(reverse("question-detail", args=[copy.pk]))

    content = response.content.decode()
    assert copy.embedding_status == EmbeddingStatus.PENDING
    assert "Checking for duplicates" in content
    assert "Likely duplicates (1)" in content
    assert f'<a href="/questions/{original.pk}/">Question #{original.pk}</a>' in content
    assert "100%" in content
    assert "identical after normalisation" in content


def test_checked_question_lists_duplicates_and_variants_apart(teacher_client, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem="What is the capital of France?")
    variant = make_question(bank=bank, author=teacher, stem="Name the largest planet.")
    dismissed = make_question(bank=bank, author=teacher, stem="Who wrote Hamlet?")
    new = make_question(bank=bank, author=teacher, stem="How many legs has a spider?")
    questions_embed(question_ids=[original.pk, variant.pk, dismissed.pk, new.pk])
    flag_between(new, original, label="duplicate", score=0.913, reasons=["same question"])
    flag_between(new, variant, label="variant", score=0.78, reasons=["different numbers"])
    not_a_duplicate = flag_between(new, dismissed, label="duplicate", score=0.9)
    not_a_duplicate.status = FlagStatus.DISMISSED
    not_a_duplicate.save()

    response = teacher_client.get(reverse("question-detail", args=[new.pk]))

    content = response.content.decode()
    check = response.context["check"]
    assert [item.other.pk for item in check.duplicates] == [original.pk]
    assert [item.other.pk for item in check.variants] == [variant.pk]
    assert "Checking for duplicates" not in content
    assert "check-status.js" not in content
    assert "Likely duplicates (1)" in content
    assert "91%" in content and "same question" in content
    assert "Similar but different (variants)" in content
    assert "78%" in content and "different numbers" in content
    # Variants come after the duplicates' list, never inside it.
    assert content.index("Similar but different") > content.index(f"#{original.pk}</a>")
    assert content.index(f"#{variant.pk}</a>") > content.index("Similar but different")
    assert f"#{dismissed.pk}</a>" not in content


def test_original_shows_the_newer_question_that_duplicates_it(teacher_client, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem="What is the capital of France?")
    new = make_question(bank=bank, author=teacher, stem="How many legs has a spider?")
    questions_embed(question_ids=[original.pk, new.pk])
    flag_between(new, original, label="duplicate", score=0.9)

    response = teacher_client.get(reverse("question-detail", args=[original.pk]))

    assert [item.other.pk for item in response.context["check"].duplicates] == [new.pk]


def test_checked_question_without_matches_says_so(teacher_client, teacher, bank):
    question = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    questions_embed(question_ids=[question.pk])

    response = teacher_client.get(reverse("question-detail", args=[question.pk]))

    assert b"No likely duplicates in this bank." in response.content


def test_failed_check_says_it_will_be_retried(teacher_client, teacher, bank):
    question = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    questions_mark_failed(question_ids=[question.pk], error="model not found")

    response = teacher_client.get(reverse("question-detail", args=[question.pk]))

    content = response.content.decode()
    assert "It will be retried automatically" in content
    assert "Checking for duplicates" not in content
    assert "check-status.js" in content


def test_check_that_gave_up_says_an_administrator_can_requeue(teacher_client, teacher, bank):
    question = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    questions_mark_failed(question_ids=[question.pk], error="model not found")
    Question.objects.filter(pk=question.pk).update(embedding_attempts=99)

    response = teacher_client.get(reverse("question-detail", args=[question.pk]))

    content = response.content.decode()
    assert "will not be retried on its own" in content
    assert "check-status.js" not in content


def test_question_of_another_bank_is_not_found(teacher_client, teacher):
    foreign = make_question(bank=make_bank("Physics"), author=make_user(), stem="What is a volt?")

    page = teacher_client.get(reverse("question-detail", args=[foreign.pk]))
    status = teacher_client.get(reverse("question-status", args=[foreign.pk]))

    assert page.status_code == 404
    assert status.status_code == 404
    assert b"What is a volt?" not in page.content


def test_superuser_sees_every_bank(client):
    foreign = make_question(bank=make_bank("Physics"), author=make_user(), stem="What is a volt?")
    client.force_login(make_user(is_superuser=True, is_staff=True))

    response = client.get(reverse("question-detail", args=[foreign.pk]))

    assert response.status_code == 200
    assert b"What is a volt?" in response.content


# The review page


def test_non_reviewer_is_refused_the_review_page(teacher_client, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    copy = make_question(bank=bank, author=teacher, stem="What is osmosis")
    flag = DuplicateFlag.objects.get(question=copy, original=original)

    page = teacher_client.get(reverse("review"))
    decide = teacher_client.post(
        reverse("review-decide", args=[flag.pk]), {"decision": "confirmed"}
    )

    assert page.status_code == 403
    assert decide.status_code == 403
    flag.refresh_from_db()
    assert (flag.status, flag.decided_by, flag.decided_at) == (FlagStatus.OPEN, None, None)


def test_review_shows_open_pairs_side_by_side(reviewer_client, teacher, bank):
    original = make_question(
        bank=bank, author=teacher, stem="What is osmosis?", options=["Water moving", "Salt"]
    )
    copy = make_question(
        bank=bank,
        author=teacher,
        stem="what is osmosis",
        options=["Salt", "Water moving"],
        answer=1,
    )

    response = reviewer_client.get(reverse("review"))

    content = response.content.decode()
    assert response.status_code == 200
    assert [flag.question_id for flag in response.context["page"]] == [copy.pk]
    assert "What is osmosis?" in content and "what is osmosis" in content
    assert content.index(f'New <a href="/questions/{copy.pk}/">') < content.index(
        f'Existing <a href="/questions/{original.pk}/">'
    )
    assert content.count('<li class="correct">') == 2
    assert "100%" in content and "identical after normalisation" in content
    assert 'value="confirmed"' in content and 'value="dismissed"' in content
    assert "csrfmiddlewaretoken" in content
    assert reverse("admin:similarity_duplicateflag_changelist") in content


def test_reviewer_sees_and_decides_only_flags_of_their_banks(reviewer_client, teacher):
    other_bank = make_bank("Chemistry", members=[teacher])
    make_question(bank=other_bank, author=teacher, stem="What is a mole?")
    make_question(bank=other_bank, author=teacher, stem="what is a mole")
    flag = DuplicateFlag.objects.get()

    listing = reviewer_client.get(reverse("review"))
    decision = reviewer_client.post(
        reverse("review-decide", args=[flag.pk]), {"decision": "confirmed"}
    )

    assert list(listing.context["page"]) == []
    assert listing.context["tabs"].open_count == 0
    assert decision.status_code == 404
    flag.refresh_from_db()
    assert flag.status == "open"
    assert flag.decided_by is None


@pytest.mark.parametrize("decision", ["confirmed", "dismissed"])
def test_reviewer_decision_records_who_and_when(reviewer_client, reviewer, teacher, bank, decision):
    original = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    copy = make_question(bank=bank, author=teacher, stem="What is osmosis")
    flag = DuplicateFlag.objects.get(question=copy, original=original)

    response = reviewer_client.post(
        reverse("review-decide", args=[flag.pk]), {"decision": decision, "note": "same text"}
    )

    flag.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == reverse("review")
    assert flag.status == decision
    assert flag.decided_by == reviewer
    assert flag.decided_at is not None
    assert flag.decision_note == "same text"

    open_tab = reviewer_client.get(reverse("review"))
    decided_tab = reviewer_client.get(reverse("review"), {"tab": "decided"})
    assert list(open_tab.context["page"]) == []
    assert [f.pk for f in decided_tab.context["page"]] == [flag.pk]
    content = decided_tab.content.decode()
    assert "by reviewer" in content
    assert flag.decided_at.strftime("%Y-%m-%dT%H:%M") in content
    assert "same text" in content


def test_review_page_queries_do_not_grow_with_the_flags(
    reviewer_client, teacher, bank, django_assert_num_queries
):
    def add_pair(stem: str) -> None:
        make_question(bank=bank, author=teacher, stem=stem, options=["Yes", "No"])
        make_question(bank=bank, author=teacher, stem=stem.upper(), options=["No", "Yes"])

    add_pair("Is water wet?")
    reviewer_client.get(reverse("review"))  # the session and permission caches fill
    with django_assert_num_queries(7) as one:
        reviewer_client.get(reverse("review"))
    add_pair("Is ice cold?")
    add_pair("Is fire hot?")
    with django_assert_num_queries(7) as three:
        response = reviewer_client.get(reverse("review"))

    assert len(response.context["page"]) == 3
    assert len(one.captured_queries) == len(three.captured_queries)


def test_unknown_decision_leaves_the_flag_open(reviewer_client, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem="What is osmosis?")
    copy = make_question(bank=bank, author=teacher, stem="What is osmosis")
    flag = DuplicateFlag.objects.get(question=copy, original=original)

    response = reviewer_client.post(reverse("review-decide", args=[flag.pk]), {"decision": "open"})

    flag.refresh_from_db()
    assert response.status_code == 302
    assert (flag.status, flag.decided_by) == (FlagStatus.OPEN, None)


def test_teacher_sees_no_review_link(teacher_client):
    assert b'href="/review/"' not in teacher_client.get(reverse("home")).content


def test_reviewer_sees_the_review_link(reviewer_client):
    assert b'href="/review/"' in reviewer_client.get(reverse("home")).content


# User text is shown as text


def test_markup_in_a_question_is_shown_as_text_everywhere(teacher_client, reviewer, teacher, bank):
    original = make_question(bank=bank, author=teacher, stem=XSS, options=["<b>CO2</b>", "O2"])
    copy = make_question(bank=bank, author=teacher, stem=XSS, options=["<b>CO2</b>", "O2"])

    pages = [
        teacher_client.get(reverse("question-detail", args=[copy.pk])),
        teacher_client.get(reverse("question-detail", args=[original.pk])),
        teacher_client.get(reverse("home")),
    ]
    teacher_client.force_login(reviewer)
    pages.append(teacher_client.get(reverse("review")))

    for page in pages:
        content = page.content.decode()
        assert page.status_code == 200
        assert "<script>alert(1)" not in content
        assert "<b>CO2</b>" not in content
    assert XSS_ESCAPED in pages[0].content.decode()
    assert "&lt;b&gt;CO2&lt;/b&gt;" in pages[0].content.decode()
    assert pages[3].content.decode().count(XSS_ESCAPED) == 2
