"""The judge against the targets, on pairs written without reference to its code.

benchmarks/pairs/fresh_pairs.jsonl was built like the calibration pairs but
by hand and independently, so these figures are not tuned to it.
"""

from pathlib import Path

import pytest

from similarity.evaluation import pair_metrics, read_pairs
from similarity.judge import judge_pairs

FRESH_PAIRS = Path(__file__).resolve().parents[2] / "benchmarks" / "pairs" / "fresh_pairs.jsonl"


@pytest.fixture(scope="module")
def judged():
    pairs = read_pairs(FRESH_PAIRS)
    verdicts = judge_pairs([(pair.a, pair.b) for pair in pairs])
    return pairs, [verdict.label for verdict in verdicts]


def test_duplicate_f1_is_at_least_0_9(judged):
    pairs, labels = judged

    metrics = pair_metrics(
        gold=[p.label for p in pairs], predicted=labels, kinds=[p.kind for p in pairs]
    )

    assert metrics.dup_f1 >= 0.90
    assert metrics.variant_flagged <= 0.10


@pytest.mark.parametrize(
    ("kind", "most_flagged"),
    [("different/negation", 0.05), ("different/same_stem_different_options", 0.05)],
)
def test_negated_and_same_stem_pairs_are_rarely_flagged(judged, kind, most_flagged):
    pairs, labels = judged

    of_kind = [label for pair, label in zip(pairs, labels, strict=True) if pair.kind == kind]

    assert of_kind
    assert of_kind.count("duplicate") / len(of_kind) <= most_flagged


@pytest.mark.parametrize("kind", ["duplicate/cosmetic", "duplicate/reordered_options"])
def test_every_cosmetic_and_reordered_duplicate_is_caught(judged, kind):
    pairs, labels = judged

    of_kind = [label for pair, label in zip(pairs, labels, strict=True) if pair.kind == kind]

    assert of_kind
    assert set(of_kind) == {"duplicate"}
