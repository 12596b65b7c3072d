"""The outbox between the gate and Odoo: approved activities wait here and are written with retries.

``enqueue`` takes only an ApprovedDecision's rendered spec (one row per decision: idempotent).
``flush`` claims due rows with a lease, writes each through an ActivityWriter, records the
activity (a new one, or an update of the open one for the same record and exception type),
and retries retryable failures with exponential backoff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.activities import ActivityWriter
from triage.domain import ActivitySpec, ApprovedDecision
from triage.errors import WriteError
from triage.store.tables import ActivityRow, AuditEventRow, OutboxRow

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _spec_payload(spec: ActivitySpec) -> dict:
    data = dataclasses.asdict(spec)
    data["deadline"] = spec.deadline.isoformat()
    return data


def _spec_from(payload: dict) -> ActivitySpec:
    return ActivitySpec(**{**payload, "deadline": dt.date.fromisoformat(payload["deadline"])})


def enqueue(session: Session, approved: ApprovedDecision, spec: ActivitySpec) -> OutboxRow:
    key = f"decision:{approved.decision_id}"
    existing = session.scalar(select(OutboxRow).where(OutboxRow.key == key))
    if existing is not None:
        return existing
    row = OutboxRow(key=key, activity_key=spec.key, decision_id=approved.decision_id, payload=_spec_payload(spec))
    session.add(row)
    session.flush()
    return row


@dataclass
class FlushResult:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped_kill_switch: bool = False


def _record_activity(session: Session, spec: ActivitySpec, case_id: int, writer: str, odoo_id: int | None) -> ActivityRow:
    open_row = session.scalar(
        select(ActivityRow).where(ActivityRow.key == spec.key, ActivityRow.state == "open")
    )
    if open_row is not None:
        open_row.updates += 1
        open_row.deadline = spec.deadline.isoformat()
        open_row.note_html = open_row.note_html + "<hr/>" + spec.note_html
        open_row.updated_at = _now()
        return open_row
    row = ActivityRow(
        key=spec.key, triage_ref=spec.triage_ref, case_id=case_id, sink=writer, res_model=spec.res_model,
        res_name=spec.res_name, res_id=spec.res_id, odoo_id=odoo_id, summary=spec.summary,
        note_html=spec.note_html, deadline=spec.deadline.isoformat(), assignee=spec.assignee,
    )
    session.add(row)
    return row


def flush(session: Session, writer: ActivityWriter, *, case_of_decision, kill_switch: bool = False,
          limit: int = 100) -> FlushResult:
    """Write due outbox rows. ``case_of_decision(decision_id) -> case_id``. The caller commits."""
    result = FlushResult()
    if kill_switch:
        result.skipped_kill_switch = True
        return result
    now = _now()
    owner = f"{socket.gethostname()}:{os.getpid()}"
    query = (
        select(OutboxRow)
        .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now,
               or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now))
        .order_by(OutboxRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    for row in session.scalars(query).all():
        row.lease_owner, row.lease_until = owner, now + LEASE
        spec = _spec_from(row.payload)
        row.attempts += 1
        try:
            odoo_id = writer.write(spec)
        except WriteError as exc:
            row.last_error = str(exc)
            if exc.retryable and row.attempts < MAX_ATTEMPTS:
                row.next_attempt_at = now + dt.timedelta(seconds=min(3600, 30 * 2 ** (row.attempts - 1)))
                result.retrying += 1
            else:
                row.state = "failed"
                result.failed += 1
            row.lease_owner = row.lease_until = None
            continue
        activity = _record_activity(session, spec, case_of_decision(row.decision_id), writer.name, odoo_id)
        row.state, row.sent_at = "sent", now
        row.lease_owner = row.lease_until = None
        session.flush()
        session.add(AuditEventRow(kind="activity_written", subject_type="activity", subject_id=activity.id,
                                  data={"writer": writer.name, "key": spec.key, "update": spec.update,
                                        "triage_ref": spec.triage_ref, "outbox_id": row.id}))
        result.sent += 1
    return result
