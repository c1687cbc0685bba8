"""Time the live check end to end: a draft question against a real bank.

Starts its own embedded PostgreSQL in a temporary folder, loads banks of the
demo question bank through the real services, embeds them in-process, then
times, in this one process, on the same drafts:

- the raw-cosine path: embed the draft's stem, nearest-neighbour query;
- the product's check: ``duplicates_for_draft`` (exact match, search, judge).

    .venv/bin/python benchmarks/check_latency.py [--banks Biology,Economics] [--repeat 20]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from questionbank import stack  # noqa: E402

DRAFTS = [
    ("Biology", "In humans, where does the sperm normally fertilise the egg?",
     ["ovary", "fallopian tube", "uterus", "placenta"], 1),
    ("Biology", "Which organelle makes most of a cell's ATP?",
     ["ribosome", "mitochondrion", "nucleus", "vacuole"], 1),
    ("Economics", "If the supply curve of a good moves left, what happens to the price?",
     ["It rises", "It falls", "It stays the same", "It cannot be known"], 0),
    ("Economics", "What does GDP measure?", None, "the value of final goods and services produced"),
]  # fmt: skip


def timed(function, repeat: int) -> float:
    function()  # warm up
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--banks", default="Biology,Economics")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="qb-bench-"))
    os.environ["DATABASE_URL"] = stack.start_postgres(folder / "pgdata", database="bench")
    os.environ["REDIS_URL"] = "redis+socket:///nonexistent"  # nothing is queued here
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "questionbank.settings.dev")
    try:
        run(args.banks.split(","), args.repeat)
    finally:
        stack.stop_postgres(folder / "pgdata")


def run(bank_names: list[str], repeat: int) -> None:
    import django

    django.setup()
    import logging

    from django.core.management import call_command

    from questionbank.importers import DEMO_FILE, questions_import, read_jsonl
    from questionbank.models import Bank, Question
    from similarity.embedding import embed_texts
    from similarity.selectors import duplicates_for_draft, nearest_questions_query
    from similarity.services import questions_embed
    from similarity.types import QuestionText

    logging.getLogger("similarity.tasks").setLevel(logging.ERROR)
    call_command("migrate", verbosity=0)
    items = [item for item in read_jsonl(DEMO_FILE) if item["bank"] in bank_names]
    # Queueing fails fast without a broker; the questions are embedded below.
    questions_import(items=items, author=None)
    ids = list(Question.objects.values_list("pk", flat=True))
    started = time.perf_counter()
    for start in range(0, len(ids), 64):
        questions_embed(question_ids=ids[start : start + 64])
    embed_seconds = time.perf_counter() - started

    banks = {bank.name: bank.pk for bank in Bank.objects.all()}
    drafts = [
        (banks[name], QuestionText(stem, tuple(options or ()), answer))
        for name, stem, options, answer in DRAFTS
        if name in banks
    ]

    def raw_cosine() -> None:
        for bank_id, draft in drafts:
            vector = embed_texts([draft.stem]).vectors[0]
            list(nearest_questions_query(bank_id=bank_id, vector=vector))

    def product_check() -> None:
        for bank_id, draft in drafts:
            duplicates_for_draft(bank_id=bank_id, text=draft)

    raw_ms = timed(raw_cosine, repeat) / len(drafts)
    check_ms = timed(product_check, repeat) / len(drafts)
    print(
        f"bank: {len(ids)} questions ({', '.join(bank_names)}), embedded in {embed_seconds:.1f} s"
    )
    print(f"  ({len(ids) / embed_seconds:.0f} questions/s in one process, checks included)")
    print(f"median of {repeat} runs over {len(drafts)} drafts, per check:")
    print(f"  raw cosine (embed stem + HNSW query): {raw_ms:7.1f} ms")
    print(f"  duplicates_for_draft (exact + search + judge): {check_ms:7.1f} ms")
    print(f"  check / raw cosine: {check_ms / raw_ms:.2f}x")


if __name__ == "__main__":
    main()
