"""Plain values shared by the judge, the search and the services."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class QuestionText:
    """A question as the detector sees it: no database, no ids."""

    stem: str
    options: tuple[str, ...] = ()
    # Index into options, or the answer's text for open questions.
    answer: int | str | None = None

    @property
    def answer_text(self) -> str | None:
        if isinstance(self.answer, int) and 0 <= self.answer < len(self.options):
            return self.options[self.answer]
        if isinstance(self.answer, str):
            return self.answer
        return None


LABELS = ("duplicate", "variant", "different")


@dataclass(frozen=True)
class Verdict:
    label: str  # one of LABELS
    score: float  # the judge's confidence that the pair is a duplicate, 0..1
    cosine: float  # raw cosine similarity of the two embedding texts
    reasons: tuple[str, ...] = field(default_factory=tuple)
    low_confidence: bool = False

    @property
    def is_duplicate(self) -> bool:
        return self.label == "duplicate"
