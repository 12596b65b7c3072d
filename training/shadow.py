"""Shadow report: how a shadow model (``TRIAGE_MODEL_SHADOW=challenger``) compares with the
served one on the signals both scored, and on the buyers' feedback gathered since.

    python -m training.shadow [--since 2026-11-01] [--json]

Agreement: the share of signals where the shadow model's category equals the served one's.
Accuracy on feedback: a *done* review confirms the served category, so a model is right when
it gave that category; a *cancelled* review rejects it, so a model that gave it is wrong and
one that gave another category is not known to be right (counted apart, as "avoided").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from training.feedback import FeedbackLabel, feedback_labels
from triage.store.tables import AssessmentRow, ShadowScoreRow


@dataclass
class ModelScore:
    version: str
    reviewed: int = 0  # feedback labels this model scored
    right: int = 0
    wrong: int = 0
    avoided: int = 0  # rejected category not given; the right one unknown

    @property
    def accuracy(self) -> float | None:
        known = self.right + self.wrong
        return round(self.right / known, 4) if known else None


@dataclass
class ShadowComparison:
    shadow_version: str
    scored: int  # signals both models scored
    agreement: float | None
    served: ModelScore  # the served model(s), on the labels the shadow also scored
    shadow: ModelScore

    def as_dict(self) -> dict:
        return {"shadow_version": self.shadow_version, "scored": self.scored, "agreement": self.agreement,
                "served": {**asdict(self.served), "accuracy": self.served.accuracy},
                "shadow": {**asdict(self.shadow), "accuracy": self.shadow.accuracy}}


def _score(model: ModelScore, label: FeedbackLabel, category: str) -> None:
    model.reviewed += 1
    if label.confirmed:
        if category == label.category:
            model.right += 1
        else:
            model.wrong += 1
    elif category == label.category:
        model.wrong += 1
    else:
        model.avoided += 1


def compare(pairs: list[tuple[str, str, str]], labels: list[FeedbackLabel]) -> list[ShadowComparison]:
    """``pairs``: (shadow version, shadow category, served category) per signal both scored."""
    by_version: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for version, shadow_category, served_category in pairs:
        by_version[version].append((shadow_category, served_category))
    versions = sorted(set(by_version) | {v for label in labels for v in label.shadow}, key=_version_key)
    out = []
    for version in versions:
        scored = by_version.get(version, [])
        served, shadow = ModelScore(version="served"), ModelScore(version=version)
        for label in labels:
            if version in label.shadow:
                _score(served, label, label.category)
                _score(shadow, label, label.shadow[version])
        agreement = round(sum(a == b for a, b in scored) / len(scored), 4) if scored else None
        out.append(ShadowComparison(shadow_version=version, scored=len(scored), agreement=agreement,
                                    served=served, shadow=shadow))
    return out


def _version_key(version: str):
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def shadow_report(*, session: Session, since: dt.datetime | None = None) -> list[ShadowComparison]:
    query = select(ShadowScoreRow.model_version, ShadowScoreRow.category, AssessmentRow.category).join(
        AssessmentRow, AssessmentRow.id == ShadowScoreRow.assessment_id)
    if since is not None:
        query = query.where(ShadowScoreRow.created_at >= since)
    pairs = [tuple(row) for row in session.execute(query).all()]
    return compare(pairs, feedback_labels(session=session, since=since))


def _since(value: str) -> dt.datetime:
    try:
        day = dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from exc
    return dt.datetime.combine(day, dt.time(), dt.UTC)


def main(argv: list[str] | None = None) -> int:
    from triage.config import load_settings
    from triage.services import open_store
    from triage.store import session_scope

    parser = argparse.ArgumentParser(prog="python -m training.shadow", description=__doc__.split("\n\n")[0])
    parser.add_argument("--since", type=_since, default=None, help="only signals and feedback from this day (UTC)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    settings = load_settings()
    with session_scope(open_store(settings)) as session:
        report = shadow_report(session=session, since=args.since)
    if args.json:
        print(json.dumps([r.as_dict() for r in report], indent=2))
        return 0
    if not report:
        print("no shadow scores yet: set TRIAGE_MODEL_SHADOW=challenger on the service and let it assess signals")
        return 0
    for r in report:
        agreement = "-" if r.agreement is None else f"{r.agreement:.1%}"
        print(f"shadow version {r.shadow_version}: {r.scored} signals scored beside the served model, "
              f"agreement {agreement}")
        for name, score in (("served", r.served), (f"shadow v{r.shadow_version}", r.shadow)):
            accuracy = "-" if score.accuracy is None else f"{score.accuracy:.1%}"
            print(f"  {name:14} on {score.reviewed} reviewed: right {score.right}, wrong {score.wrong}, "
                  f"avoided a rejected category {score.avoided}; accuracy where known {accuracy}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
