"""Validation of question input, shared by the form, the API and importers."""

import re
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from similarity.normalize import has_content, normalize_text

SOURCE_MAX_CHARS = 300  # Question.source's column width
# str.isdigit() also accepts "²", which int() refuses, and "٣", which it reads as 3.
_INDEX = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class CleanQuestion:
    stem: str
    options: list[str]
    answer_index: int | None
    answer_text: str

    @property
    def answer(self) -> int | str | None:
        """An option index, else the answer text (None when there is none)."""
        return self.answer_index if self.options else (self.answer_text or None)


def _limits() -> dict[str, int]:
    return settings.QUESTIONBANK


def is_valid_unicode(text: str) -> bool:
    """False for text holding lone surrogates, which JSON can carry as escapes.

    PostgreSQL, the tokenizer and every UTF-8 encoder refuse such text, so it
    has to be turned away before it reaches any of them.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean_text(value: Any, *, field: str, label: str, limit: int, needs_alnum: bool = True) -> str:
    if value is None:
        raise ValidationError({field: f"Enter the {label}."})
    if not isinstance(value, str):
        raise ValidationError({field: f"The {label} must be text."})
    if "\x00" in value:
        raise ValidationError({field: f"The {label} contains a NUL character."})
    if not is_valid_unicode(value):
        raise ValidationError(
            {field: f"The {label} contains characters that are not valid Unicode."}
        )
    text = value.strip()
    if not text:
        raise ValidationError({field: f"Enter the {label}."})
    if len(text) > limit:
        raise ValidationError(
            {field: f"The {label} is {len(text):,} characters long; the limit is {limit:,}."}
        )
    if needs_alnum and not has_content(text):
        raise ValidationError({field: f"The {label} needs at least one letter or digit."})
    return text


def _clean_options(options: Any) -> list[str]:
    limits = _limits()
    if options in (None, ""):
        return []
    if not isinstance(options, list | tuple):
        raise ValidationError({"options": "Options must be a list of texts."})
    cleaned = [
        _clean_text(
            option,
            field="options",
            label=f"option {number}",
            limit=limits["MAX_OPTION_CHARS"],
            # Operators such as "//" or "%" are fine options.
            needs_alnum=False,
        )
        for number, option in enumerate(options, start=1)
    ]
    if len(cleaned) == 1:
        raise ValidationError({"options": "A multiple-choice question needs at least two options."})
    if len(cleaned) > limits["MAX_OPTIONS"]:
        raise ValidationError(
            {"options": f"{len(cleaned)} options given; the limit is {limits['MAX_OPTIONS']}."}
        )
    seen = set()
    for option in cleaned:
        # Case is kept: "BB" and "Bb" are different genotypes.
        key = " ".join(option.split())
        if key in seen:
            raise ValidationError({"options": f"The option {option!r} appears twice."})
        seen.add(key)
    return cleaned


def _clean_answer(answer: Any, options: list[str]) -> tuple[int | None, str]:
    if not options:
        return None, _clean_open_answer(answer)

    if answer in (None, ""):
        raise ValidationError({"answer": "Choose which option is the correct answer."})
    if isinstance(answer, bool) or not isinstance(answer, str | int):
        raise ValidationError(
            {"answer": "The answer must be an option number or an option's text."}
        )
    index = answer if isinstance(answer, int) else _answer_index_of_text(answer, options)
    if not 0 <= index < len(options):
        raise ValidationError(
            {"answer": f"The answer index {index} is out of range (0 to {len(options) - 1})."}
        )
    return index, ""


def _clean_open_answer(answer: Any) -> str:
    if answer in (None, ""):
        return ""
    if isinstance(answer, bool) or not isinstance(answer, str | int | float):
        raise ValidationError({"answer": "The answer must be text."})
    text = str(answer).strip()
    if len(text) > _limits()["MAX_OPTION_CHARS"] or "\x00" in text:
        raise ValidationError({"answer": "The answer is too long or contains a NUL character."})
    if not is_valid_unicode(text):
        raise ValidationError(
            {"answer": "The answer contains characters that are not valid Unicode."}
        )
    return text


def _answer_index_of_text(answer: str, options: list[str]) -> int:
    """The option an answer given as text names.

    The options' text wins over reading digits as an index: with the options
    "1" to "4", the answer "2" is the option "2", not the third one.
    """
    if not is_valid_unicode(answer):
        raise ValidationError(
            {"answer": "The answer contains characters that are not valid Unicode."}
        )
    key = normalize_text(answer)
    for index, option in enumerate(options):
        if normalize_text(option) == key:
            return index

    digits = answer.strip()
    if not _INDEX.fullmatch(digits):
        raise ValidationError({"answer": "The answer is not one of the options."})
    significant = digits.lstrip("0") or "0"
    # More digits than the option count has cannot be in range; int() would also
    # refuse the longest ones, and a message should not quote them back.
    if len(significant) > len(str(len(options))):
        raise ValidationError(
            {"answer": f"The answer index is out of range (0 to {len(options) - 1})."}
        )
    return int(significant)


def source_clean(source: Any) -> str:
    """Where a question comes from (a file, a textbook): optional, short, one line of text."""
    if source is None or (isinstance(source, str) and not source.strip()):
        return ""
    return _clean_text(
        source, field="source", label="source", limit=SOURCE_MAX_CHARS, needs_alnum=False
    )


def question_clean(*, stem: Any, options: Any = None, answer: Any = None) -> CleanQuestion:
    """Check and tidy question input; raise ValidationError naming each bad field."""
    errors: dict[str, list[str]] = {}
    clean_stem = clean_options = None
    try:
        clean_stem = _clean_text(
            stem, field="stem", label="question text", limit=_limits()["MAX_STEM_CHARS"]
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        clean_options = _clean_options(options)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)

    answer_index, answer_text = _clean_answer(answer, clean_options)
    return CleanQuestion(clean_stem, clean_options, answer_index, answer_text)
