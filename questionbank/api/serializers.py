"""Shapes of API input and output.

Input serializers check structure only (a bank id is an integer, a bulk body
holds a list). Question content is checked by ``question_clean``, the same
function the form and the importers use, so every entry point gives the same
messages for the same mistakes.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import serializers

from questionbank.models import EmbeddingStatus, Question
from questionbank.validation import SOURCE_MAX_CHARS, CleanQuestion, question_clean
from similarity.models import DuplicateFlag, FlagLabel, FlagStatus
from similarity.selectors import Match
from similarity.types import QuestionText

SCORE_DIGITS = 4


class RawField(serializers.Field):
    """A value passed on untouched, for ``question_clean`` to judge."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("default", None)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        return data

    def to_representation(self, value: Any) -> Any:
        return value


def draft_question_text(clean: CleanQuestion) -> QuestionText:
    return QuestionText(stem=clean.stem, options=tuple(clean.options), answer=clean.answer)


def _absolute(request, name: str, **kwargs: Any) -> str:
    path = reverse(name, kwargs=kwargs or None)
    return request.build_absolute_uri(path) if request is not None else path


def question_url(request, question_id: int) -> str:
    return _absolute(request, "api:question-detail", question_id=question_id)


def question_flags_url(request, question_id: int) -> str:
    return f"{_absolute(request, 'api:flag-list')}?question={question_id}"


# -- input --------------------------------------------------------------------


ANSWER_HELP = (
    "The correct answer. With options: an integer is the option's index (from 0); a text is "
    "first matched against the options' text (case, spacing and quote style ignored), and only "
    "when no option matches and it is all digits is it read as an index. So with the options "
    '["1", "2", "3", "4"], both "2" and 1 mean the option "2". Without options: the expected '
    "answer's text."
)


class QuestionInputSerializer(serializers.Serializer):
    """A question: ``stem``, optional ``options``, and ``answer`` (see ANSWER_HELP)."""

    bank = serializers.IntegerField(min_value=1)
    stem = RawField(help_text="The question text.")
    options = RawField(help_text="The options' texts, for a multiple-choice question.")
    answer = RawField(help_text=ANSWER_HELP)


class QuestionBulkInputSerializer(serializers.Serializer):
    bank = serializers.IntegerField(min_value=1)
    questions = serializers.ListField(
        child=serializers.DictField(child=RawField()),
        help_text=(
            "Questions as {stem, options, answer, source}, read as in a single create; "
            f"source is optional text of up to {SOURCE_MAX_CHARS} characters."
        ),
    )

    def validate_questions(self, value: list[dict]) -> list[dict]:
        limit = settings.QUESTIONBANK["MAX_BULK_QUESTIONS"]
        if not value:
            raise serializers.ValidationError("Send at least one question.")
        if len(value) > limit:
            raise serializers.ValidationError(
                f"{len(value):,} questions sent; the limit is {limit:,} per request."
            )
        return value


class QuestionFilterSerializer(serializers.Serializer):
    bank = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=EmbeddingStatus.choices, required=False)


class FlagFilterSerializer(serializers.Serializer):
    bank = serializers.IntegerField(required=False, min_value=1)
    question = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=FlagStatus.choices, required=False)
    label = serializers.ChoiceField(choices=FlagLabel.choices, required=False)


class FlagDecisionInputSerializer(serializers.Serializer):
    # "open" reopens a decided flag; flag_decide accepts it too.
    decision = serializers.ChoiceField(choices=FlagStatus.choices)
    # DRF's CharField refuses lone surrogates itself.
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class CompareInputSerializer(serializers.Serializer):
    """Two plain texts, or two questions given as {stem, options, answer}."""

    a = RawField(required=True, allow_null=False, default=serializers.empty)
    b = RawField(required=True, allow_null=False, default=serializers.empty)

    def validate_a(self, value: Any) -> QuestionText:
        return _compare_side(value)

    def validate_b(self, value: Any) -> QuestionText:
        return _compare_side(value)


