"""The duplicate judge: two questions in, a labelled verdict out.

Raw cosine similarity of two stems cannot tell a duplicate from its negation,
from the same template with other numbers, or from a generic stem ("Which of
the following is true?") with other options: all of them score near 1. The
judge therefore reads the whole question. Rules that prove two questions
differ (numbers, ordinals, negation, opposite terms, a swapped slot, unrelated
options, a different final question, a different correct answer) are checked
first; what survives is scored from the stem, option-set and answer
similarities and compared against one threshold. A pair the rules set apart
is a variant only when it is one template with a slot filled differently;
otherwise it is different.

Pure functions over text and vectors: no database, so the worker, the live
check, bulk loading and evaluate_pairs all share it. In every pair the first
question is the new one and the second the one already in the bank.
"""

import difflib
import logging
import os
import re
import threading
import unicodedata
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import numpy as np

from similarity.conf import get_setting
from similarity.embedding import embed_texts, resolve_model_path
from similarity.normalize import (
    comparison_key,
    fold_decimal_commas,
    normalize_text,
    strip_markup,
)
from similarity.types import QuestionText, Verdict

logger = logging.getLogger(__name__)

Lookup = Callable[[str], np.ndarray]

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_NUMBER = re.compile(r"\d+(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
# A word mixing letters and digits: a formula or a code (H2O, C6H5OH, 52Cr, x2, 5kg), or
# the count after a group in a formula (the ")2" of Mg(OH)2).
_CODED_WORD = re.compile(r"[^\W_]*(?:\d[^\W\d_]|[^\W\d_]\d)[^\W_]*|\)\d+")
_ANY_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NUMERIC_ANSWER = re.compile(r"[$€£]?-?[\d,]*\.?\d+ ?%?")
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=\S)")
_SPACE = re.compile(r"\s+")
# "A) ", "(b) ", "C. " after a space: an option label typed into the stem.
_INLINE_OPTION = re.compile(r"(?:^|\s)\(?([A-Ha-h])[).]\s")

# "one" is left out: "which one of", "one way to" are not quantities.
_NUMBER_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "zero _ two three four five six seven eight nine ten eleven twelve thirteen "
        "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
    )
    if word != "_"
} | {
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "sixty": "60",
    "seventy": "70",
    "eighty": "80",
    "ninety": "90",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
}
_ORDINAL_WORDS = {
    word: str(value)
    for value, word in enumerate(
        "_ first second third fourth fifth sixth seventh eighth ninth tenth eleventh "
        "twelfth".split()
    )
    if word != "_"
}
_ORDINAL_DIGITS = re.compile(r"(\d+)(?:st|nd|rd|th)")
_NEGATIONS = {"not", "no", "never", "none", "nor", "neither", "cannot", "except", "nothing"}
# Opposites that flip a question's meaning while keeping its template. Generic
# comparatives, directions and processes only; subject vocabulary stays out.
_OPPOSITES = [
    ("most", "least"),
    ("more", "less"),
    ("more", "fewer"),
    ("greatest", "least"),
    ("greatest", "smallest"),
    ("greatest", "lowest"),
    ("greater", "smaller"),
    ("greater", "less"),
    ("largest", "smallest"),
    ("larger", "smaller"),
    ("highest", "lowest"),
    ("higher", "lower"),
    ("high", "low"),
    ("longest", "shortest"),
    ("longer", "shorter"),
    ("long", "short"),
    ("thickest", "thinnest"),
    ("thicker", "thinner"),
    ("fastest", "slowest"),
    ("faster", "slower"),
    ("strongest", "weakest"),
    ("stronger", "weaker"),
    ("heaviest", "lightest"),
    ("heavier", "lighter"),
    ("hottest", "coldest"),
    ("hotter", "colder"),
    ("warmest", "coldest"),
    ("warmer", "cooler"),
    ("best", "worst"),
    ("better", "worse"),
    ("maximum", "minimum"),
    ("increase", "decrease"),
    ("increase", "reduce"),
    ("rise", "fall"),
    ("rise", "set"),
    ("gain", "loss"),
    ("gain", "lose"),
    ("add", "remove"),
    ("before", "after"),
    ("above", "below"),
    ("inside", "outside"),
    ("inner", "outer"),
    ("internal", "external"),
    ("first", "last"),
    ("true", "false"),
    ("correct", "incorrect"),
    ("always", "never"),
    ("positive", "negative"),
    ("surplus", "deficit"),
    ("subsidy", "tax"),
    ("subsidize", "tax"),
    ("import", "export"),
    ("absorb", "release"),
    ("expand", "contract"),
    ("accept", "reject"),
    ("valid", "invalid"),
    ("dominant", "recessive"),
    ("renewable", "nonrenewable"),
    ("north", "south"),
    ("east", "west"),
]
_STOPWORDS = set(
    "a an the of in on at to for from by with about as into onto over under than then and or "
    "but if so is are was were be been being am do does did done has have had having will would "
    "shall should can could may might must which what who whom whose where when why how that "
    "this these those there here it its it's they them their he him his she her we us our you "
    "your i me my following following: best most likely each every all some any one its".split()
)
# Words that mean the same in a question; the model knows it, the rules must be told.
_EQUIVALENTS = {
    "fewer": "less",
    "whilst": "while",
    "amongst": "among",
    "toward": "towards",
    "altogether": "total",
    "combined": "total",
    "together": "total",
}
_SUFFIXES = ("ingly", "edly", "ing", "ies", "ied", "est", "er", "ed", "es", "ly", "s", "e")


