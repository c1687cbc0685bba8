import pytest
from django.core.exceptions import ValidationError

from questionbank.validation import question_clean

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
