"""Metrics of a classifier on the evaluation split."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from training.dataset import Example


def expected_calibration_error(confidences: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = len(confidences)
    ece = 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (confidences > lo) & (confidences <= hi)
        if mask.any():
            ece += mask.sum() / total * abs(correct[mask].mean() - confidences[mask].mean())
    return float(ece)


def evaluate(pipeline: Any, examples: list[Example]) -> dict[str, Any]:
    texts = [e.text for e in examples]
    truth = [e.category for e in examples]
    start = time.perf_counter()
    proba = np.asarray(pipeline.predict_proba(texts))
    latency_ms = (time.perf_counter() - start) * 1000 / max(len(texts), 1)
    classes = [str(c) for c in pipeline.classes_]
    predicted = [classes[i] for i in proba.argmax(axis=1)]
    labels = sorted(set(truth) | set(predicted))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    per_language = {}
    for lang in sorted({e.lang for e in examples}):
        idx = [i for i, e in enumerate(examples) if e.lang == lang]
        per_language[lang] = round(
            float(f1_score([truth[i] for i in idx], [predicted[i] for i in idx], average="macro", zero_division=0)), 4
        )
    correct = np.array([p == t for p, t in zip(predicted, truth, strict=True)], dtype=float)
    foreign = [i for i, e in enumerate(examples) if e.lang != "en"]
    non_english = float(f1_score([truth[i] for i in foreign], [predicted[i] for i in foreign], average="macro",
                                 zero_division=0)) if foreign else 0.0
    return {
        "n": len(examples),
        "macro_f1": round(float(f1_score(truth, predicted, average="macro", zero_division=0)), 4),
        "non_english_macro_f1": round(non_english, 4),
        "accuracy": round(float(correct.mean()), 4),
        "calibration_error": round(expected_calibration_error(proba.max(axis=1), correct), 4),
        "latency_ms_per_email": round(latency_ms, 2),
        "per_class": {
            label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        },
        "per_language_macro_f1": per_language,
        "confusion": {"labels": labels, "matrix": confusion_matrix(truth, predicted, labels=labels).tolist()},
    }