def embedding_text(question: QuestionText) -> str:
    """The text whose embedding is stored for a question and searched on.

    Only the stem: options would pull a paraphrase that drops its options (an
    open question) away from its multiple-choice twin, and candidate search is
    tuned for recall; the judge compares the options itself.
    """
    return " ".join(strip_markup(question.stem).split())


@dataclass(frozen=True)
class _Profile:
    """What the rules need from one question, computed once."""

    question: QuestionText
    key: str
    words: tuple[str, ...]
    roots: Counter
    numbers: Counter
    ordinals: Counter
    negations: int
    tail: str
    tail_key: str
    passage: tuple[str, ...]
    options: tuple[str, ...]
    option_keys: tuple[str, ...]
    answer: str | None
    answer_key: str | None
    script: str | None  # the dominant script when it is not Latin


def judge_pair(
    a: QuestionText, b: QuestionText, *, a_vector: np.ndarray, b_vector: np.ndarray
) -> Verdict:
    """Judge a new question a against a question b already in the bank."""
    new, old = _profile(a), _profile(b)
    lookup = _embedded(_texts_needed(new, old))
    return _decide(new, old, cosine=_cosine(a_vector, b_vector), lookup=lookup)


def judge_candidates(
    new: QuestionText, new_vector: np.ndarray, candidates: list[tuple[QuestionText, np.ndarray]]
) -> list[Verdict]:
    """Judge a new question against its search candidates with one extra model call."""
    profile = _profile(new)
    others = [_profile(question) for question, _ in candidates]
    texts = [text for other in others for text in _texts_needed(profile, other)]
    lookup = _embedded(texts)

    return [
        _decide(profile, other, cosine=_cosine(new_vector, vector), lookup=lookup)
        for other, (_, vector) in zip(others, candidates, strict=True)
    ]


def judge_pairs(pairs: list[tuple[QuestionText, QuestionText]]) -> list[Verdict]:
    """Judge many pairs with two batched model calls (stems, then the rest)."""
    if not pairs:
        return []
    stems = [embedding_text(question) for pair in pairs for question in pair]
    vectors = _embedded_into(list(dict.fromkeys(stems)), {})
    profiles = [(_profile(a), _profile(b)) for a, b in pairs]
    texts = [text for new, old in profiles for text in _texts_needed(new, old)]
    lookup = _embedded(texts, known=vectors)

    return [
        _decide(
            new,
            old,
            cosine=_cosine(vectors[embedding_text(a)], vectors[embedding_text(b)]),
            lookup=lookup,
        )
        for (new, old), (a, b) in zip(profiles, pairs, strict=True)
    ]


def judge_texts(question: QuestionText) -> list[str]:
    """The texts besides the stem whose vectors the judge may need: options, answer."""
    profile = _profile(question)
    texts = list(profile.options)
    if profile.answer:
        texts.append(profile.answer)
    return list(dict.fromkeys(texts))


def remember_vectors(texts: list[str], vectors: np.ndarray) -> None:
    """Hand the judge vectors computed earlier (stored with a question) for reuse."""
    for text, vector in zip(texts, vectors, strict=True):
        _cache_put(text, np.asarray(vector, dtype=np.float32))


@dataclass(frozen=True)
class JudgeEmbeddings:
    vectors: np.ndarray  # of each question's embedding text
    truncated: list[bool]
    extras: list[np.ndarray]  # of each question's judge_texts, in order


