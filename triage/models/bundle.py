"""What serving loads: the classifier pipeline with its registry name and version."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from triage.models.explain import Explainer, Explanation

LOW_CONFIDENCE = 0.55  # below this a prediction is flagged (the default policy holds it too)


@dataclass(frozen=True)
class Prediction:
    category: str
    confidence: float
    scores: dict[str, float]
    low_confidence: bool = False
    explanation: Explanation | None = None


@dataclass
class ModelBundle:
    name: str
    version: str
    pipeline: Any  # a fitted sklearn Pipeline over raw texts
    on_predict: Callable[[float], None] | None = None  # gets each batch's seconds (metrics)
    low_confidence: float = LOW_CONFIDENCE
    _explainer: Explainer | None = field(default=None, init=False, repr=False)

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def _explaining(self) -> Explainer | None:
        if self._explainer is None and "features" in getattr(self.pipeline, "named_steps", {}):
            self._explainer = Explainer(self.pipeline)
        return self._explainer

    def predict(self, texts: list[str], *, explain: bool = True) -> list[Prediction]:
        """One prediction per text; features are computed once and also feed the explanation."""
        if not texts:
            return []
        texts = list(texts)
        started = time.perf_counter()
        explainer = self._explaining()
        if explainer is not None:
            steps = self.pipeline.named_steps
            features = steps["features"].transform(steps["text"].transform(texts))
            probabilities = np.asarray(steps["classify"].predict_proba(features))
        else:
            features, probabilities = None, np.asarray(self.pipeline.predict_proba(texts))
        if self.on_predict is not None:
            self.on_predict(time.perf_counter() - started)
        classes = self.classes
        out = []
        for index, row in enumerate(probabilities):
            best = int(np.argmax(row))
            category = classes[best]
            explanation = None
            if explain and explainer is not None:
                explanation = explainer.explain(texts[index], features[index], category)
            out.append(
                Prediction(
                    category=category,
                    confidence=round(float(row[best]), 4),
                    scores={c: round(float(p), 4) for c, p in zip(classes, row, strict=True)},
                    low_confidence=float(row[best]) < self.low_confidence,
                    explanation=explanation,
                )
            )
        return out
