"""Reads: nearest-neighbour candidates and duplicate checks of drafts."""

from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from pgvector.django import CosineDistance

from questionbank.models import EmbeddingStatus, Question
from similarity.conf import get_setting
from similarity.judge import (
    IDENTICAL,
    embed_for_judging,
    exact_verdict,
    judge_candidates,
    judge_texts,
    remember_vectors,
)
from similarity.types import QuestionText, Verdict


@dataclass(frozen=True)
class Candidate:
    question: Question
    cosine: float


@dataclass(frozen=True)
class Match:
    """A stored question that resembles another (or a draft), with the verdict."""

    question: Question
    verdict: Verdict
    exact: bool


def question_text_of(question: Question) -> QuestionText:
    return QuestionText(
        stem=question.stem, options=tuple(question.options or ()), answer=question.answer
    )


def _set_search_parameters() -> None:
    # HNSW returns at most ef_search rows before the WHERE filter is applied, so
    # a bank that holds a small share of the table could come back short.
    # Iterative scans (pgvector 0.8) keep walking the graph until enough rows
    # pass the filter; strict order keeps results sorted by distance.
    ef_search = max(int(get_setting("HNSW_EF_SEARCH")), int(get_setting("TOP_K")))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.ef_search = %s", [ef_search])
        cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")


def nearest_questions_query(*, bank_id: int, vector, exclude_ids=(), limit: int | None = None):
    """The neighbour query: ready questions of one bank and model, nearest first.

    Ordered by cosine distance ascending so that PostgreSQL can use the HNSW
    index built with vector_cosine_ops.
    """
    limit = limit or get_setting("TOP_K")
    return (
        Question.objects.filter(
            bank_id=bank_id,
            embedding_status=EmbeddingStatus.READY,
            embedding_model=get_setting("MODEL_NAME"),
        )
        .exclude(pk__in=list(exclude_ids))
        .annotate(distance=CosineDistance("embedding", vector))
        .order_by("distance")[:limit]
    )


def duplicate_candidates_for(
    *, bank_id: int, vector, exclude_ids=(), limit: int | None = None
) -> list[Candidate]:
    """Nearest ready questions above the recall-oriented cosine cut."""
    min_cosine = get_setting("CANDIDATE_MIN_COSINE")
    with transaction.atomic():
        _set_search_parameters()
        rows = list(
            nearest_questions_query(
                bank_id=bank_id, vector=vector, exclude_ids=exclude_ids, limit=limit
            )
        )
    candidates = [Candidate(row, 1.0 - float(row.distance)) for row in rows]
    return [candidate for candidate in candidates if candidate.cosine >= min_cosine]


def exact_matches_for(*, bank_id: int, fingerprint: str, exclude_ids=()) -> list[Question]:
    """Questions of a bank with the same normalised text, whatever their status."""
    return list(
        Question.objects.filter(bank_id=bank_id, normalized_hash=fingerprint)
        .exclude(pk__in=list(exclude_ids))
        .order_by("id")
    )


def judge_against_candidates(
    *, text: QuestionText, vector: np.ndarray, candidates: list[Candidate]
) -> list[Match]:
    if not candidates:
        return []
    for candidate in candidates:
        _remember_stored_vectors(candidate.question)
    verdicts = judge_candidates(
        text,
        vector,
        [
            (question_text_of(c.question), np.asarray(c.question.embedding, dtype=np.float32))
            for c in candidates
        ],
    )
    return [
        Match(candidate.question, verdict, exact=IDENTICAL in verdict.reasons)
        for candidate, verdict in zip(candidates, verdicts, strict=True)
    ]


def _remember_stored_vectors(question: Question) -> None:
    if not question.judge_vectors:
        return
    texts = judge_texts(question_text_of(question))
    stored = np.frombuffer(bytes(question.judge_vectors), dtype=np.float16)
    dimension = len(question.embedding)
    if stored.size != len(texts) * dimension:
        return  # stored by an older judge that picked other texts; embed afresh
    remember_vectors(texts, stored.reshape(len(texts), dimension))


def duplicates_for_draft(*, bank_id: int, text: QuestionText) -> list[Match]:
    """The live check: likely duplicates and variants of an unsaved question."""
    from similarity.normalize import question_fingerprint

    fingerprint = question_fingerprint(text.stem, text.options)
    exact = exact_matches_for(bank_id=bank_id, fingerprint=fingerprint)
    # One model call for the stem, options and answer; the judge finds the
    # latter in its cache and the candidates' vectors stored with them.
    vector = embed_for_judging([text]).vectors[0]
    candidates = duplicate_candidates_for(
        bank_id=bank_id, vector=vector, exclude_ids=[q.pk for q in exact]
    )

    matches = [Match(q, exact_verdict(text, question_text_of(q)), exact=True) for q in exact]
    matches.extend(judge_against_candidates(text=text, vector=vector, candidates=candidates))
    return sort_matches(matches)


def sort_matches(matches: list[Match]) -> list[Match]:
    rank = {"duplicate": 0, "variant": 1, "different": 2}
    return sorted(matches, key=lambda m: (rank[m.verdict.label], -m.verdict.score))


def flags_for_question(question: Question):
    from similarity.models import DuplicateFlag

    return (
        DuplicateFlag.objects.filter(Q(question=question) | Q(original=question))
        .select_related("question", "original", "decided_by")
        .order_by("-score")
    )