def embed_for_judging(questions: list[QuestionText]) -> JudgeEmbeddings:
    """Embed the questions' embedding texts, options and answers in one model call.

    One large batch is much cheaper than the many small calls the judge would
    otherwise make later; the extra vectors are cached here and can be stored
    with each question so that checks against it need no model call.
    """
    stems = [embedding_text(question) for question in questions]
    per_question = [judge_texts(question) for question in questions]
    extras = [
        text
        for text in dict.fromkeys(t for texts in per_question for t in texts)
        if _cache_get(text) is None
    ]
    encoded = embed_texts(stems + extras)
    remember_vectors(extras, encoded.vectors[len(stems) :])

    dimension = encoded.vectors.shape[1]
    extra_vectors = [
        np.stack([_cache_get(text) for text in texts])
        if texts
        else np.zeros((0, dimension), dtype=np.float32)
        for texts in per_question
    ]
    return JudgeEmbeddings(
        encoded.vectors[: len(stems)], encoded.truncated[: len(stems)], extra_vectors
    )


def _decide(a: _Profile, b: _Profile, *, cosine: float, lookup: Lookup) -> Verdict:
    if not a.key or not b.key:
        return Verdict("different", 0.0, cosine, ("no text to compare",))
    if a.key == b.key and sorted(a.option_keys) == sorted(b.option_keys):
        return _identical(a, b, cosine)

    raw_cosine = cosine
    script = a.script or b.script
    low_confidence = False
    notes: list[str] = []
    if script:
        routed = _multilingual_cosine(a.question, b.question)
        if routed is None:
            low_confidence = True
            notes.append(
                f"{script} script: the model reads it poorly, so wording similarity is not "
                "trusted (set MULTILINGUAL_MODEL to compare such text)"
            )
        else:
            notes.append(f"{script} script: compared with the multilingual model")
            cosine = routed

    options = _option_match(a, b, lookup)
    answer, answer_reason = _answer_relation(a, b, options, lookup)
    option_block = _options_block(a, b, cosine=cosine, options=options)
    blocks = _blocking_reasons(
        a, b, cosine=cosine, answer=answer, option_block=option_block, lookup=lookup
    )
    blocks = _settled(a, b, blocks, option_block=option_block)
    score = _score(cosine=cosine, options=options, answer=answer)
    reasons = [reason for _, reason in blocks]
    if answer_reason:
        reasons.append(answer_reason)
    reasons.extend(_support_reasons(cosine=cosine, options=options, a=a, b=b))
    reasons.extend(notes)

    if blocks:
        label = blocks[0][0]
        score = min(score * get_setting("JUDGE_BLOCKED_SCORE_FACTOR"), score)
    elif low_confidence and _same_choice(a, b):
        # The options and the marked answer are compared as text, which needs no model.
        label = "duplicate"
        reasons.insert(
            0, "same options and correct answer: the match rests on them, not on wording"
        )
    elif _confirmed(score=score, cosine=cosine, answer=answer) and not low_confidence:
        label = "duplicate"
    else:
        label = "different"
        if low_confidence and _confirmed(score=score, cosine=cosine, answer=answer):
            reasons.insert(0, "possible duplicate by wording alone, not confirmed")

    return Verdict(label, round(score, 4), raw_cosine, tuple(reasons), low_confidence)


def _same_choice(a: _Profile, b: _Profile) -> bool:
    """The same option set, as normalised text, with the same option marked correct."""
    if len(a.option_keys) < get_setting("JUDGE_SCRIPT_MIN_OPTIONS"):
        # Two options (true/false, yes/no) are shared by unrelated questions.
        return False
    same_set = sorted(a.option_keys) == sorted(b.option_keys)
    return same_set and a.answer_key is not None and a.answer_key == b.answer_key


def _confirmed(*, score: float, cosine: float, answer: str) -> bool:
    """A high score, and wording close enough unless the correct answers agree."""
    if score < get_setting("JUDGE_DUPLICATE_SCORE"):
        return False
    # Identical options alone say little: variants and negations keep them.
    return answer == "same" or cosine >= get_setting("JUDGE_STEM_MIN_COSINE")


IDENTICAL = "identical after normalisation"
ANSWER_KEY_CONFLICT = "the marked correct answers differ: check the answer key"


def exact_verdict(a: QuestionText, b: QuestionText) -> Verdict:
    """The verdict on two questions with the same fingerprint, without the model.

    Save-time exact flags and the live check use it, so an exact pair whose
    answer keys disagree says so wherever it is found.
    """
    return _exact(_profile(a), _profile(b))


def _exact(a: _Profile, b: _Profile) -> Verdict:
    reasons = [IDENTICAL]
    known = a.answer_key is not None and b.answer_key is not None
    if known and a.answer_key != b.answer_key:
        reasons.append(ANSWER_KEY_CONFLICT)
    return Verdict("duplicate", 1.0, 1.0, tuple(reasons))


