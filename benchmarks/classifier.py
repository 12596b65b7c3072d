"""Classifier accuracy on the fixed evaluation split: the shipped model against baselines, in one run.

    python -m benchmarks.classifier [--cv 5] [--fine-tune-epochs 5]

Every configuration is fitted on the training split and scored on the held-out evaluation
split (``training/data/eval_ids.txt``, stratified by category and language): keyword rules
(the cue lexicon, most matches wins), word TF-IDF + logistic regression, character n-grams +
logistic regression, sentence embeddings alone, the model on the frozen encoder (what
``triage demo`` trains) and the shipped model, whose encoder is first fine-tuned on the
training split (what ``python -m training.train`` trains; about 8 minutes). Prints macro-F1
overall, on the non-English part and per language, accuracy, expected calibration error and
macro-F1 as a ratio to TF-IDF; then the shipped model's per-class precision and recall.
``--cv K`` adds a stratified K-fold cross-validation of the frozen-encoder model over the whole
corpus (steadier than one split of 190 emails; fine-tuning in every fold would take K times 8
minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from training.dataset import load_corpus, split, to_example
from training.evaluate import evaluate, expected_calibration_error
from triage.models.classifier import EmbeddingFeatures, TextColumn, build_classifier, cached_embeddings
from triage.models.finetune import fine_tune
from triage.models.lexicon import _PATTERNS

LANGS = ("en", "de", "fr", "es", "nl", "it", "pt")
CUE_CATEGORY = {
    "delay": "delivery_delay", "partial": "partial_shipment", "price": "price_change",
    "invoice": "invoice_discrepancy", "confirm": "order_confirmation", "cancel": "cancellation",
    "quality": "quality_issue", "payment": "payment_reminder", "shipping": "shipping_notice", "away": "other",
}


class KeywordRules(BaseEstimator, ClassifierMixin):
    """The category whose cue words match most often (a "no delay" negation cancels a delay
    match); no match at all is ``other``. What a mail rule in an inbox would do."""

    def fit(self, texts, y):
        self.classes_ = np.array(sorted(set(y)))
        return self

    def predict_proba(self, texts):
        out = np.zeros((len(texts), len(self.classes_)))
        index = {c: i for i, c in enumerate(self.classes_)}
        for row, text in enumerate(texts):
            counts = {cue: len(_PATTERNS[cue].findall(text)) for cue in CUE_CATEGORY}
            counts["delay"] = max(0, counts["delay"] - len(_PATTERNS["negation"].findall(text)))
            cue, hits = max(counts.items(), key=lambda kv: kv[1])
            out[row, index[CUE_CATEGORY[cue] if hits else "other"]] = 1.0
        return out

    def predict(self, texts):
        return self.classes_[self.predict_proba(texts).argmax(axis=1)]


def _logreg():
    return LogisticRegression(C=64, max_iter=5000, class_weight="balanced")


class FineTuned(BaseEstimator, ClassifierMixin):
    """The shipped configuration: fine-tune the encoder on the training texts, then fit the
    classifier on the tuned embeddings (as ``training.train`` does)."""

    def __init__(self, epochs: int = 5):
        self.epochs = epochs

    def fit(self, texts, y):
        path, _ = fine_tune(list(texts), list(y), epochs=self.epochs)
        self.pipeline_ = build_classifier(embedding_path=path).fit(texts, y)
        self.classes_ = self.pipeline_.classes_
        return self

    def predict_proba(self, texts):
        return self.pipeline_.predict_proba(texts)


def candidates(epochs: int) -> dict[str, Pipeline]:
    return {
        "keyword rules": Pipeline([("text", TextColumn()), ("c", KeywordRules())]),
        "TF-IDF words + LR": Pipeline([("text", TextColumn()), ("f", TfidfVectorizer(
            ngram_range=(1, 2), min_df=2, sublinear_tf=True)), ("c", _logreg())]),
        "char n-grams + LR": Pipeline([("text", TextColumn()), ("f", TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True, max_features=60000)),
            ("c", _logreg())]),
        "embeddings alone + LR": Pipeline([("text", TextColumn()), ("f", EmbeddingFeatures()), ("c", _logreg())]),
        "frozen encoder (demo)": build_classifier(),
        **({f"shipped (fine-tuned x{epochs})": FineTuned(epochs)} if epochs else {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cv", type=int, default=0, metavar="K", help="also cross-validate the frozen-encoder model")
    parser.add_argument("--fine-tune-epochs", type=int, default=5, metavar="N",
                        help="epochs for the shipped model's encoder (0 leaves it out)")
    args = parser.parse_args()
    rows = load_corpus()
    train, held_out = split(rows)
    print(f"{len(rows)} labelled emails: {len(train)} train, {len(held_out)} evaluation "
          f"({sum(e.lang != 'en' for e in held_out)} non-English)")
    header = f"{'configuration':26} {'macro-F1':>8} {'non-EN':>6} " + " ".join(f"{lang:>5}" for lang in LANGS)
    print(header + f" {'acc.':>5} {'ECE':>5} {'vs TF-IDF':>9} {'seconds':>7}")
    shipped = None
    reference = None
    with cached_embeddings():  # the embedding configurations encode the same texts
        for name, pipeline in candidates(args.fine_tune_epochs).items():
            started = time.perf_counter()
            pipeline.fit([e.text for e in train], [e.category for e in train])
            m = evaluate(pipeline, held_out)
            if name.startswith("TF-IDF"):
                reference = m["macro_f1"]
            ratio = f"{m['macro_f1'] / reference:.2f}x" if reference else "-"
            langs = " ".join(f"{m['per_language_macro_f1'].get(lang, 0):5.2f}" for lang in LANGS)
            print(f"{name:26} {m['macro_f1']:8.3f} {m['non_english_macro_f1']:6.3f} {langs} {m['accuracy']:5.2f} "
                  f"{m['calibration_error']:5.3f} {ratio:>9} {time.perf_counter() - started:7.1f}", flush=True)
            shipped = m
        print(f"\n{name} per class (evaluation split):")
        print(f"{'category':20} {'precision':>9} {'recall':>6} {'f1':>5} {'n':>3}")
        for label, c in shipped["per_class"].items():
            print(f"{label:20} {c['precision']:9.3f} {c['recall']:6.3f} {c['f1']:5.3f} {c['support']:3d}")
        if args.cv:
            examples = [to_example(r) for r in rows]
            truth = np.array([e.category for e in examples])
            folds = StratifiedKFold(args.cv, shuffle=True, random_state=0)
            proba = cross_val_predict(build_classifier(), [e.text for e in examples], truth, cv=folds,
                                      method="predict_proba")
            predicted = np.unique(truth)[proba.argmax(axis=1)]
            foreign = np.array([e.lang != "en" for e in examples])
            ece = expected_calibration_error(proba.max(axis=1), (predicted == truth).astype(float))
            print(f"\nfrozen-encoder model, {args.cv}-fold cross-validation over all {len(examples)} emails: "
                  f"macro-F1 {f1_score(truth, predicted, average='macro'):.3f}, non-English "
                  f"{f1_score(truth[foreign], predicted[foreign], average='macro'):.3f}, ECE {ece:.3f}")


if __name__ == "__main__":
    main()
