"""The sentence embedding model, loaded lazily once per process.

The model is never loaded at import time: a Celery prefork parent that loaded
torch would hand its thread pools to every forked child, where they deadlock.
Each process (web, worker child, management command) loads its own copy on
first use.
"""

import importlib
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from similarity.conf import get_setting

logger = logging.getLogger(__name__)

# The Rust tokenizer warns (and can deadlock) when its thread pool meets fork.
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class ModelUnavailable(Exception):
    """The configured model cannot be found or loaded."""


@dataclass(frozen=True)
class Encoded:
    vectors: np.ndarray  # shape (n, dimension), float32, unit length
    truncated: list[bool]


def resolve_model_path(model: str) -> Path:
    """A local folder, or an installed package that carries the weights."""
    path = Path(model).expanduser()
    if path.is_dir():
        return path

    module_name = model.replace("-", "_")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        raise ModelUnavailable(
            f"model {model!r} is neither a local folder nor an installed model "
            "package; set SIMILARITY_MODEL to a folder holding a "
            "sentence-transformers model"
        ) from None
    get_path = getattr(module, "get_model_path", None)
    if get_path is None:
        raise ModelUnavailable(f"package {module_name!r} does not carry a model")
    return Path(get_path())


class Encoder:
    def __init__(self, *, model: str, dimension: int, max_tokens: int, threads: int):
        import torch
        from sentence_transformers import SentenceTransformer

        started = time.monotonic()
        path = resolve_model_path(model)
        if threads > 0:
            torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelUnavailable(f"cannot load model from {path}: {exc}") from exc

        self._model.max_seq_length = max_tokens
        actual = self._model.get_embedding_dimension()
        if actual != dimension:
            raise ModelUnavailable(
                f"model {model!r} produces {actual}-dimensional vectors but the "
                f"database stores {dimension}; re-embed the bank for the new model "
                "(see README, 'Changing the model') instead of mixing vectors"
            )
        self.dimension = actual
        self.max_tokens = max_tokens
        self.path = path
        logger.info(
            "loaded model %s (%d dims) in %.1f s", path.name, actual, time.monotonic() - started
        )

    def token_counts(self, texts: list[str]) -> list[int]:
        tokenizer = self._model.tokenizer
        encoded = tokenizer(texts, add_special_tokens=True, truncation=False, verbose=False)[
            "input_ids"
        ]
        return [len(ids) for ids in encoded]

    def encode(self, texts: list[str]) -> Encoded:
        if not texts:
            return Encoded(np.zeros((0, self.dimension), dtype=np.float32), [])
        vectors = self._model.encode(
            texts,
            batch_size=get_setting("BATCH_SIZE"),
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        ).astype(np.float32)
        truncated = [count > self.max_tokens for count in self.token_counts(texts)]
        return Encoded(vectors, truncated)


_encoder: Encoder | None = None
_encoder_pid: int | None = None
_lock = threading.Lock()


def get_encoder() -> Encoder:
    """The process's encoder, loaded on first use (again after a fork)."""
    global _encoder, _encoder_pid
    with _lock:
        if _encoder is None or _encoder_pid != os.getpid():
            _encoder = Encoder(
                model=get_setting("MODEL"),
                dimension=get_setting("DIMENSION"),
                max_tokens=get_setting("MAX_TOKENS"),
                threads=get_setting("TORCH_THREADS"),
            )
            _encoder_pid = os.getpid()
        return _encoder


def encoder_loaded() -> bool:
    return _encoder is not None and _encoder_pid == os.getpid()


def embed_texts(texts: list[str]) -> Encoded:
    return get_encoder().encode(texts)