def _identical(a: _Profile, b: _Profile, cosine: float) -> Verdict:
    """As _exact, with the measured cosine, and noting options in another order."""
    reasons = list(_exact(a, b).reasons)
    known = a.answer_key is not None and b.answer_key is not None
    if ANSWER_KEY_CONFLICT not in reasons and a.option_keys != b.option_keys:
        reasons.append("options reordered" + (", same correct answer" if known else ""))
    return Verdict("duplicate", 1.0, cosine, tuple(reasons))


@dataclass(frozen=True)
class _OptionMatch:
    overlap: float  # mean similarity of matched options, unmatched ones counting 0
    pairs: dict[int, tuple[int, float]]  # a's option index -> (b's option index, similarity)


def _option_match(a: _Profile, b: _Profile, lookup: Lookup) -> _OptionMatch | None:
    """Match the two option sets one to one, most similar first; order is irrelevant."""
    if not a.options or not b.options:
        return None

    scored = []
    for i, (text_a, key_a) in enumerate(zip(a.options, a.option_keys, strict=True)):
        for j, (text_b, key_b) in enumerate(zip(b.options, b.option_keys, strict=True)):
            similarity = _option_similarity(text_a, key_a, text_b, key_b, lookup)
            scored.append((similarity, key_a == key_b, i, j))
    # The same text goes first among equals: short options in a script the model reads
    # poorly all embed alike, and 巴黎 must pair with 巴黎, not with 罗马.
    scored.sort(reverse=True)

    pairs: dict[int, tuple[int, float]] = {}
    used: set[int] = set()
    for similarity, _, i, j in scored:
        if i not in pairs and j not in used:
            pairs[i] = (j, similarity)
            used.add(j)
    total = sum(similarity for _, similarity in pairs.values())

    return _OptionMatch(total / max(len(a.options), len(b.options)), pairs)


def _option_similarity(text_a: str, key_a: str, text_b: str, key_b: str, lookup: Lookup) -> float:
    if key_a == key_b:
        return 1.0
    figures_a, figures_b = _figures_in(key_a), _figures_in(key_b)
    # "2,675" and "2,800", or "CH4" and "CH3", embed close together but are different answers.
    if (figures_a or figures_b) and figures_a != figures_b:
        return 0.0
    return max(0.0, _cosine(lookup(text_a), lookup(text_b)))


def _answer_relation(
    a: _Profile, b: _Profile, options: _OptionMatch | None, lookup: Lookup
) -> tuple[str, str]:
    """Whether the correct answers agree: "same", "differs", "uncertain" or "unknown"."""
    if a.answer_key is None or b.answer_key is None:
        return "unknown", ""
    same = ("same", f"same correct answer: {_quote(a.answer)}")
    differs = ("differs", f"correct answers differ: {_quote(a.answer)} vs {_quote(b.answer)}")
    uncertain = (
        "uncertain",
        f"correct answers may differ: {_quote(a.answer)} vs {_quote(b.answer)}",
    )
    if a.answer_key == b.answer_key:
        return same

    figures_a, figures_b = _figures_in(a.answer_key), _figures_in(b.answer_key)
    if figures_a != figures_b and (figures_a or figures_b):
        return differs
    if _NUMERIC_ANSWER.fullmatch(a.answer_key) or _NUMERIC_ANSWER.fullmatch(b.answer_key):
        return same if figures_a == figures_b else differs
    if options is not None:
        index_a, index_b = a.question.answer, b.question.answer
        match = options.pairs.get(index_a) if isinstance(index_a, int) else None
        if match and match[0] == index_b:
            similarity = match[1]
            if similarity >= get_setting("JUDGE_OPTION_SAME"):
                return same
            return uncertain if similarity >= get_setting("JUDGE_ANSWER_UNCERTAIN") else differs
        # b offers a's answer among its options, and marks another one.
        if a.answer_key in b.option_keys or (
            match and match[1] >= get_setting("JUDGE_OPTION_SAME")
        ):
            return differs
    if _roots(a.answer_key) == _roots(b.answer_key) and _roots(a.answer_key):
        return same
    similarity = _cosine(lookup(a.answer), lookup(b.answer))
    if similarity >= get_setting("JUDGE_ANSWER_SAME_COSINE"):
        return same
    return uncertain if similarity >= get_setting("JUDGE_ANSWER_UNCERTAIN") else differs


