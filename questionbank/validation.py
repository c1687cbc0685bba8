"""Validation of question input, shared by the form, the API and importers."""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from similarity.normalize import has_content, normalize_text


@dataclass(frozen=True)
class CleanQuestion:
    stem: str
    options: list[str]
    answer_index: int | None
    answer_text: str


def _limits() -> dict[str, int]:
    return settings.QUESTIONBANK


def _clean_text(value: Any, *, field: str, label: str, limit: int, needs_alnum: bool = True) -> str:
    if value is None:
        raise ValidationError({field: f"Enter the {label}."})
    if not isinstance(value, str):
        raise ValidationError({field: f"The {label} must be text."})
    if "\x00" in value:
        raise ValidationError({field: f"The {label} contains a NUL character."})
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
        if answer in (None, ""):
            return None, ""
        if isinstance(answer, bool) or not isinstance(answer, str | int | float):
            raise ValidationError({"answer": "The answer must be text."})
        text = str(answer).strip()
        if len(text) > _limits()["MAX_OPTION_CHARS"] or "\x00" in text:
            raise ValidationError({"answer": "The answer is too long or contains a NUL character."})
        return None, text

    if answer in (None, ""):
        raise ValidationError({"answer": "Choose which option is the correct answer."})
    if isinstance(answer, bool):
        raise ValidationError(
            {"answer": "The answer must be an option number or an option's text."}
        )
    if isinstance(answer, int):
        index = answer
    elif isinstance(answer, str) and answer.strip().isdigit():
        index = int(answer.strip())
    elif isinstance(answer, str):
        matches = [
            i
            for i, option in enumerate(options)
            if normalize_text(option) == normalize_text(answer)
        ]
        if not matches:
            raise ValidationError({"answer": "The answer is not one of the options."})
        index = matches[0]
    else:
        raise ValidationError(
            {"answer": "The answer must be an option number or an option's text."}
        )
    if not 0 <= index < len(options):
        raise ValidationError(
            {"answer": f"The answer index {index} is out of range (0 to {len(options) - 1})."}
        )
    return index, ""


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
