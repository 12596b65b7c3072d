"""The buyers' review of triage's activities, read back from Odoo into the store as Feedback.

For every open activity triage wrote to Odoo, ``collect_feedback`` asks Odoo which were marked
done (with the feedback text) or cancelled, stores one Feedback row per activity (idempotent:
the activity is unique in the feedback table) and closes the activity in the store. Training
reads these rows as labels (``training/feedback.py``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.odoo import OdooGateway
from triage.odoo_activities import Written, collect_reviews
from triage.store import repository as repo
from triage.store.tables import ActivityRow, FeedbackRow

BATCH = 200


def collect_feedback(*, session: Session, gateway: OdooGateway, now: dt.datetime | None = None) -> dict[str, int]:
    """Store the reviews of open Odoo activities; returns counts by outcome. The caller commits."""
    now = now or repo.now()
    counts = {"done": 0, "cancelled": 0, "open": 0}
    rows = session.scalars(select(ActivityRow).where(ActivityRow.state == "open", ActivityRow.sink == "odoo",
                                                     ActivityRow.odoo_id.is_not(None))
                           .order_by(ActivityRow.id)).all()
    for start in range(0, len(rows), BATCH):
        batch = {row.odoo_id: row for row in rows[start:start + BATCH]}
        written = [Written(row.odoo_id, row.res_model, row.res_id or 0, row.triage_ref) for row in batch.values()]
        reviewed = collect_reviews(gateway, written)
        for review in reviewed:
            row = batch[review.odoo_id]
            row.state, row.updated_at = review.outcome, now
            if session.scalar(select(FeedbackRow.id).where(FeedbackRow.activity_id == row.id)) is None:
                session.add(FeedbackRow(activity_id=row.id, outcome=review.outcome, text=review.text,
                                        received_at=review.at or now))
            repo.audit(session, "feedback_received", "activity", row.id, outcome=review.outcome,
                       odoo_id=row.odoo_id)
            counts[review.outcome] += 1
        counts["open"] += len(batch) - len(reviewed)
    session.flush()
    return counts
