"""Classifier accuracy and calibration: the shipped configuration against baselines, in one run.

    python -m benchmarks.classifier [--folds 5]

Stratified k-fold cross-validation over the whole seed corpus (more stable than the small
fixed evaluation split), for: the majority class, character n-grams alone, embeddings alone,
embeddings + character n-grams, the shipped model (those plus the cue lexicon, logistic
regression), and the shipped model under sigmoid calibration. Prints macro-F1, accuracy, expected calibration error,
and macro-F1 as a ratio to the character-n-gram baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import FeatureUnion, Pipeline

from training.dataset import load_corpus, to_example
from training.evaluate import expected_calibration_error
from triage.models.classifier import EmbeddingFeatures, TextColumn, build_classifier, cached_embeddings


def _chars():
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60000)


def candidates() -> dict[str, Pipeline]:
    shipped = build_classifier()
    calibrated = build_classifier()
    calibrated.steps[-1] = ("classify", CalibratedClassifierCV(calibrated.steps[-1][1], method="sigmoid", cv=3))
    lr = dict(C=64, max_iter=5000, class_weight="balanced")
    return {
        "majority class": Pipeline([("text", TextColumn()), ("f", _chars()), ("c", DummyClassifier())]),
        "char n-grams (baseline)": Pipeline([("text", TextColumn()), ("f", _chars()), ("c", LogisticRegression(**lr))]),
        "embeddings only": Pipeline([("text", TextColumn()), ("f", EmbeddingFeatures()), ("c", LogisticRegression(**lr))]),
        "embeddings + chars (no cues)": Pipeline([("text", TextColumn()), ("f", FeatureUnion(
            [("e", EmbeddingFeatures()), ("c", _chars())])), ("c", LogisticRegression(**lr))]),
        "shipped: emb + chars + cues": shipped,
        "shipped + sigmoid calibration": calibrated,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    examples = [to_example(r) for r in load_corpus()]
    texts = [e.text for e in examples]
    truth = np.array([e.category for e in examples])
    folds = StratifiedKFold(args.folds, shuffle=True, random_state=0)
    print(f"{len(examples)} labelled emails, {args.folds}-fold stratified cross-validation")
    print(f"{'configuration':32} {'macro-F1':>8} {'acc.':>6} {'ECE':>6} {'vs baseline':>11} {'seconds':>8}")
    baseline = None
    for name, pipeline in candidates().items():
        started = time.perf_counter()
        with cached_embeddings():  # the folds embed the same texts again
            proba = cross_val_predict(pipeline, texts, truth, cv=folds, method="predict_proba")
        classes = np.unique(truth)
        predicted = classes[proba.argmax(axis=1)]
        f1 = f1_score(truth, predicted, average="macro", zero_division=0)
        correct = (predicted == truth).astype(float)
        ece = expected_calibration_error(proba.max(axis=1), correct)
        if name.startswith("char n-grams"):
            baseline = f1
        ratio = f"{f1 / baseline:.2f}x" if baseline else "-"
        print(f"{name:32} {f1:8.3f} {correct.mean():6.3f} {ece:6.3f} {ratio:>11} {time.perf_counter() - started:8.1f}")


if __name__ == "__main__":
    main()
