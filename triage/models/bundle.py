"""What serving loads: the classifier pipeline with its registry name and version."""

from __future__ import annotations

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

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def predict(self, texts: list[str]) -> list[Prediction]:
        if not texts:
            return []
        probabilities = np.asarray(self.pipeline.predict_proba(list(texts)))
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
