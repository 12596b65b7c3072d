"""Why the classifier chose a category: the words and cues that pushed it there, and the
nearest labelled examples.

The model is linear over its features, so each feature's push towards the predicted class is
exact: its value times (that class's weight minus the mean weight over classes). Character
n-gram pushes are summed back onto the words that contain them, cue pushes name the cue
(``lexicon.py``), and the sentence embedding is compared with the training examples' embeddings
kept in the model (cosine similarity) for the nearest labelled examples of that category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

TOP_TERMS = 6
TOP_NEIGHBOURS = 3
_WORD = re.compile(r"[^\W\d_][\w'’-]{2,}")


@dataclass(frozen=True)
class Neighbour:
    id: str
    category: str
    similarity: float
    subject: str


@dataclass(frozen=True)
class Explanation:
    terms: list[str] = field(default_factory=list)
    cues: list[str] = field(default_factory=list)
    nearest: list[Neighbour] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "terms": list(self.terms),
            "cues": list(self.cues),
            "nearest": [{"id": n.id, "category": n.category, "similarity": n.similarity, "subject": n.subject}
                        for n in self.nearest],
        }

    def summary(self) -> str:
        parts = []
        if self.terms:
            parts.append("words: " + ", ".join(self.terms))
        if self.cues:
            parts.append("cues: " + ", ".join(self.cues))
        if self.nearest:
            parts.append("like: " + "; ".join(f"{n.id} ({n.category}, {n.similarity:.2f})" for n in self.nearest))
        return " | ".join(parts)


class Explainer:
    """Explains predictions of one fitted pipeline (text -> FeatureUnion -> linear classifier)."""

    def __init__(self, pipeline: Any):
        union = pipeline.named_steps["features"]
        from triage.models.classifier import linear_model

        self.classifier = linear_model(pipeline.named_steps["classify"])
        weights = union.transformer_weights or {}
        self.blocks: dict[str, tuple[int, int, Any]] = {}
        start = 0
        for name, transformer in union.transformer_list:
            width = len(transformer.get_feature_names_out())
            self.blocks[name] = (start, start + width, transformer)
            start += width
        self.embedding_weight = float(weights.get("embedding", 1.0)) or 1.0
        coef = np.asarray(self.classifier.coef_, dtype=np.float64)
        if coef.shape[0] == 1:  # two classes: one weight row, for the second class
            coef = np.vstack([-coef[0] / 2, coef[0] / 2])
        self.push = coef - coef.mean(axis=0, keepdims=True)  # per class: weight above the average class
        self.classes = [str(c) for c in pipeline.named_steps["classify"].classes_]  # inner ones may be encoded
        chars = self.blocks.get("chars")
        self.analyzer = chars[2].build_analyzer() if chars else None
        self.vocabulary = chars[2].vocabulary_ if chars else {}
        cues = self.blocks.get("cues")
        self.cue_names = [str(n) for n in cues[2].get_feature_names_out()] if cues else []
        embedding = self.blocks.get("embedding")
        self.encoder = embedding[2] if embedding else None
        reference = getattr(self.encoder, "reference_", None)
        self.reference = None if reference is None else np.asarray(reference, dtype=np.float32)

    def explain(self, text: str, row: Any, category: str) -> Explanation:
        """``row``: the text's feature row (1 x n sparse or dense); ``category``: the prediction."""
        k = self.classes.index(category)
        dense = row.toarray()[0] if hasattr(row, "toarray") else np.asarray(row).ravel()
        return Explanation(terms=self._terms(text, dense, k), cues=self._cues(dense, k),
                           nearest=self._nearest(dense, category))

    def _terms(self, text: str, dense: np.ndarray, k: int) -> list[str]:
        if self.analyzer is None:
            return []
        start = self.blocks["chars"][0]
        scores: dict[str, float] = {}
        for word in {w.lower() for w in _WORD.findall(text)}:
            total = 0.0
            for gram in self.analyzer(word):
                index = self.vocabulary.get(gram)
                if index is not None:
                    total += dense[start + index] * self.push[k, start + index]
            if total > 0:
                scores[word] = total
        return [w for w, _ in sorted(scores.items(), key=lambda kv: kv[1], reverse=True)[:TOP_TERMS]]

    def _cues(self, dense: np.ndarray, k: int) -> list[str]:
        if not self.cue_names:
            return []
        start, end, _ = self.blocks["cues"]
        pushes = dense[start:end] * self.push[k, start:end]
        order = np.argsort(-pushes)
        return [self.cue_names[i] for i in order[:3] if pushes[i] > 0]

    def _nearest(self, dense: np.ndarray, category: str) -> list[Neighbour]:
        """The most similar training emails labelled with the predicted category."""
        if self.reference is None or not len(self.reference):
            return []
        start, end, _ = self.blocks["embedding"]
        query = dense[start:end] / self.embedding_weight
        similarity = self.reference @ query.astype(np.float32)
        labels = getattr(self.encoder, "reference_labels_", [])
        if len(labels) == len(similarity):
            similarity = np.where(np.asarray(labels) == category, similarity, -np.inf)
        order = [i for i in np.argsort(-similarity)[:TOP_NEIGHBOURS] if np.isfinite(similarity[i])]
        ids = getattr(self.encoder, "reference_ids_", [])
        subjects = getattr(self.encoder, "reference_subjects_", [])
        return [Neighbour(id=ids[i] if i < len(ids) else str(i), category=labels[i] if i < len(labels) else "?",
                          similarity=round(float(similarity[i]), 3),
                          subject=subjects[i] if i < len(subjects) else "")
                for i in order]
