"""Registered versions side by side, and the history of aliases and served models.

    python -m training.runs [--history] [--json]

Each version of ``triage-classifier`` with its aliases and the metrics its training run logged
on the fixed evaluation split (macro-F1 overall and non-English, calibration error), the
encoder fine-tuning, who trained it and when. ``--history`` prints the audit log of alias
moves and of the versions services started serving (or failed to load).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

import model_registry
from training.aliases import alias_history
from triage.config import Settings, load_settings


def version_table(settings: Settings) -> list[dict[str, Any]]:
    import mlflow

    model_registry.configure(settings.tracking_uri)
    rows = []
    for v in model_registry.versions(settings.model.name):
        metrics: dict[str, float] = {}
        params: dict[str, str] = {}
        tags: dict[str, str] = {}
        if v["run_id"]:
            try:
                run = mlflow.get_run(v["run_id"])
                metrics, params, tags = run.data.metrics, run.data.params, run.data.tags
            except Exception:  # a run deleted from tracking keeps its registered version
                pass
        rows.append({
            "version": v["version"], "aliases": v["aliases"], "run_id": v["run_id"],
            "created": dt.datetime.fromtimestamp(v["created"] / 1000, dt.UTC).isoformat(timespec="seconds"),
            "macro_f1": metrics.get("macro_f1"), "non_english_macro_f1": metrics.get("non_english_macro_f1"),
            "calibration_error": metrics.get("calibration_error"),
            "fine_tune_epochs": params.get("fine_tune_epochs"), "feedback_examples": params.get("feedback_examples"),
            "trained_by": tags.get("trained_by"), "forced_promotion": tags.get("forced_promotion"),
        })
    return rows


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.runs", description=__doc__.split("\n\n")[0])
    parser.add_argument("--history", action="store_true", help="print the alias and serving history instead")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    settings = load_settings()
    rows = alias_history(settings) if args.history else version_table(settings)
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    if not rows:
        print(f"nothing yet in {settings.tracking_uri}: run python -m training.train")
        return 0
    if args.history:
        for r in rows:
            what = {"model_alias_moved": f"{r['alias']} -> v{r['version']} (was {r.get('previous') or '-'}) by "
                                         f"{r.get('by') or '?'}, macro-F1 {_num(r.get('macro_f1'))}"
                                         f"{', forced' if r.get('forced') else ''}",
                    "model_served": f"a service serves v{r['version']} (was {r.get('previous') or '-'})",
                    "model_load_failed": f"a service could not load the {r.get('alias')} target; serves "
                                         f"v{r.get('serving')}"}[r["kind"]]
            print(f"{r['at']}  {what}")
        return 0
    print(f"{'version':>7}  {'aliases':20} {'macro-F1':>8} {'non-EN':>6} {'ECE':>5} {'tuned':>5} "
          f"{'feedback':>8}  {'by':10} created")
    for r in rows:
        print(f"{r['version']:>7}  {','.join(r['aliases']) or '-':20} {_num(r['macro_f1']):>8} "
              f"{_num(r['non_english_macro_f1']):>6} {_num(r['calibration_error']):>5} "
              f"{r['fine_tune_epochs'] or '-':>5} {r['feedback_examples'] or '-':>8}  {r['trained_by'] or '-':10} "
              f"{r['created']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
