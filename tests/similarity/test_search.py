"""The nearest-neighbour query, with tiny hand-made vectors."""

import numpy as np
import pytest
from django.db import connection, transaction
from django.utils import timezone

from questionbank.models import Bank, EmbeddingStatus, Question
from similarity.selectors import (
    _set_search_parameters,
    duplicate_candidates_for,
    nearest_questions_query,
)

pytestmark = pytest.mark.django_db

DIM = 384


def unit(vector: np.ndarray) -> np.ndarray:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def axis(index: int, *, tilt: float = 0.0, towards: int = 1) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[index] = 1.0
    if tilt:
        vector[towards] = tilt
    return unit(vector)


def ready_question(bank: Bank, vector: np.ndarray, stem: str, **extra) -> Question:
    fields = {
        "embedding_model": "all-MiniLM-L6-v2",
        "embedding_status": EmbeddingStatus.READY,
        "embedded_at": timezone.now(),
        **extra,
    }
    return Question(bank=bank, stem=stem, normalized_hash=stem, embedding=vector, **fields)


def test_candidates_come_nearest_first_with_exact_cosines():
    bank = Bank.objects.create(name="Vectors")
    rows = Question.objects.bulk_create(
        [
            ready_question(bank, axis(0), "x"),
            ready_question(bank, axis(0, tilt=1.0), "x tilted 45 degrees"),
            ready_question(bank, axis(1), "y"),
        ]
    )

    found = duplicate_candidates_for(bank_id=bank.pk, vector=axis(0), limit=3)

    assert [c.question.pk for c in found] == [rows[0].pk, rows[1].pk]
    assert found[0].cosine == pytest.approx(1.0, abs=1e-6)
    assert found[1].cosine == pytest.approx(np.sqrt(0.5), abs=1e-6)


def test_pending_questions_and_other_models_are_never_candidates():
    bank = Bank.objects.create(name="Vectors")
    Question.objects.bulk_create(
        [
            Question(bank=bank, stem="pending", normalized_hash="p"),
            ready_question(bank, axis(0), "old model", embedding_model="another-model"),
        ]
    )
    pending = Question.objects.get(stem="pending")
    assert pending.embedding is None

    assert duplicate_candidates_for(bank_id=bank.pk, vector=axis(0)) == []


def test_other_banks_are_never_candidates():
    mine, theirs = Bank.objects.create(name="Mine"), Bank.objects.create(name="Theirs")
    Question.objects.bulk_create([ready_question(theirs, axis(0), "x")])

    assert duplicate_candidates_for(bank_id=mine.pk, vector=axis(0)) == []


@pytest.fixture(scope="module")
def big_bank_table(django_db_setup, django_db_blocker):
    """20,000 clustered vectors across 20 courses, built once for this module."""
    rng = np.random.default_rng(7)
    with django_db_blocker.unblock():
        banks = Bank.objects.bulk_create([Bank(name=f"Course {n}") for n in range(20)])
        centres = rng.normal(size=(50, DIM))
        rows = []
        for n in range(20_000):
            vector = centres[n % 50] + rng.normal(scale=0.6, size=DIM)
            rows.append(ready_question(banks[n % 20], unit(vector), f"q{n}"))
        Question.objects.bulk_create(rows, batch_size=2000)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE questionbank_question")
    yield banks, centres, rng
    with django_db_blocker.unblock():
        Question.objects.filter(bank__in=banks).delete()
        Bank.objects.filter(pk__in=[b.pk for b in banks]).delete()


def test_filtered_search_returns_the_true_nearest_rows_of_one_course(big_bank_table):
    banks, centres, rng = big_bank_table
    target_bank = banks[13]
    # Cluster 0 holds no question of course 13: an index scan that filters
    # after the fact finds the planted row and little else.
    query = unit(centres[0] + rng.normal(scale=0.6, size=DIM))
    planted = []
    for n in range(5):
        row = ready_question(
            target_bank, unit(query + rng.normal(scale=0.002 * (n + 1), size=DIM)), f"p{n}"
        )
        row.save()
        planted.append(row.pk)

    with transaction.atomic():
        # Make the planner walk the HNSW index, as it does on large banks,
        # instead of sorting this small bank exactly.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_sort = off")
        _set_search_parameters()
        plan = nearest_questions_query(bank_id=target_bank.pk, vector=query).explain()
        found = list(nearest_questions_query(bank_id=target_bank.pk, vector=query, limit=10))
        candidates = duplicate_candidates_for(bank_id=target_bank.pk, vector=query, limit=10)

    assert "question_embedding_hnsw" in plan
    found_ids = [row.pk for row in found]
    assert [c.question.pk for c in candidates] == planted
    assert found_ids[:5] == planted
    # Not cut short by the filter: the bank has thousands of other rows.
    assert len(found_ids) == 10


def test_plan_uses_the_hnsw_index_on_ten_thousand_rows(big_bank_table):
    banks, centres, _ = big_bank_table
    queryset = nearest_questions_query(bank_id=banks[0].pk, vector=unit(centres[0]), limit=10)

    with transaction.atomic():
        _set_search_parameters()
        plan = queryset.explain()

    assert "question_embedding_hnsw" in plan
    sql = str(queryset.query)
    assert "<=>" in sql
    assert "ASC" in sql and "DESC" not in sql


def test_index_opclass_matches_the_cosine_distance():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'question_embedding_hnsw'"
        )
        (definition,) = cursor.fetchone()

    assert "USING hnsw (embedding vector_cosine_ops)" in definition
