"""Scoring the judge against labelled question pairs.

Pure functions: reading a pairs file, splitting it, computing metrics and
rendering them. evaluate_pairs and the tests call the same code.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from similarity.types import LABELS, QuestionText

SPLITS = ("all", "calibration", "holdout")
# Share of pairs, by hash of their id, kept out of calibration.
HOLDOUT_PERCENT = 30


@dataclass(frozen=True)
class LabelledPair:
    id: str
    a: QuestionText
    b: QuestionText
    label: str
    kind: str


@dataclass(frozen=True)
class Metrics:
    pairs: int
    dup_precision: float
    dup_recall: float
    dup_f1: float
    variant_flagged: float  # share of variant pairs labelled duplicate
    different_flagged: float  # share of different pairs labelled duplicate
    confusion: dict[tuple[str, str], int]  # (gold label, predicted label) -> pairs
    by_kind: dict[str, tuple[int, int]]  # kind -> (pairs, labelled duplicate)


def read_pairs(path: str | Path) -> list[LabelledPair]:
    pairs = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            pairs.append(
                LabelledPair(
                    id=str(record.get("id", number)),
                    a=question_from_record(record["a"]),
                    b=question_from_record(record["b"]),
                    label=record["label"],
                    kind=record.get("kind") or record["label"],
                )
            )
    return pairs


def question_from_record(record: dict) -> QuestionText:
    return QuestionText(
        stem=record["stem"], options=tuple(record.get("options") or ()), answer=record.get("answer")
    )


def split_of(pair_id: str) -> str:
    """ "holdout" for about HOLDOUT_PERCENT of ids, "calibration" for the rest; stable."""
    bucket = int(hashlib.sha256(pair_id.encode()).hexdigest()[:8], 16) % 100
    return "holdout" if bucket < HOLDOUT_PERCENT else "calibration"


def select_split(pairs: list[LabelledPair], split: str) -> list[LabelledPair]:
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; choose one of {', '.join(SPLITS)}")
    if split == "all":
        return list(pairs)
    return [pair for pair in pairs if split_of(pair.id) == split]


def pair_metrics(*, gold: list[str], predicted: list[str], kinds: list[str]) -> Metrics:
    """Duplicate detection metrics: only the label "duplicate" counts as flagged."""
    if not len(gold) == len(predicted) == len(kinds):
        raise ValueError("gold, predicted and kinds must have the same length")

    confusion = Counter(zip(gold, predicted, strict=True))
    flagged = Counter(g for g, p in zip(gold, predicted, strict=True) if p == "duplicate")
    totals = Counter(gold)
    true_positive = flagged["duplicate"]
    precision = _ratio(true_positive, sum(flagged.values()))
    recall = _ratio(true_positive, totals["duplicate"])
    f1 = _ratio(2 * precision * recall, precision + recall)

    by_kind: dict[str, tuple[int, int]] = {}
    for kind, label in zip(kinds, predicted, strict=True):
        count, dups = by_kind.get(kind, (0, 0))
        by_kind[kind] = (count + 1, dups + (label == "duplicate"))

    return Metrics(
        pairs=len(gold),
        dup_precision=precision,
        dup_recall=recall,
        dup_f1=f1,
        variant_flagged=_ratio(flagged["variant"], totals["variant"]),
        different_flagged=_ratio(flagged["different"], totals["different"]),
        confusion=dict(confusion),
        by_kind=dict(sorted(by_kind.items())),
    )


def best_cosine_threshold(*, cosines: list[float], gold: list[str]) -> float:
    """The single cosine threshold that maximises duplicate F1 (ties: the higher one)."""
    best_threshold, best_f1 = 1.0, -1.0
    for threshold in sorted(set(cosines), reverse=True):
        predicted = ["duplicate" if c >= threshold else "different" for c in cosines]
        f1 = pair_metrics(gold=gold, predicted=predicted, kinds=gold).dup_f1
        if f1 > best_f1:
            best_threshold, best_f1 = threshold, f1
    return best_threshold


def format_metrics(name: str, metrics: Metrics) -> list[str]:
    """A human-readable block: headline figures, confusion matrix, per-kind flags."""
    lines = [
        f"{name}: {metrics.pairs} pairs",
        f"  duplicate precision {metrics.dup_precision:.3f}  recall {metrics.dup_recall:.3f}  "
        f"F1 {metrics.dup_f1:.3f}",
        f"  flagged as duplicate: variants {metrics.variant_flagged:.1%}, "
        f"different {metrics.different_flagged:.1%}",
        "  confusion (rows gold, columns predicted):",
        "    " + " " * 10 + "".join(f"{label:>11}" for label in LABELS),
    ]
    for gold in LABELS:
        cells = "".join(f"{metrics.confusion.get((gold, p), 0):>11}" for p in LABELS)
        lines.append(f"    {gold:<10}{cells}")
    lines.append("  labelled duplicate, by kind:")
    for kind, (count, dups) in metrics.by_kind.items():
        lines.append(f"    {kind:<42}{dups:>4} / {count:<4}")
    return lines


def summary_line(name: str, metrics: Metrics) -> str:
    return (
        f"{name}: dup_f1={metrics.dup_f1:.3f} dup_precision={metrics.dup_precision:.3f} "
        f"dup_recall={metrics.dup_recall:.3f} variant_flagged={metrics.variant_flagged:.3f} "
        f"different_flagged={metrics.different_flagged:.3f}"
    )


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0
