"""Labels from the buyers' reviews: the feedback the store holds for activities written to Odoo.

An activity marked *done* confirms the category of the email behind it (a training example);
*cancelled* rejects it (the category was wrong; the right one is unknown, so it is no training
example, but it counts against the model that made it); *resolved* (the record moved on by
itself, see ARCHITECTURE.md) never counts. Only emails are labelled: documents are assessed by
their type.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Source
from triage.models.text import model_text
from triage.store.tables import ActivityRow, AssessmentRow, FeedbackRow, ShadowScoreRow, SignalRow

CONFIRMS, REJECTS = "done", "cancelled"


@dataclass(frozen=True)
class FeedbackLabel:
    signal_id: int
    text: str  # what the model reads: subject and newest message
    category: str  # the category the served model gave, which the buyer confirmed or rejected
    outcome: str  # done | cancelled
    received_at: dt.datetime
    served_version: str
    shadow: dict[str, str] = field(default_factory=dict)  # shadow model version -> its category

    @property
    def confirmed(self) -> bool:
        return self.outcome == CONFIRMS


def feedback_labels(*, session: Session, since: dt.datetime | None = None) -> list[FeedbackLabel]:
    """One label per done or cancelled review: the email assessment that produced the reviewed
    activity (the case's latest email assessment before the review)."""
    query = (
        select(FeedbackRow.outcome, FeedbackRow.received_at, ActivityRow.case_id)
        .join(ActivityRow, ActivityRow.id == FeedbackRow.activity_id)
        .where(FeedbackRow.outcome.in_((CONFIRMS, REJECTS)))
        .order_by(FeedbackRow.received_at, FeedbackRow.id)
    )
    if since is not None:
        query = query.where(FeedbackRow.received_at >= since)
    reviews = session.execute(query).all()
    cases = sorted({case_id for _, _, case_id in reviews})
    assessed: dict[int, list[tuple[AssessmentRow, SignalRow]]] = {}
    for start in range(0, len(cases), 500):
        rows = session.execute(
            select(AssessmentRow, SignalRow).join(SignalRow, SignalRow.id == AssessmentRow.signal_id)
            .where(AssessmentRow.case_id.in_(cases[start:start + 500]), SignalRow.source == Source.EMAIL.value)
            .order_by(AssessmentRow.id)).all()
        for assessment, signal in rows:
            assessed.setdefault(assessment.case_id, []).append((assessment, signal))
    chosen: list[tuple[str, dt.datetime, AssessmentRow, SignalRow]] = []
    for outcome, received_at, case_id in reviews:
        before = [(a, s) for a, s in assessed.get(case_id, []) if a.created_at <= received_at]
        if before:
            chosen.append((outcome, received_at, *before[-1]))
    shadows: dict[int, dict[str, str]] = {}
    ids = [assessment.id for _, _, assessment, _ in chosen]
    for start in range(0, len(ids), 500):
        for score in session.scalars(select(ShadowScoreRow).where(ShadowScoreRow.assessment_id.in_(ids[start:start + 500]))):
            shadows.setdefault(score.assessment_id, {})[score.model_version] = score.category
    return [
        FeedbackLabel(signal_id=signal.id, text=model_text(signal.subject, signal.text), category=assessment.category,
                      outcome=outcome, received_at=received_at, served_version=assessment.model_version,
                      shadow=shadows.get(assessment.id, {}))
        for outcome, received_at, assessment, signal in chosen
    ]
