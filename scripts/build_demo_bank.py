"""Rebuild questionbank/demo/questions.jsonl from the public source sets.

Usage: python scripts/build_demo_bank.py PATH/TO/data

PATH/TO/data holds MMLU (``mmlu/test/*.csv``, MIT) and the AI2 science
questions (``ai2-science-questions/*.jsonl``, Apache-2.0). Each output line is
one question: bank, stem, options, answer (index) and source.
"""

import csv
import json
import sys
from pathlib import Path

BANKS = {
    "Biology": ["high_school_biology", "college_biology", "anatomy"],
    "Chemistry": ["high_school_chemistry", "college_chemistry"],
    "Physics and Astronomy": ["high_school_physics", "conceptual_physics", "astronomy"],
    "Computer Science": [
        "high_school_computer_science",
        "college_computer_science",
        "computer_security",
    ],
    "Economics": ["high_school_macroeconomics", "high_school_microeconomics"],
    "Psychology": ["high_school_psychology"],
    "Nutrition": ["nutrition"],
    "Geography": ["high_school_geography"],
}
SCIENCE_BANK = "General Science (grades 4-8)"


def mmlu_rows(data: Path):
    for bank, subjects in BANKS.items():
        for subject in subjects:
            path = data / "mmlu" / "test" / f"{subject}_test.csv"
            with path.open(newline="", encoding="utf-8") as handle:
                for number, row in enumerate(csv.DictReader(handle), start=1):
                    yield {
                        "bank": bank,
                        "stem": row["question"],
                        "options": [row[f"choice{i}"] for i in range(4)],
                        "answer": int(row["answer"]),
                        "source": f"MMLU {subject} test #{number}",
                    }


def science_rows(data: Path):
    for path in sorted((data / "ai2-science-questions").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            choices = sorted(item["question"]["choices"], key=lambda c: c["label"])
            labels = [c["label"] for c in choices]
            yield {
                "bank": SCIENCE_BANK,
                "stem": item["question"]["stem"],
                "options": [c["text"] for c in choices],
                "answer": labels.index(item["answerKey"]),
                "source": f"AI2 science {item['id']}",
            }


def main() -> None:
    data = Path(sys.argv[1])
    out = Path(__file__).resolve().parent.parent / "questionbank" / "demo" / "questions.jsonl"
    rows = []
    for row in [*mmlu_rows(data), *science_rows(data)]:
        options = [" ".join(option.split()) for option in row["options"]]
        if len(set(options)) < len(options):
            print(f"skipped {row['source']}: an option appears twice")
            continue
        rows.append(row)
    with out.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"wrote {len(rows)} questions to {out}")


if __name__ == "__main__":
    main()
