"""The buyers' review of triage's activities, read back from Odoo into the store as Feedback.

For every open activity triage wrote to Odoo, ``collect_feedback`` asks Odoo which were marked
done (with the feedback text) or cancelled, stores one Feedback row per activity (idempotent:
the activity is unique in the feedback table) and closes the activity in the store. Training
reads these rows as labels (``training/feedback.py``).

``resolve_closed`` closes the open activities of Odoo exceptions (a late receipt, a bill that
did not match) that the round's queries no longer find: Odoo shows them resolved. Each is
marked done in Odoo with a note saying so and stored as Feedback ``resolved``, never as a
reviewer's verdict.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.errors import OdooRejected
from triage.ingest.odoo_records import EXCEPTION_CATEGORY, OdooException
from triage.odoo import OdooGateway
from triage.odoo_activities import Written, close_resolved, collect_reviews
from triage.store import repository as repo
from triage.store.tables import ActivityRow, CaseRow, FeedbackRow

BATCH = 200
log = logging.getLogger(__name__)


def _in_scope(row: ActivityRow, scope: dict[str, list[int]] | None) -> bool:
    """Whether an activity is on one of the records a restricted round is about (None: all)."""
    return scope is None or (row.res_id is not None and row.res_id in (scope.get(row.res_model) or ()))


def collect_feedback(*, session: Session, gateway: OdooGateway, now: dt.datetime | None = None,
                     scope: dict[str, list[int]] | None = None) -> dict[str, int]:
    """Store the reviews of open Odoo activities (those on ``scope``'s records only, when given:
    model -> ids); returns counts by outcome. The caller commits."""
    now = now or repo.now()
    counts = {"done": 0, "cancelled": 0, "resolved": 0, "open": 0}
    rows = [row for row in session.scalars(select(ActivityRow).where(
        ActivityRow.state == "open", ActivityRow.sink == "odoo", ActivityRow.odoo_id.is_not(None))
        .order_by(ActivityRow.id)).all() if _in_scope(row, scope)]
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


_RESOLVED = {
    "late_receipt": "every line of {name} is received or no longer late",
    "unconfirmed_po": "{name} is no longer waiting for confirmation",
    "overdue_transfer": "{name} is done or no longer overdue",
    "bill_mismatch": "{name} now matches its purchase order and receipts",
    "duplicate_bill": "{name} no longer repeats another bill of the supplier",
}
_WAITING = ("sent", "to approve")


def resolve_closed(*, session: Session, gateway: OdooGateway, found: list[OdooException],
                   now: dt.datetime | None = None, scope: dict[str, list[int]] | None = None) -> int:
    """Close the open activities of Odoo exceptions this round did not find again (the caller
    ran every query to the end, over ``scope``'s records when given); returns how many were
    closed. An unconfirmed PO counts as resolved only when Odoo shows it left the waiting states
    (a longer ``--unconfirmed-days`` alone does not resolve it). The caller commits."""
    now = now or repo.now()
    still = {f"{e.model}:{e.name}:{e.exception_type}" for e in found}
    rows = session.execute(
        select(ActivityRow, CaseRow.exception_type).join(CaseRow, CaseRow.id == ActivityRow.case_id)
        .where(ActivityRow.state == "open", ActivityRow.sink == "odoo", ActivityRow.odoo_id.is_not(None),
               CaseRow.exception_type.in_(list(EXCEPTION_CATEGORY)))
        .order_by(ActivityRow.id)).all()
    gone = [(row, kind) for row, kind in rows if row.key not in still and _in_scope(row, scope)]
    waiting = _still_waiting(gateway, [row.res_id for row, kind in gone if kind == "unconfirmed_po"])
    closed = 0
    for row, kind in gone:
        if kind == "unconfirmed_po" and row.res_id in waiting:
            continue
        try:
            text = close_resolved(gateway, row.odoo_id, _RESOLVED[kind].format(name=row.res_name))
        except OdooRejected as exc:  # gone meanwhile (reviewed or deleted): the next collection tells
            log.info("activity %s (Odoo %s) could not be closed as resolved: %s", row.id, row.odoo_id, exc)
            continue
        row.state, row.updated_at = "resolved", now
        if session.scalar(select(FeedbackRow.id).where(FeedbackRow.activity_id == row.id)) is None:
            session.add(FeedbackRow(activity_id=row.id, outcome="resolved", text=text, received_at=now))
        repo.audit(session, "activity_resolved", "activity", row.id, odoo_id=row.odoo_id, exception_type=kind,
                   reason=text)
        session.flush()
        closed += 1
    return closed


def _still_waiting(gateway: OdooGateway, order_ids: list[int | None]) -> set[int]:
    ids = sorted({i for i in order_ids if i})
    if not ids:
        return set()
    return {row["id"] for row in gateway.read("purchase.order", ids, ["state"]) if row.get("state") in _WAITING}
