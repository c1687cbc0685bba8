import json

import pytest

from similarity.evaluation import (
    HOLDOUT_PERCENT,
    best_cosine_threshold,
    format_metrics,
    pair_metrics,
    read_pairs,
    select_split,
    split_of,
    summary_line,
)
from similarity.types import QuestionText


def test_pair_metrics_counts_only_duplicate_labels_as_flags():
    gold = ["duplicate", "duplicate", "variant", "different", "different"]
    predicted = ["duplicate", "variant", "duplicate", "different", "duplicate"]
    kinds = ["dup/a", "dup/a", "var/b", "diff/c", "diff/d"]

    metrics = pair_metrics(gold=gold, predicted=predicted, kinds=kinds)

    assert metrics.pairs == 5
    assert metrics.dup_precision == pytest.approx(1 / 3)
    assert metrics.dup_recall == pytest.approx(1 / 2)
    assert metrics.dup_f1 == pytest.approx(0.4)
    assert metrics.variant_flagged == 1.0
    assert metrics.different_flagged == 0.5
    assert metrics.confusion == {
        ("duplicate", "duplicate"): 1,
        ("duplicate", "variant"): 1,
        ("variant", "duplicate"): 1,
        ("different", "different"): 1,
        ("different", "duplicate"): 1,
    }
    assert metrics.by_kind == {"diff/c": (1, 0), "diff/d": (1, 1), "dup/a": (2, 1), "var/b": (1, 1)}


def test_pair_metrics_without_flags_is_zero_not_an_error():
    metrics = pair_metrics(gold=["duplicate"], predicted=["different"], kinds=["k"])

    assert (metrics.dup_precision, metrics.dup_recall, metrics.dup_f1) == (0.0, 0.0, 0.0)
    assert (metrics.variant_flagged, metrics.different_flagged) == (0.0, 0.0)


def test_pair_metrics_rejects_lists_of_different_lengths():
    with pytest.raises(ValueError, match="same length"):
        pair_metrics(gold=["duplicate"], predicted=[], kinds=[])


def test_best_cosine_threshold_maximises_duplicate_f1():
    cosines = [0.95, 0.9, 0.85, 0.8, 0.3]
    gold = ["duplicate", "duplicate", "different", "duplicate", "different"]

    assert best_cosine_threshold(cosines=cosines, gold=gold) == 0.8


def test_split_is_stable_and_holds_out_about_the_promised_share():
    ids = [f"dev-{n:03d}" for n in range(1, 1001)]
    held_out = [pair_id for pair_id in ids if split_of(pair_id) == "holdout"]

    assert [split_of(pair_id) for pair_id in ids] == [split_of(pair_id) for pair_id in ids]
    assert abs(len(held_out) / len(ids) - HOLDOUT_PERCENT / 100) < 0.05
    assert {split_of(pair_id) for pair_id in ids} == {"holdout", "calibration"}


def test_select_split_partitions_the_pairs(tmp_path):
    path = tmp_path / "pairs.jsonl"
    records = [
        {
            "id": f"p{n}",
            "a": {"stem": "Q?", "options": ["x", "y"], "answer": 0},
            "b": {"stem": "Q again?", "options": None, "answer": "x"},
            "label": "duplicate",
            "kind": "duplicate/paraphrase",
        }
        for n in range(40)
    ]
    path.write_text("\n".join(json.dumps(record) for record in records) + "\n\n")

    pairs = read_pairs(path)
    calibration = select_split(pairs, "calibration")
    holdout = select_split(pairs, "holdout")

    assert len(pairs) == 40
    assert pairs[0].a == QuestionText("Q?", ("x", "y"), 0)
    assert pairs[0].b == QuestionText("Q again?", (), "x")
    assert pairs[0].b.answer_text == "x"
    assert sorted(p.id for p in calibration + holdout) == sorted(p.id for p in pairs)
    assert not {p.id for p in calibration} & {p.id for p in holdout}
    assert select_split(pairs, "all") == pairs
    with pytest.raises(ValueError, match="unknown split"):
        select_split(pairs, "test")


def test_summary_line_has_the_machine_readable_format():
    metrics = pair_metrics(
        gold=["duplicate", "variant"], predicted=["duplicate", "variant"], kinds=["a", "b"]
    )

    assert summary_line("judge", metrics) == (
        "judge: dup_f1=1.000 dup_precision=1.000 dup_recall=1.000 "
        "variant_flagged=0.000 different_flagged=0.000"
    )


def test_format_metrics_shows_confusion_matrix_and_kinds():
    metrics = pair_metrics(
        gold=["duplicate", "different"], predicted=["duplicate", "variant"], kinds=["a", "b"]
    )

    lines = format_metrics("judge", metrics)

    assert lines[0] == "judge: 2 pairs"
    assert lines[1] == "  duplicate precision 1.000  recall 1.000  F1 1.000"
    assert lines[2] == "  flagged as duplicate: variants 0.0%, different 0.0%"
    assert lines[5] == "    duplicate           1          0          0"
    assert lines[7] == "    different           0          1          0"
    assert lines[-2:] == [
        "    a                                            1 / 1   ",
        "    b                                            0 / 1   ",
    ]
