"""Text normalisation for exact-duplicate detection.

Two texts that differ only in Unicode form, case, white space, quote style or
markup normalise to the same string. The stored question text is never
changed; only its fingerprint is computed from the normalised form.
"""

import hashlib
import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
    }
)


def strip_markup(text: str) -> str:
    """Plain text of a fragment of HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub(" ", text))


def normalize_text(text: str) -> str:
    text = strip_markup(text)
    text = unicodedata.normalize("NFKC", text)
    text = text.translate(_QUOTES).casefold()
    return _SPACE.sub(" ", text).strip()


def has_content(text: str) -> bool:
    """Whether a text holds at least one letter or digit once markup is gone."""
    return any(ch.isalnum() for ch in normalize_text(text))


def question_fingerprint(stem: str, options: list[str] | tuple[str, ...] = ()) -> str:
    """Hash of the normalised stem and the normalised option set (order-free)."""
    parts = [normalize_text(stem)]
    parts.extend(sorted(normalize_text(option) for option in options))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
