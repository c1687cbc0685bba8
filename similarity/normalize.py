"""Text normalisation for exact-duplicate detection.

Two texts that differ only in Unicode form, case, white space, quote style,
markup, spacing around symbols, final punctuation or a trailing answering
instruction ("Choose one.") normalise to the same key. The stored question
text is never changed; only its fingerprint is computed from the normalised
form.
"""

import hashlib
import html
import re
import unicodedata

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
# Space next to a symbol is typography, not content: "desk ?" and "desk?",
# "25 °C" and "25°C", "Px ∨ ~Dx" and "Px∨~Dx" read the same.
_SPACE_BY_SYMBOL = re.compile(r"\s+(?=[^\w\s])|(?<=[^\w\s])\s+")
_TRAILING_PUNCTUATION = re.compile(r"[\s.,;:!?\-]+$")
# "2,5" but not "1,000" (thousands), "1,2,3" (a list), "3, 4" (two numbers) or "(1,2)"
# (a point or an interval).
_DECIMAL_COMMA = re.compile(r"(?<![\d.,(\[{])(\d+),(\d+)(?!\d|[.,]\d)")
# Instructions some banks append to every stem; they never change the question.
_TRAILING_INSTRUCTION = re.compile(
    r"[\s(\[]*(?:please\s+)?(?:choose|select|pick|circle|mark)\s+"
    r"(?:one|the\s+(?:best|correct|right)\s+(?:answer|option|one))[\s.!)\]]*$"
)
# Characters that render as nothing and only ever arrive by copy and paste.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_TYPOGRAPHY = str.maketrans(
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
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
    }
)


def strip_markup(text: str) -> str:
    """Plain text of a fragment of HTML: tags removed, entities decoded."""
    return html.unescape(_TAG.sub(" ", text))


def normalize_text(text: str) -> str:
    # NFKC folds full-width digits and composes NFD accents ("n" + U+0303 → "ñ").
    text = unicodedata.normalize("NFKC", strip_markup(text))
    text = text.translate(_INVISIBLE).translate(_TYPOGRAPHY).casefold()
    text = _SPACE.sub(" ", text).strip()
    return _SPACE_BY_SYMBOL.sub("", text)


def comparison_key(text: str) -> str:
    """The normalised text without its final punctuation or answering instruction."""
    text = normalize_text(text)
    text = _TRAILING_INSTRUCTION.sub("", text)
    return _TRAILING_PUNCTUATION.sub("", text)


def fold_decimal_commas(text: str) -> str:
    """ "2,5" becomes "2.5"; a comma before exactly three digits stays a thousands separator.

    Reads plain text: normalize_text drops the space in "3, 4", which would turn a list
    into a decimal.
    """
    return _DECIMAL_COMMA.sub(_decimal_point, text)


def _decimal_point(match: re.Match) -> str:
    whole, fraction = match.groups()
    return match.group(0) if len(fraction) == 3 else f"{whole}.{fraction}"


def has_content(text: str) -> bool:
    """Whether a text holds at least one letter or digit once markup is gone."""
    return any(ch.isalnum() for ch in normalize_text(text))


def question_fingerprint(stem: str, options: list[str] | tuple[str, ...] = ()) -> str:
    """Hash of the normalised stem and the normalised option set (order-free).

    Stored as Question.normalized_hash: a change here needs a migration that
    recomputes the stored hashes (see questionbank/migrations/0003).
    """
    parts = [comparison_key(fold_decimal_commas(stem))]
    parts.extend(sorted(comparison_key(fold_decimal_commas(option)) for option in options))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