def _blocking_reasons(
    a: _Profile,
    b: _Profile,
    *,
    cosine: float,
    answer: str,
    option_block: tuple[str, str] | None,
    lookup: Lookup,
) -> list[tuple[str, str]]:
    """(label, reason) for every rule that shows the two questions differ."""
    blocks: list[tuple[str, str]] = []
    numbers = _substitution(a.numbers, b.numbers)
    if numbers:
        blocks.append(("variant", f"numbers differ: {numbers}"))
    ordinals = _substitution(a.ordinals, b.ordinals, names=_ORDINAL_NAMES)
    if ordinals:
        blocks.append(("variant", f"ordinals differ: {ordinals}"))
    if answer == "differs":
        blocks.extend(_answer_blocks(a, b, cosine=cosine, option_block=option_block))
        return blocks or [("different", "the correct answers differ")]

    # A same correct answer among the same options outweighs a change of wording:
    # "metals except" and "which one is a nonmetal" ask the same thing.
    if answer == "same":
        return blocks
    if option_block:
        blocks.append(option_block)
    blocks.extend(_structure_blocks(a, b, lookup=lookup))
    blocks.extend(_wording_blocks(a, b))
    return blocks


def _answer_blocks(
    a: _Profile, b: _Profile, *, cosine: float, option_block: tuple[str, str] | None
) -> list[tuple[str, str]]:
    """Name the likely cause when the correct answers differ."""
    blocks = _wording_blocks(a, b)
    if option_block:
        blocks.append(option_block)
    one_template = _template_ratio(a.words, b.words) >= get_setting("JUDGE_VARIANT_MIN_RATIO")
    if not blocks and one_template and cosine >= get_setting("JUDGE_VARIANT_MIN_COSINE"):
        blocks.append(("variant", "same template, the correct answers differ"))
    return blocks


def _wording_blocks(a: _Profile, b: _Profile) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    if a.negations != b.negations:
        if not b.negations:
            blocks.append(("different", "negation: NOT only in the new question"))
        elif not a.negations:
            blocks.append(("different", "negation: NOT only in the existing question"))
        else:
            blocks.append(("different", "negation differs"))
    opposites = _opposites(a.roots | _word_roots(a.words), b.roots | _word_roots(b.words))
    if opposites:
        blocks.append(("different", f"opposite terms: {opposites}"))
    template = _template_diff(a.words, b.words)
    if template and template.reversed:
        blocks.append(("different", f"terms trade places: {template.reversed[0]}"))
    if template and template.swapped and not blocks:
        blocks.append(("variant", f"same template, different terms: {'; '.join(template.swapped)}"))
    return blocks


def _structure_blocks(a: _Profile, b: _Profile, *, lookup: Lookup) -> list[tuple[str, str]]:
    blocks: list[tuple[str, str]] = []
    if _shared_passage(a, b) and a.tail_key != b.tail_key:
        tail_cosine = _cosine(lookup(a.tail), lookup(b.tail))
        if tail_cosine < get_setting("JUDGE_TAIL_MIN_COSINE"):
            blocks.append(("different", "shared passage, final question differs"))
    return blocks


def _options_block(
    a: _Profile, b: _Profile, *, cosine: float, options: _OptionMatch | None
) -> tuple[str, str] | None:
    if options is None or options.overlap >= _options_needed(a, b, cosine):
        return None
    return ("different", _unrelated_options_reason(a, b, cosine, options.overlap))


def _settled(
    a: _Profile,
    b: _Profile,
    blocks: list[tuple[str, str]],
    *,
    option_block: tuple[str, str] | None,
) -> list[tuple[str, str]]:
    """The blocks in the order that decides the label: the first one names it.

    A variant is one template with a slot filled differently. Any rule showing that
    the questions differ in another way, unrelated option sets, or stems that share
    no template make the pair different, whatever numbers or terms it also changes.
    """
    if not any(label == "variant" for label, _ in blocks):
        return blocks
    if option_block and _options_differ_by_numbers(a, b):
        # Options rebuilt for the new numbers ("36" for "30", "12 m/s" for "15 m/s")
        # follow the slot that changed; they are not another option set.
        blocks = [block for block in blocks if block != option_block]

    deciding = [block for block in blocks if block[0] == "different"]
    if not deciding:
        ratio = _template_ratio(a.words, b.words)
        if ratio < get_setting("JUDGE_VARIANT_MIN_RATIO"):
            deciding = [("different", f"no shared template: word order agrees {ratio:.2f}")]
    return deciding + [block for block in blocks if block not in deciding]


def _options_differ_by_numbers(a: _Profile, b: _Profile) -> bool:
    """Whether the option sets would be related but for the numbers in them."""
    shapes_a = Counter(_ANY_NUMBER.sub("#", key) for key in a.option_keys)
    shapes_b = Counter(_ANY_NUMBER.sub("#", key) for key in b.option_keys)
    shared = sum((shapes_a & shapes_b).values())
    return shared / max(len(a.option_keys), len(b.option_keys)) >= get_setting(
        "JUDGE_OPTIONS_UNRELATED"
    )