def _compare_side(value: Any) -> QuestionText:
    if isinstance(value, dict):
        fields = {"stem": value.get("stem"), "options": value.get("options")}
        fields["answer"] = value.get("answer")
    elif isinstance(value, str):
        fields = {"stem": value}
    else:
        raise serializers.ValidationError(
            'Give a text, or a question as {"stem": ..., "options": [...], "answer": ...}.'
        )
    try:
        clean = question_clean(**fields)
    except DjangoValidationError as exc:
        if isinstance(value, str):
            raise serializers.ValidationError(exc.message_dict["stem"]) from exc
        raise serializers.ValidationError(exc.message_dict) from exc
    return draft_question_text(clean)


# -- output -------------------------------------------------------------------


class BankOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    course = serializers.CharField()
    description = serializers.CharField()
    question_count = serializers.IntegerField()


class QuestionRefSerializer(serializers.Serializer):
    """A question as it appears inside another resource."""

    id = serializers.IntegerField()
    stem = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, question: Question) -> str:
        return question_url(self.context.get("request"), question.pk)


class QuestionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    bank = serializers.IntegerField(source="bank_id")
    stem = serializers.CharField()
    options = serializers.ListField(child=serializers.CharField())
    answer = serializers.SerializerMethodField()
    embedding_status = serializers.CharField()
    truncated = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()
    flags_url = serializers.SerializerMethodField()

    def get_answer(self, question: Question) -> int | str | None:
        if question.options:
            return question.answer_index
        return question.answer_text or None

    def get_url(self, question: Question) -> str:
        return question_url(self.context.get("request"), question.pk)

    def get_flags_url(self, question: Question) -> str:
        return question_flags_url(self.context.get("request"), question.pk)


class QuestionCreatedSerializer(QuestionOutputSerializer):
    """A stored question with the exact duplicates found while saving it.

    Semantic duplicates come later, once the question is embedded; they show
    up under flags_url.
    """

    exact_duplicates = serializers.SerializerMethodField()

    def get_exact_duplicates(self, question: Question) -> list[dict]:
        others = self.context.get("exact_duplicates", {}).get(question.pk, [])
        return QuestionRefSerializer(others, many=True, context=self.context).data


class FlagOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    question = QuestionRefSerializer()
    original = QuestionRefSerializer()
    bank = serializers.IntegerField(source="question.bank_id")
    kind = serializers.CharField()
    label = serializers.CharField()
    score = serializers.FloatField()
    cosine = serializers.FloatField(allow_null=True)
    reasons = serializers.ListField(child=serializers.CharField())
    low_confidence = serializers.BooleanField()
    status = serializers.CharField()
    decided_by = serializers.CharField(source="decided_by.username", default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()
    created_at = serializers.DateTimeField()
    decision_url = serializers.SerializerMethodField()

    def get_decision_url(self, flag: DuplicateFlag) -> str:
        return _absolute(self.context.get("request"), "api:flag-decide", flag_id=flag.pk)


class QuestionDetailSerializer(QuestionOutputSerializer):
    flags = serializers.SerializerMethodField()

    def get_flags(self, question: Question) -> list[dict]:
        flags = self.context.get("flags", [])
        return FlagOutputSerializer(flags, many=True, context=self.context).data


class MatchOutputSerializer(serializers.Serializer):
    """One likely duplicate of a draft, as the live check reports it."""

    question = serializers.SerializerMethodField()
    label = serializers.CharField(source="verdict.label")
    score = serializers.SerializerMethodField()
    cosine = serializers.SerializerMethodField()
    reasons = serializers.ListField(source="verdict.reasons", child=serializers.CharField())
    exact = serializers.BooleanField()
    low_confidence = serializers.BooleanField(source="verdict.low_confidence")

    def get_question(self, match: Match) -> dict:
        return QuestionRefSerializer(match.question, context=self.context).data

    def get_score(self, match: Match) -> float:
        return round(match.verdict.score, SCORE_DIGITS)

    def get_cosine(self, match: Match) -> float:
        return round(match.verdict.cosine, SCORE_DIGITS)
