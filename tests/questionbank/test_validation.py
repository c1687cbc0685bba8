import pytest
from django.core.exceptions import ValidationError

from questionbank.models import Question
from questionbank.validation import (
    SOURCE_MAX_CHARS,
    is_valid_unicode,
    question_clean,
    source_clean,
)

EMPTY_INPUTS = ["", "   ", "?", "\n\t", "<p></p>"]


@pytest.mark.parametrize("stem", EMPTY_INPUTS)
def test_stem_without_letters_or_digits_is_rejected(stem):
    with pytest.raises(ValidationError) as caught:
        question_clean(stem=stem)

    assert list(caught.value.message_dict) == ["stem"]
    message = caught.value.message_dict["stem"][0]
    assert message in {
        "Enter the question text.",
        "The question text needs at least one letter or digit.",
    }


def test_oversized_stem_names_the_limit(settings):
    limit = settings.QUESTIONBANK["MAX_STEM_CHARS"]

    with pytest.raises(ValidationError) as caught:
        question_clean(stem="a" * (limit + 1))

    assert caught.value.message_dict["stem"] == [
        f"The question text is {limit + 1:,} characters long; the limit is {limit:,}."
    ]


def test_nul_character_is_rejected():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="What is \x00?")

    assert caught.value.message_dict["stem"] == ["The question text contains a NUL character."]


def test_options_and_answer_index_are_kept():
    clean = question_clean(stem=" What is 2+2? ", options=["3", "4"], answer=1)

    assert clean.stem == "What is 2+2?"
    assert clean.options == ["3", "4"]
    assert clean.answer_index == 1
    assert clean.answer_text == ""


def test_answer_may_name_the_option_text():
    clean = question_clean(stem="Capital of France?", options=["Lyon", "Paris"], answer="paris")

    assert clean.answer_index == 1


def test_multiple_choice_needs_an_answer_in_range():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="Capital of France?", options=["Lyon", "Paris"], answer=2)

    assert caught.value.message_dict["answer"] == ["The answer index 2 is out of range (0 to 1)."]


def test_a_single_option_is_rejected():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="Capital of France?", options=["Paris"], answer=0)

    assert caught.value.message_dict["options"] == [
        "A multiple-choice question needs at least two options."
    ]


def test_repeated_option_is_rejected():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="Capital of France?", options=["Paris", " Paris  "], answer=0)

    assert caught.value.message_dict["options"] == ["The option 'Paris' appears twice."]


def test_options_differing_in_case_are_different_options():
    clean = question_clean(stem="Which genotype is homozygous?", options=["BB", "Bb"], answer=0)

    assert clean.options == ["BB", "Bb"]


def test_empty_option_is_rejected_with_its_number():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="Capital of France?", options=["Paris", "  "], answer=0)

    assert caught.value.message_dict["options"] == ["Enter the option 2."]


def test_open_question_keeps_its_answer_text():
    clean = question_clean(stem="Name the capital of France.", answer=" Paris ")

    assert clean.options == []
    assert clean.answer_index is None
    assert clean.answer_text == "Paris"


def test_stem_and_option_errors_are_reported_together():
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="", options=["only one"])

    assert set(caught.value.message_dict) == {"stem", "options"}


def test_options_may_be_operators():
    clean = question_clean(stem="Which operator gives the remainder?", options=["/", "%"], answer=1)

    assert clean.options == ["/", "%"]


# -- text that is not valid Unicode -------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"stem": "x\ud800y?"},
            "stem",
            "The question text contains characters that are not valid Unicode.",
        ),
        (
            {"stem": "Pick one.", "options": ["fine", "bad \udfff"], "answer": 0},
            "options",
            "The option 2 contains characters that are not valid Unicode.",
        ),
        (
            {"stem": "Name the river.", "answer": "Nile\ud800"},
            "answer",
            "The answer contains characters that are not valid Unicode.",
        ),
        (
            {"stem": "Pick one.", "options": ["a", "b"], "answer": "a\ud800"},
            "answer",
            "The answer contains characters that are not valid Unicode.",
        ),
    ],
)
def test_lone_surrogates_are_rejected_naming_the_field(fields, field, message):
    with pytest.raises(ValidationError) as caught:
        question_clean(**fields)

    assert caught.value.message_dict == {field: [message]}


def test_valid_unicode_is_told_from_lone_surrogates():
    assert is_valid_unicode("Ça coûte 5 € 😀 ∑ 漢字")
    assert not is_valid_unicode("\ud83d")
    # A surrogate pair spelt as two code points is still two lone surrogates.
    assert not is_valid_unicode("\ud83d\ude00")


# -- answers given as digits --------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "index"),
    [
        ("2", 1),  # the option "2", not the third option
        (" 4 ", 3),
        (2, 2),  # an integer is always an index
        (0, 0),
    ],
)
def test_digit_answer_names_the_option_with_that_text(answer, index):
    clean = question_clean(stem="What is 6 / 3?", options=["1", "2", "3", "4"], answer=answer)

    assert clean.answer_index == index


@pytest.mark.parametrize(("answer", "index"), [("1", 1), ("02", 2), ("0", 0)])
def test_digit_answer_is_an_index_when_no_option_has_that_text(answer, index):
    clean = question_clean(
        stem="Capital of Peru?", options=["Quito", "Lima", "Cusco"], answer=answer
    )

    assert clean.answer_index == index


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("7", "The answer index 7 is out of range (0 to 2)."),
        ("12345678901234567890", "The answer index is out of range (0 to 2)."),
        # int() refuses strings of over 4,300 digits.
        ("9" * 5000, "The answer index is out of range (0 to 2)."),
        # Digits that are not ASCII are not read as an index.
        ("²", "The answer is not one of the options."),
        ("٣", "The answer is not one of the options."),
        ("-1", "The answer is not one of the options."),
        (1.0, "The answer must be an option number or an option's text."),
    ],
)
def test_answer_that_names_no_option_is_rejected(answer, message):
    with pytest.raises(ValidationError) as caught:
        question_clean(stem="Capital of Peru?", options=["Quito", "Lima", "Cusco"], answer=answer)

    assert caught.value.message_dict == {"answer": [message]}


# -- source -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [(None, ""), ("", ""), ("   ", ""), ("  Textbook, chapter 3 ", "Textbook, chapter 3")],
)
def test_source_is_optional_and_stripped(source, expected):
    assert source_clean(source) == expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (["a", "list"], "The source must be text."),
        (42, "The source must be text."),
        ("s" * 301, "The source is 301 characters long; the limit is 300."),
        ("file\x00name", "The source contains a NUL character."),
        ("file\ud800", "The source contains characters that are not valid Unicode."),
    ],
)
def test_unusable_source_is_rejected(source, message):
    with pytest.raises(ValidationError) as caught:
        source_clean(source)

    assert caught.value.message_dict == {"source": [message]}


def test_source_limit_is_the_column_width():
    assert SOURCE_MAX_CHARS == Question._meta.get_field("source").max_length
    assert source_clean("s" * SOURCE_MAX_CHARS) == "s" * SOURCE_MAX_CHARS