def _template_ratio(a: tuple[str, ...], b: tuple[str, ...]) -> float:
    """How much of the word order two stems share, a number counting as any number."""
    masked_a = tuple("#" if word.isdigit() else word for word in a)
    masked_b = tuple("#" if word.isdigit() else word for word in b)
    return difflib.SequenceMatcher(a=masked_a, b=masked_b, autojunk=False).ratio()


def _options_needed(a: _Profile, b: _Profile, cosine: float) -> float:
    """The option-set overlap two questions need; identical stems rest on their options."""
    if a.key == b.key or cosine >= get_setting("JUDGE_SAME_STEM_COSINE"):
        return get_setting("JUDGE_OPTIONS_SAME_STEM")
    return get_setting("JUDGE_OPTIONS_UNRELATED")


def _unrelated_options_reason(
    a: _Profile, b: _Profile, cosine: float, options_overlap: float
) -> str:
    if a.key == b.key or cosine >= get_setting("JUDGE_SAME_STEM_COSINE"):
        if options_overlap >= get_setting("JUDGE_OPTIONS_UNRELATED"):
            return "stems match but the options differ"
        return "stems match but options are unrelated"
    return "options are unrelated"


def _support_reasons(
    *, cosine: float, options: _OptionMatch | None, a: _Profile, b: _Profile
) -> list[str]:
    reasons = [f"wording similarity {cosine:.2f}"]
    if options is not None:
        if set(a.option_keys) == set(b.option_keys):
            reasons.append(
                "same options" + (", reordered" if a.option_keys != b.option_keys else "")
            )
        else:
            reasons.append(f"option sets overlap {options.overlap:.2f}")
    return reasons


def _score(*, cosine: float, options: _OptionMatch | None, answer: str) -> float:
    """Weighted mean of the similarities that are known for this pair."""
    parts = [(get_setting("JUDGE_WEIGHT_STEM"), max(cosine, 0.0))]
    if options is not None:
        parts.append((get_setting("JUDGE_WEIGHT_OPTIONS"), options.overlap))
    if answer in ("same", "differs"):
        parts.append((get_setting("JUDGE_WEIGHT_ANSWER"), 1.0 if answer == "same" else 0.0))
    total = sum(weight for weight, _ in parts)
    return sum(weight * value for weight, value in parts) / total


# --- text analysis -------------------------------------------------------------------------


def _profile(question: QuestionText) -> _Profile:
    question = _with_inline_options(question)
    # The rules read "2,5" as 2.5; options and answer keep their text for embedding.
    stem = fold_decimal_commas(question.stem)
    plain = _plain(stem)
    normal = normalize_text(stem)
    words = tuple(_WORD.findall(normal))
    sentences = _SENTENCE_END.split(plain)
    options = tuple(_plain(option) for option in question.options)
    answer = question.answer_text
    answer_plain = _plain(answer) if answer is not None else None

    return _Profile(
        question=question,
        key=comparison_key(stem),
        words=words,
        roots=_content_roots(words),
        numbers=_numbers_in(normal),
        ordinals=Counter(_ordinal(word) for word in words if _ordinal(word)),
        negations=sum(1 for word in words if word in _NEGATIONS or word.endswith("n't")),
        tail=sentences[-1],
        tail_key=comparison_key(sentences[-1]),
        passage=tuple(_WORD.findall(normalize_text(" ".join(sentences[:-1])))),
        options=options,
        option_keys=tuple(comparison_key(fold_decimal_commas(option)) for option in options),
        answer=answer_plain,
        answer_key=(
            comparison_key(fold_decimal_commas(answer_plain)) if answer_plain is not None else None
        ),
        script=_foreign_script(" ".join([question.stem, *question.options])),
    )


def _with_inline_options(question: QuestionText) -> QuestionText:
    """Options typed into the stem ("... A) S B) Na C) So") become real options."""
    if question.options:
        return question
    parts = _INLINE_OPTION.split(strip_markup(question.stem))
    labels, texts = parts[1::2], [text.strip() for text in parts[2::2]]
    expected = [chr(ord(labels[0][0]) + n) for n in range(len(labels))] if labels else []
    if len(labels) < 2 or [label[0] for label in labels] != expected or not all(texts):
        return question
    if expected[0] not in "Aa1":
        return question
    return QuestionText(parts[0].strip(), tuple(texts), question.answer)


def _plain(text: str) -> str:
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", strip_markup(text))).strip()


def _root(word: str) -> str:
    """A crude stem: enough to see that "use" and "used" are one word."""
    word = _EQUIVALENTS.get(word, word)
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
    return word


def _content_roots(words: tuple[str, ...]) -> Counter:
    return Counter(
        _root(word)
        for word in words
        if word not in _STOPWORDS and not _NUMBER.fullmatch(word) and word not in _NUMBER_WORDS
    )


