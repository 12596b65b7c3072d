"""The category classifier: sentence embeddings + character n-grams + cue words -> logistic regression.

The embedding model is English-only; character n-grams carry what survives in other
languages (stems, numbers, codes) and the seven-language cue lexicon (``lexicon.py``) the
topic words. Calibration is measured, not assumed: training logs the expected calibration
error on the evaluation split, and ``benchmarks/classifier.py`` compares the plain model with
a cross-validated sigmoid calibrator, which has too few examples per fold on the seed corpus
to help. The whole thing is one scikit-learn Pipeline over raw texts, so MLflow logs and
serves it as one model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from triage.models.embeddings import PACKAGED, embed
from triage.models.lexicon import CueFeatures


class TextColumn(BaseEstimator, TransformerMixin):
    """Accepts a list of texts, a Series or a one-column DataFrame (as MLflow serves it)."""

    def fit(self, texts, y=None):
        return self

    def transform(self, texts) -> list[str]:
        if hasattr(texts, "iloc") and getattr(texts, "ndim", 1) == 2:
            texts = texts.iloc[:, 0]
        return ["" if t is None or t != t else str(t) for t in texts]  # None and NaN are empty


class EmbeddingFeatures(BaseEstimator, TransformerMixin):
    """Texts -> sentence embeddings. Stateless: the encoder is loaded by path, not pickled."""

    def __init__(self, model_path: str = PACKAGED):
        self.model_path = model_path

    def fit(self, texts, y=None):
        return self

    def transform(self, texts) -> np.ndarray:
        return _cached_embed(list(texts), self.model_path)

    def get_feature_names_out(self, input_features=None):
        return np.array([f"emb{i}" for i in range(384)], dtype=object)


_CACHE: dict[tuple[str, str], np.ndarray] | None = None  # only inside cached_embeddings()


@contextmanager
def cached_embeddings() -> Iterator[None]:
    """Remember embeddings by text while the block runs: training and cross-validation embed
    the same texts many times. Serving never caches (a server sees each text once, and must
    not grow)."""
    global _CACHE
    previous = _CACHE
    _CACHE = {} if previous is None else previous
    try:
        yield
    finally:
        _CACHE = previous


def _cached_embed(texts: list[str], model_path: str) -> np.ndarray:
    path = None if model_path == PACKAGED else model_path
    if _CACHE is None:
        return embed(texts, path) if texts else np.zeros((0, 384), dtype=np.float32)
    keys = [(model_path, hashlib.sha1(t.encode()).hexdigest()) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _CACHE]
    if missing:
        for i, vec in zip(missing, embed([texts[i] for i in missing], path), strict=True):
            _CACHE[keys[i]] = vec
    return np.vstack([_CACHE[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)


# Our own estimator classes, trusted when the model is loaded from skops (never pickle).
TRUSTED_TYPES = [
    "triage.models.classifier.EmbeddingFeatures",
    "triage.models.classifier.TextColumn",
    "triage.models.lexicon.CueFeatures",
]


def build_classifier(*, c: float = 64.0, cue_weight: float = 0.5, embedding_path: str = PACKAGED,
                     seed: int = 7) -> Pipeline:
    features = FeatureUnion(
        [
            ("embedding", EmbeddingFeatures(embedding_path)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60000),
            ),
            ("cues", CueFeatures()),
        ],
        transformer_weights={"embedding": 1.0, "chars": 1.0, "cues": cue_weight},
    )
    logreg = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=seed)
    return Pipeline([("text", TextColumn()), ("features", features), ("classify", logreg)])
