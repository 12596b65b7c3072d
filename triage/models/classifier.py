"""The category classifier: sentence embeddings + character n-grams + cue words -> logistic regression.

The embedding model is English-only; character n-grams carry what survives in other
languages (stems, numbers, codes) and the seven-language cue lexicon (``lexicon.py``) the
topic words. Probabilities are calibrated by temperature scaling (one parameter fitted on
out-of-fold scores; it lowers the expected calibration error without moving any prediction),
and training logs the calibration error on the evaluation split. The whole thing is one
scikit-learn Pipeline over raw texts, so MLflow logs and serves it as one model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from triage.models.embeddings import DEFAULT_BACKEND, DEFAULT_MAX_TOKENS, PACKAGED, embed
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
    """Texts -> sentence embeddings. The encoder is loaded by path and backend, not pickled.

    Fitting also keeps the training set's embeddings, labels and first lines (float16): the
    nearest labelled examples explain a prediction (``models/explain.py``).
    """

    def __init__(self, model_path: str = PACKAGED, backend: str = DEFAULT_BACKEND,
                 max_tokens: int = DEFAULT_MAX_TOKENS):
        self.model_path = model_path
        self.backend = backend
        self.max_tokens = max_tokens

    def fit(self, texts, y=None):
        self.fit_transform(texts, y)
        return self

    def fit_transform(self, texts, y=None, **fit_params) -> np.ndarray:
        texts = list(texts)
        vectors = self.transform(texts)
        self.reference_ = vectors.astype(np.float16)
        self.reference_labels_ = [] if y is None else [str(label) for label in y]
        self.reference_subjects_ = [t.split("\n", 1)[0][:120] for t in texts]
        return vectors

    def transform(self, texts) -> np.ndarray:
        # models registered before the ONNX backend have no backend attribute: fp32 torch
        return _cached_embed(list(texts), self.model_path, getattr(self, "backend", "torch"),
                             getattr(self, "max_tokens", None))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"emb{i}" for i in range(384)], dtype=object)


_CACHE: dict[tuple[str, ...], np.ndarray] | None = None  # only inside cached_embeddings()


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


def _cached_embed(texts: list[str], model_path: str, backend: str, max_tokens: int | None) -> np.ndarray:
    path = None if model_path == PACKAGED else model_path
    options = {"backend": backend, "max_tokens": max_tokens}
    if _CACHE is None:
        return embed(texts, path, **options) if texts else np.zeros((0, 384), dtype=np.float32)
    keys = [(model_path, backend, str(max_tokens), hashlib.sha1(t.encode()).hexdigest()) for t in texts]
    missing = [i for i, k in enumerate(keys) if k not in _CACHE]
    if missing:
        for i, vec in zip(missing, embed([texts[i] for i in missing], path, **options), strict=True):
            _CACHE[keys[i]] = vec
    return np.vstack([_CACHE[k] for k in keys]) if keys else np.zeros((0, 384), dtype=np.float32)


# Our own estimator classes, trusted when the model is loaded from skops (never pickle).
TRUSTED_TYPES = [
    "triage.models.classifier.EmbeddingFeatures",
    "triage.models.classifier.TextColumn",
    "triage.models.lexicon.CueFeatures",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._TemperatureScaling",
]


def build_classifier(*, c: float = 64.0, cue_weight: float = 0.5, embedding_path: str = PACKAGED,
                     backend: str = DEFAULT_BACKEND, max_tokens: int = DEFAULT_MAX_TOKENS,
                     calibrate: bool = True, seed: int = 7) -> Pipeline:
    features = FeatureUnion(
        [
            ("embedding", EmbeddingFeatures(embedding_path, backend, max_tokens)),
            (
                "chars",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60000),
            ),
            ("cues", CueFeatures()),
        ],
        transformer_weights={"embedding": 1.0, "chars": 1.0, "cues": cue_weight},
    )
    logreg = LogisticRegression(C=c, max_iter=5000, class_weight="balanced", random_state=seed)
    if calibrate:
        # temperature scaling fitted on 3-fold out-of-fold scores; one model on all data
        # (ensemble=False), so the argmax and the explanation's weights are the plain model's
        logreg = CalibratedClassifierCV(logreg, method="temperature", cv=3, ensemble=False)
    return Pipeline([("text", TextColumn()), ("features", features), ("classify", logreg)])


def make_storable(pipeline: Pipeline) -> Pipeline:
    """Plain ints in fitted vocabularies: scikit-learn leaves numpy scalars there, which skops
    stores one file each (tens of thousands; minutes to save)."""
    for _, transformer in pipeline.named_steps["features"].transformer_list:
        vocabulary = getattr(transformer, "vocabulary_", None)
        if vocabulary is not None:
            transformer.vocabulary_ = {term: int(index) for term, index in vocabulary.items()}
    return pipeline


def linear_model(classifier):
    """The fitted linear model inside the pipeline's last step (calibrated or not)."""
    if hasattr(classifier, "calibrated_classifiers_"):
        return classifier.calibrated_classifiers_[0].estimator
    return classifier
