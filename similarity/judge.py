"""The duplicate judge: two questions in, a labelled verdict out.

Pure functions over text and vectors: no database, so the worker, the live
check, bulk loading and evaluate_pairs all share it.
"""

import numpy as np

from similarity.conf import get_setting
from similarity.normalize import normalize_text, question_fingerprint, strip_markup
from similarity.types import QuestionText, Verdict


def embedding_text(question: QuestionText) -> str:
    """The text whose embedding is stored for a question and searched on."""
    return " ".join(strip_markup(question.stem).split())


def judge_pair(
    a: QuestionText, b: QuestionText, *, a_vector: np.ndarray, b_vector: np.ndarray
) -> Verdict:
    if question_fingerprint(a.stem, a.options) == question_fingerprint(b.stem, b.options):
        return Verdict("duplicate", 1.0, 1.0, ("identical after normalisation",))
    cosine = float(np.dot(a_vector, b_vector))
    if normalize_text(a.stem) and cosine >= get_setting("DUPLICATE_THRESHOLD"):
        return Verdict("duplicate", cosine, cosine, (f"similar wording (cosine {cosine:.2f})",))
    return Verdict("different", cosine, cosine, ())