def _word_roots(words: tuple[str, ...]) -> Counter:
    return Counter(_root(word) for word in words)


def _roots(text: str) -> Counter:
    return _content_roots(tuple(_WORD.findall(text)))


def _numbers_in(text: str) -> Counter:
    """Quantities in a normalised text, as canonical strings ("1,000" and "1000.0" agree).

    Digits glued to letters belong to a word (the 6 and 5 of C6H5OH, the 2 of Mg(OH)2), and
    two formulas differ as words, through _figures_in and the template, not by their digits.
    """
    found = Counter()
    for match in _NUMBER.finditer(text):
        if _glued(text, match.start(), match.end()):
            continue
        try:
            value = Decimal(match.group().replace(",", ""))
        except InvalidOperation:
            continue
        found[format(value.normalize(), "f")] += 1
    for word in _WORD.findall(text):
        if word in _NUMBER_WORDS:
            found[_NUMBER_WORDS[word]] += 1
    return found


def _glued(text: str, start: int, end: int) -> bool:
    before, after = text[start - 1 : start] if start else "", text[end : end + 1]
    # ")2" closes a group in a formula: Mg(OH)2, (NH4)2SO4.
    return before.isalpha() or after.isalpha() or before == ")"


def _figures_in(text: str) -> Counter:
    """Quantities and coded words: what must agree exactly in two options or answers."""
    return _numbers_in(text) + Counter(_CODED_WORD.findall(text))


def _ordinal(word: str) -> str | None:
    if word in _ORDINAL_WORDS:
        return _ORDINAL_WORDS[word]
    match = _ORDINAL_DIGITS.fullmatch(word)
    return str(int(match.group(1))) if match else None


_ORDINAL_NAMES = {value: word for word, value in _ORDINAL_WORDS.items()}


def _substitution(a: Counter, b: Counter, *, names: dict[str, str] | None = None) -> str:
    """ "7, 8 vs 6, 9" when each side has values the other lacks; an addition is no change."""
    only_a, only_b = a - b, b - a
    if not only_a or not only_b:
        return ""

    def listed(values: Counter) -> str:
        return ", ".join((names or {}).get(value, value) for value in values.elements())

    return f"{listed(only_a)} vs {listed(only_b)}"


_OPPOSITE_ROOTS = [(_root(x), _root(y), x, y) for x, y in _OPPOSITES]


def _opposites(a: Counter, b: Counter) -> str:
    for root_x, root_y, x, y in _OPPOSITE_ROOTS:
        gained_x, gained_y = a[root_x] - b[root_x], b[root_y] - a[root_y]
        if gained_x > 0 and gained_y > 0:
            return f"{x} vs {y}"
        if a[root_y] - b[root_y] > 0 and b[root_x] - a[root_x] > 0:
            return f"{y} vs {x}"
    return ""


@dataclass(frozen=True)
class _TemplateDiff:
    swapped: tuple[str, ...]  # "chloroplast vs lysosome": a slot filled with a new term
    reversed: tuple[str, ...]  # "liquid vs solid": two terms that traded places


def _template_diff(a: tuple[str, ...], b: tuple[str, ...]) -> _TemplateDiff | None:
    """How b differs from a when it is a's template with a term or two replaced.

    None when the two are not one template: too little shared word order, or
    content words added, dropped or rewritten beyond a few single slots (the
    signature of a paraphrase rather than of a template filled differently).
    """
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    if not a or not b or matcher.ratio() < get_setting("JUDGE_TEMPLATE_MIN_RATIO"):
        return None

    all_a, all_b = _content_roots(a), _content_roots(b)
    swapped, moved = [], []
    for tag, a_start, a_end, b_start, b_end in matcher.get_opcodes():
        left, right = a[a_start:a_end], b[b_start:b_end]
        roots_left, roots_right = _content_roots(left), _content_roots(right)
        if tag == "equal" or roots_left == roots_right:
            continue
        if tag != "replace" or not roots_left or not roots_right:
            return None
        if max(sum(roots_left.values()), sum(roots_right.values())) > get_setting(
            "JUDGE_TEMPLATE_MAX_SLOT_WORDS"
        ):
            return None
        pair = (" ".join(left), " ".join(right))
        if roots_left - all_b or roots_right - all_a:
            swapped.append(pair)
        else:
            moved.append(pair)

    if len(swapped) + len(moved) > get_setting("JUDGE_TEMPLATE_MAX_SLOTS"):
        return None
    # Two terms that only traded places ("from a liquid to a solid" and "from a
    # solid to a liquid") reverse the question; a lone moved word is rewording.
    reversed_pairs = [pair for pair in moved if (pair[1], pair[0]) in moved]
    return _TemplateDiff(
        swapped=tuple(f"{x} vs {y}" for x, y in swapped),
        reversed=tuple(f"{x} vs {y}" for x, y in reversed_pairs[:1]),
    )


