"""Start-up check that the configured model fits the stored vectors."""

import json
from pathlib import Path

from django.db import connection

from similarity.conf import get_setting
from similarity.embedding import ModelUnavailable, resolve_model_path

REEMBED_HINT = (
    "To change the model, set SIMILARITY_MODEL, SIMILARITY_MODEL_NAME and "
    "SIMILARITY_DIMENSION together and run 'python manage.py reembed', which "
    "resizes the vector column and queues every question again."
)


def model_dimension_from_files(path: Path) -> int:
    """The output dimension of a sentence-transformers folder, without loading it."""
    modules = json.loads((path / "modules.json").read_text())
    dimension = None
    for module in modules:
        config_file = path / module.get("path", "") / "config.json"
        if not module.get("path") or not config_file.exists():
            continue
        config = json.loads(config_file.read_text())
        if module["type"].endswith("Pooling"):
            dimension = config.get("word_embedding_dimension", dimension)
        elif module["type"].endswith("Dense"):
            dimension = config.get("out_features", dimension)
    if dimension is None:
        raise ModelUnavailable(f"cannot tell the output dimension of the model in {path}")
    return int(dimension)


def column_dimension() -> int | None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT atttypmod FROM pg_attribute "
            "WHERE attrelid = 'questionbank_question'::regclass AND attname = 'embedding'"
        )
        row = cursor.fetchone()
    return int(row[0]) if row else None


def check_model_configuration() -> int:
    """Raise ModelUnavailable unless model, setting and column agree; return the dimension."""
    configured = int(get_setting("DIMENSION"))
    path = resolve_model_path(get_setting("MODEL"))
    produced = model_dimension_from_files(path)
    if produced != configured:
        raise ModelUnavailable(
            f"model {get_setting('MODEL')!r} produces {produced}-dimensional vectors but "
            f"SIMILARITY_DIMENSION is {configured}. {REEMBED_HINT}"
        )
    stored = column_dimension()
    if stored is not None and stored != configured:
        raise ModelUnavailable(
            f"the database stores {stored}-dimensional vectors but the model produces "
            f"{configured}. {REEMBED_HINT}"
        )
    return configured
