"""What serving loads: the classifier pipeline with its registry name and version."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Prediction:
    category: str
    confidence: float
    scores: dict[str, float]


@dataclass
class ModelBundle:
    name: str
    version: str
    pipeline: Any  # a fitted sklearn Pipeline over raw texts
    on_predict: Callable[[float], None] | None = None  # gets each batch's seconds (metrics)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        started = time.perf_counter()
        probabilities = np.asarray(self.pipeline.predict_proba(list(texts)))
        if self.on_predict is not None:
            self.on_predict(time.perf_counter() - started)
        classes = self.classes
        out = []
        for row in probabilities:
            best = int(np.argmax(row))
            out.append(
                Prediction(
                    category=classes[best],
                    confidence=round(float(row[best]), 4),
                    scores={c: round(float(p), 4) for c, p in zip(classes, row, strict=True)},
                )
            )
        return out
