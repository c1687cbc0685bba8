"""Time one duplicate check: a new question against 10 candidates.

Compares the judge with the raw-cosine path it replaces, both measured in this
process on the same texts: embed the new question, then either threshold the
cosines or hand the candidates to judge_candidates. Touches no database.

    .venv/bin/python benchmarks/judge_cost.py [--repeat 30]
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questionbank.settings.dev")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402

from similarity import judge  # noqa: E402
from similarity.embedding import embed_texts, get_encoder  # noqa: E402
from similarity.judge import embedding_text, judge_candidates  # noqa: E402
from similarity.types import QuestionText  # noqa: E402

NEW = QuestionText(
    "A student pushes a 10 kg box across a level floor with a force of 50 N. The floor "
    "exerts a friction force of 20 N on the box. What is the acceleration of the box?",
    ("1 m/s²", "2 m/s²", "3 m/s²", "5 m/s²"),
    2,
)
CANDIDATES = [
    QuestionText(
        "A 10 kg box is pushed along a level floor with a 50 N force while friction acts on it "
        "with 20 N. How fast does the box accelerate?",
        ("3 m/s²", "1 m/s²", "5 m/s²", "2 m/s²"),
        0,
    ),
    QuestionText(
        "A student pushes a 12 kg box across a level floor with a force of 60 N. The floor "
        "exerts a friction force of 24 N on the box. What is the acceleration of the box?",
        ("1 m/s²", "2 m/s²", "3 m/s²", "5 m/s²"),
        2,
    ),
    QuestionText(
        "A student pushes a 10 kg box across a level floor with a force of 50 N. The floor "
        "exerts a friction force of 20 N on the box. What is the net force on the box?",
        ("20 N", "30 N", "50 N", "70 N"),
        1,
    ),
    QuestionText("Which force opposes the motion of a box sliding across a floor?", (), "friction"),
    QuestionText(
        "Which of the following is true?",
        ("Mass is measured in newtons.", "Force equals mass times acceleration."),
        1,
    ),
    QuestionText(
        "What is the acceleration of a 5 kg cart pushed with a net force of 15 N?",
        ("1 m/s²", "2 m/s²", "3 m/s²", "5 m/s²"),
        2,
    ),
    QuestionText("What is the SI unit of force?", ("joule", "newton", "watt", "pascal"), 1),
    QuestionText(
        "A box is NOT accelerating. Which statement about the forces on it is true?",
        ("They are balanced.", "They are unbalanced.", "Only gravity acts.", "No force acts."),
        0,
    ),
    QuestionText(
        "A student pulls a 10 kg sled across snow with a force of 50 N. What is the work done "
        "over 3 m?",
        (),
        "150",
    ),
    QuestionText("Friction between two surfaces produces which form of energy?", (), "heat"),
]


# The raw-cosine baseline's best single threshold on the dev pairs (evaluate_pairs).
RAW_COSINE_THRESHOLD = 0.76


def raw_cosine_check(vectors: np.ndarray) -> list[bool]:
    new = embed_texts([embedding_text(NEW)]).vectors[0]
    return list(vectors @ new >= RAW_COSINE_THRESHOLD)


def judge_check(vectors: np.ndarray) -> list[str]:
    new = embed_texts([embedding_text(NEW)]).vectors[0]
    verdicts = judge_candidates(NEW, new, list(zip(CANDIDATES, vectors, strict=True)))
    return [verdict.label for verdict in verdicts]


def judge_check_cold(vectors: np.ndarray) -> list[str]:
    """As judge_check, with no option or answer vector cached from earlier checks."""
    judge._cache.clear()
    return judge_check(vectors)


def timed(check, vectors: np.ndarray, repeat: int) -> list[float]:
    check(vectors)  # warm up torch kernels
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        check(vectors)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    repeat = parser.parse_args().repeat

    get_encoder()
    vectors = embed_texts([embedding_text(q) for q in CANDIDATES]).vectors
    baseline = timed(raw_cosine_check, vectors, repeat)
    cold = timed(judge_check_cold, vectors, repeat)
    warm = timed(judge_check, vectors, repeat)
    base_ms = statistics.median(baseline)
    cold_ms, warm_ms = statistics.median(cold), statistics.median(warm)

    print(f"one new question against {len(CANDIDATES)} candidates, median of {repeat} runs")
    print(f"  raw cosine path:   {base_ms:8.2f} ms per check (embed the new stem, threshold)")
    print(f"  judge, cold cache: {cold_ms:8.2f} ms per check (every option embedded anew)")
    print(f"  judge, warm cache: {warm_ms:8.2f} ms per check (candidates' options seen before)")
    print(f"  judge / raw cosine: cold {cold_ms / base_ms:.2f}x, warm {warm_ms / base_ms:.2f}x")
    print(f"  labels: {', '.join(judge_check(vectors))}")


if __name__ == "__main__":
    main()
