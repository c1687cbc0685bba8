"""Score the judge and a raw-cosine baseline on a labelled pairs file.

Needs no database: the pairs are read from the file and judged in memory.
The last line printed is machine-readable.
"""

import logging
import time

from django.core.management.base import BaseCommand, CommandError

from similarity.evaluation import (
    SPLITS,
    best_cosine_threshold,
    format_metrics,
    pair_metrics,
    read_pairs,
    select_split,
    summary_line,
)
from similarity.judge import judge_pairs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    # The command reads a file and a model only; URL and model checks would make it
    # depend on the web app being importable.
    requires_system_checks = []
    help = "Compare the duplicate judge with raw cosine similarity on labelled pairs (JSONL)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="pairs file, one JSON object per line")
        parser.add_argument(
            "--split",
            choices=SPLITS,
            default="all",
            help="evaluate all pairs, or only the calibration or held-out part (by id hash)",
        )
        parser.add_argument(
            "--show-errors", action="store_true", help="list every pair the judge gets wrong"
        )

    def handle(self, *args, **options):
        try:
            pairs = select_split(read_pairs(options["file"]), options["split"])
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        if not pairs:
            raise CommandError("no pairs to evaluate")

        started = time.monotonic()
        verdicts = judge_pairs([(pair.a, pair.b) for pair in pairs])
        elapsed = time.monotonic() - started
        gold = [pair.label for pair in pairs]
        kinds = [pair.kind for pair in pairs]
        judge = pair_metrics(gold=gold, predicted=[v.label for v in verdicts], kinds=kinds)

        # Verdict.cosine is the raw cosine of the two embedding texts: the baseline.
        cosines = [verdict.cosine for verdict in verdicts]
        threshold = best_cosine_threshold(cosines=cosines, gold=gold)
        baseline = pair_metrics(
            gold=gold,
            predicted=["duplicate" if c >= threshold else "different" for c in cosines],
            kinds=kinds,
        )

        write = self.stdout.write
        write(f"{len(pairs)} pairs ({options['split']}), judged in {elapsed:.1f} s")
        for line in format_metrics("judge", judge):
            write(line)
        for line in format_metrics(f"raw cosine >= {threshold:.3f} (best on this file)", baseline):
            write(line)
        if options["show_errors"]:
            for pair, verdict in zip(pairs, verdicts, strict=True):
                if (verdict.label == "duplicate") != (pair.label == "duplicate"):
                    write(f"  wrong {pair.id} {pair.kind}: {verdict.label} {verdict.score:.2f}")
                    write(f"    {'; '.join(verdict.reasons)}")
        write(summary_line("baseline", baseline))
        write(summary_line("judge", judge))
