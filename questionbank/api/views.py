"""The JSON API. Each view parses input, calls one service or selector, and
shapes the answer; rules about questions and flags live in the services.
"""

import numpy as np
from rest_framework import status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from questionbank.api import selectors
from questionbank.api.parsers import ApiJSONParser
from questionbank.api.permissions import CanReviewFlags
from questionbank.api.renderers import ApiJSONRenderer
from questionbank.api.serializers import (
    SCORE_DIGITS,
    BankOutputSerializer,
    CompareInputSerializer,
    FlagDecisionInputSerializer,
    FlagFilterSerializer,
    FlagOutputSerializer,
    MatchOutputSerializer,
    QuestionBulkInputSerializer,
    QuestionCreatedSerializer,
    QuestionDetailSerializer,
    QuestionFilterSerializer,
    QuestionInputSerializer,
    QuestionOutputSerializer,
    draft_question_text,
)
from questionbank.api.throttling import CheckRateThrottle, CompareRateThrottle
from questionbank.errors import QuestionBankError
from questionbank.services import bank_check_member, question_bulk_create, question_create
from questionbank.validation import question_clean
from similarity.conf import get_setting
from similarity.embedding import embed_texts
from similarity.judge import embedding_text, judge_pair
from similarity.selectors import duplicates_for_draft, flags_for_question
from similarity.services import flag_decide

IDEMPOTENCY_KEY_MAX_CHARS = 200  # Question.idempotency_key's column width


class ApiPagination(LimitOffsetPagination):
    max_limit = 200


class BaseApi(APIView):
    """JSON in, JSON out, for every endpoint (no browsable HTML pages)."""

    renderer_classes = [ApiJSONRenderer]
    parser_classes = [ApiJSONParser]
    permission_classes = [IsAuthenticated]

    def paginated(self, request: Request, queryset, serializer_class) -> Response:
        paginator = ApiPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        data = serializer_class(page, many=True, context={"request": request}).data
        return paginator.get_paginated_response(data)


def _valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX_CHARS:
        raise QuestionBankError(
            f"The Idempotency-Key header must hold 1 to {IDEMPOTENCY_KEY_MAX_CHARS} characters.",
            code="invalid_idempotency_key",
        )
    return key


class BankListApi(BaseApi):
    def get(self, request: Request) -> Response:
        banks = selectors.bank_list_for_user(user=request.user)
        return self.paginated(request, banks, BankOutputSerializer)


class QuestionListCreateApi(BaseApi):
    def get(self, request: Request) -> Response:
        filters = _valid(QuestionFilterSerializer, request.query_params)
        questions = selectors.question_list_for_user(
            user=request.user, bank_id=filters.get("bank"), status=filters.get("status")
        )
        return self.paginated(request, questions, QuestionOutputSerializer)

    def post(self, request: Request) -> Response:
        # A replayed key returns the first question even if this body differs:
        # the client is retrying a request whose answer it never saw.
        key = _idempotency_key(request)
        data = _valid(QuestionInputSerializer, request.data)
        bank = selectors.bank_get_for_user(user=request.user, bank_id=data["bank"])
        bank_check_member(bank=bank, user=request.user)

        result = question_create(
            bank=bank,
            author=request.user,
            stem=data["stem"],
            options=data["options"],
            answer=data["answer"],
            idempotency_key=key,
        )

        question = result.question
        duplicates = selectors.exact_duplicates_by_question(question_ids=[question.pk])
        context = {"request": request, "exact_duplicates": duplicates}
        body = QuestionCreatedSerializer(question, context=context).data
        # A replayed key answers 200: nothing new was created.
        code = status.HTTP_201_CREATED if result.created else status.HTTP_200_OK
        return Response(body, status=code, headers={"Location": body["url"]})


class QuestionBulkCreateApi(BaseApi):
    def post(self, request: Request) -> Response:
        data = _valid(QuestionBulkInputSerializer, request.data)
        bank = selectors.bank_get_for_user(user=request.user, bank_id=data["bank"])
        bank_check_member(bank=bank, user=request.user)

        questions = question_bulk_create(bank=bank, author=request.user, items=data["questions"])

        duplicates = selectors.exact_duplicates_by_question(question_ids=[q.pk for q in questions])
        context = {"request": request, "exact_duplicates": duplicates}
        body = {
            "bank": bank.pk,
            "count": len(questions),
            "questions": QuestionCreatedSerializer(questions, many=True, context=context).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class QuestionDetailApi(BaseApi):
    def get(self, request: Request, question_id: int) -> Response:
        question = selectors.question_get_for_user(user=request.user, question_id=question_id)
        flags = list(flags_for_question(question))
        context = {"request": request, "flags": flags}
        return Response(QuestionDetailSerializer(question, context=context).data)


class FlagListApi(BaseApi):
    def get(self, request: Request) -> Response:
        filters = _valid(FlagFilterSerializer, request.query_params)
        flags = selectors.flag_list_for_user(
            user=request.user,
            status=filters.get("status"),
            label=filters.get("label"),
            bank_id=filters.get("bank"),
            question_id=filters.get("question"),
        )
        return self.paginated(request, flags, FlagOutputSerializer)


class FlagDecideApi(BaseApi):
    permission_classes = [IsAuthenticated, CanReviewFlags]

    def post(self, request: Request, flag_id: int) -> Response:
        flag = selectors.flag_get_for_user(user=request.user, flag_id=flag_id)
        data = _valid(FlagDecisionInputSerializer, request.data)

        decided = flag_decide(
            flag=flag, user=request.user, decision=data["decision"], note=data["note"]
        )

        decided = selectors.flag_get_for_user(user=request.user, flag_id=decided.pk)
        return Response(FlagOutputSerializer(decided, context={"request": request}).data)


class QuestionCheckApi(BaseApi):
    """The live check of an unsaved draft: computed now, nothing is stored."""

    throttle_classes = [CheckRateThrottle]

    def post(self, request: Request) -> Response:
        data = _valid(QuestionInputSerializer, request.data)
        bank = selectors.bank_get_for_user(user=request.user, bank_id=data["bank"])
        bank_check_member(bank=bank, user=request.user)
        clean = question_clean(stem=data["stem"], options=data["options"], answer=data["answer"])

        matches = duplicates_for_draft(bank_id=bank.pk, text=draft_question_text(clean))

        likely = [m for m in matches if m.verdict.label != "different"]
        context = {"request": request}
        body = {
            "bank": bank.pk,
            "matches": MatchOutputSerializer(likely, many=True, context=context).data,
        }
        return Response(body)


class QuestionCompareApi(BaseApi):
    """How alike two texts (or two questions) are, by the same judge as the check."""

    throttle_classes = [CompareRateThrottle]

    def post(self, request: Request) -> Response:
        data = _valid(CompareInputSerializer, request.data)
        a, b = data["a"], data["b"]

        vectors = embed_texts([embedding_text(a), embedding_text(b)]).vectors
        verdict = judge_pair(a, b, a_vector=vectors[0], b_vector=vectors[1])

        # The judge reports 1.0 for texts identical after normalisation; the
        # cosine here is always the measured one.
        cosine = float(np.dot(vectors[0], vectors[1]))
        body = {
            "cosine": round(cosine, SCORE_DIGITS),
            "label": verdict.label,
            "score": round(verdict.score, SCORE_DIGITS),
            "reasons": list(verdict.reasons),
            "low_confidence": verdict.low_confidence,
            "model": get_setting("MODEL_NAME"),
        }
        return Response(body)