def _shared_passage(a: _Profile, b: _Profile) -> bool:
    """Both stems open with (nearly) the same passage before their final sentence."""
    if not a.passage or not b.passage:
        return False
    matcher = difflib.SequenceMatcher(a=a.passage, b=b.passage, autojunk=False)
    return matcher.ratio() >= get_setting("JUDGE_PASSAGE_MIN_RATIO")


def _foreign_script(text: str) -> str | None:
    """The dominant script of a text whose letters are mostly not Latin."""
    scripts = Counter()
    for ch in normalize_text(text):
        if ch.isalpha():
            scripts[unicodedata.name(ch, "UNKNOWN").split()[0]] += 1
    letters = sum(scripts.values())
    if not letters or scripts["LATIN"] / letters >= get_setting("JUDGE_LATIN_MIN_SHARE"):
        return None
    del scripts["LATIN"]
    name = scripts.most_common(1)[0][0]
    return {"CJK": "Han"}.get(name, name.title())


def _quote(text: str | None) -> str:
    text = text or ""
    return f'"{text[:57]}..."' if len(text) > 60 else f'"{text}"'


def _cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(np.asarray(a, dtype=np.float32), np.asarray(b, dtype=np.float32)))


# --- embeddings ----------------------------------------------------------------------------


def _texts_needed(a: _Profile, b: _Profile) -> list[str]:
    """The extra texts the rules may embed for this pair; only the ones that can matter."""
    texts: list[str] = []
    if a.options and b.options and set(a.option_keys) != set(b.option_keys):
        texts.extend(a.options + b.options)
    if a.answer and b.answer and a.answer_key != b.answer_key:
        texts.extend([a.answer, b.answer])
    if a.tail_key != b.tail_key and a.passage and b.passage:
        texts.extend([a.tail, b.tail])
    return texts


def _embedded(texts: list[str], *, known: dict[str, np.ndarray] | None = None) -> Lookup:
    """Embed the distinct texts in one model call and look vectors up by text."""
    vectors = dict(known or {})
    missing = []
    for text in dict.fromkeys(texts):
        if text in vectors:
            continue
        cached = _cache_get(text)
        if cached is None:
            missing.append(text)
        else:
            vectors[text] = cached
    _embedded_into(missing, vectors)

    def lookup(text: str) -> np.ndarray:
        if text not in vectors:
            # A text no rule announced: embed it alone rather than fail.
            _embedded_into([text], vectors)
        return vectors[text]

    return lookup


def _embedded_into(texts: list[str], vectors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    if texts:
        encoded = embed_texts(texts)
        vectors.update(zip(texts, encoded.vectors, strict=True))
        for text, vector in zip(texts, encoded.vectors, strict=True):
            _cache_put(text, vector)
    return vectors


# Options and answers of the questions in a bank come back again and again as
# candidates, so their vectors are kept per process (least recently used out).
_cache: OrderedDict[str, np.ndarray] = OrderedDict()
_cache_lock = threading.Lock()


def _cache_get(text: str) -> np.ndarray | None:
    with _cache_lock:
        vector = _cache.get(text)
        if vector is not None:
            _cache.move_to_end(text)
        return vector


def _cache_put(text: str, vector: np.ndarray) -> None:
    limit = get_setting("JUDGE_CACHE_SIZE")
    with _cache_lock:
        _cache[text] = vector
        _cache.move_to_end(text)
        while len(_cache) > limit:
            _cache.popitem(last=False)


_multilingual = None
_multilingual_pid: int | None = None
_multilingual_lock = threading.Lock()


def _multilingual_cosine(a: QuestionText, b: QuestionText) -> float | None:
    """Cosine of the two stems under MULTILINGUAL_MODEL, or None when none is set."""
    model = _multilingual_model()
    if model is None:
        return None
    vectors = model.encode(
        [embedding_text(a), embedding_text(b)],
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return _cosine(vectors[0], vectors[1])


def _multilingual_model():
    """The multilingual model, loaded on first use in each process like the main one."""
    global _multilingual, _multilingual_pid
    name = get_setting("MULTILINGUAL_MODEL")
    if not name:
        return None
    with _multilingual_lock:
        if _multilingual is None or _multilingual_pid != os.getpid():
            from sentence_transformers import SentenceTransformer

            path = resolve_model_path(name)
            _multilingual = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            _multilingual.max_seq_length = get_setting("MAX_TOKENS")
            _multilingual_pid = os.getpid()
            logger.info("loaded multilingual model %s", path.name)
        return _multilingual
