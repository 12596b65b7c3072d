"""The outbox between the gate and Odoo: approved activities wait here and are written with retries.

``enqueue`` takes only an ApprovedDecision's rendered spec (one row per decision: idempotent).
``flush`` claims due rows with a lease and writes them through an ActivityWriter: creates go in
batches of ``BATCH`` through the writer's ``write_many`` when it has one (one Odoo round trip per
batch instead of one per row), updates one by one through ``write``, after the creates (an update
queued behind the create of its activity must find it). Each row is then settled on its own: the
activity is recorded (a new one, or an update of the open one for the same record and exception
type; an update that Odoo put on a new activity because the buyer had closed the open one gets a
row of its own), and a retryable failure is retried later with exponential backoff.

Nothing is written while ``stopped()`` gives a reason (the kill switch: asked before the
claim and again before every batch, so approved items already waiting here wait too), and a
row whose decision the store does not show as approved is never written (it fails, audited).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from triage.activities import ActivityWriter
from triage.domain import ActivitySpec, ApprovedDecision, Outcome
from triage.errors import WriteError
from triage.store.tables import ActivityRow, AuditEventRow, DecisionRow, OutboxRow

MAX_ATTEMPTS = 8
LEASE = dt.timedelta(minutes=5)
BATCH = 50  # creates per write_many call


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _spec_payload(spec: ActivitySpec) -> dict:
    data = dataclasses.asdict(spec)
    data["deadline"] = spec.deadline.isoformat()
    return data


def _spec_from(payload: dict) -> ActivitySpec:
    return ActivitySpec(**{**payload, "deadline": dt.date.fromisoformat(payload["deadline"])})


def enqueue(session: Session, approved: ApprovedDecision, spec: ActivitySpec) -> OutboxRow:
    if not isinstance(approved, ApprovedDecision):  # the type says so; refuse at run time too
        raise TypeError(f"only an approved decision is queued for Odoo, not {type(approved).__name__}")
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
    stopped: str | None = None  # why writing stopped (the kill switch); rows not written stay pending


def _record_activity(session: Session, spec: ActivitySpec, case_id: int, writer: str, odoo_id: int | None) -> ActivityRow:
    open_row = session.scalar(
        select(ActivityRow).where(ActivityRow.key == spec.key, ActivityRow.state == "open")
    )
    if open_row is not None and not _moved(open_row, odoo_id):
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


def _moved(open_row: ActivityRow, odoo_id: int | None) -> bool:
    """Whether the writer put the spec on another Odoo activity than the store's open one: the
    buyer closed that one in Odoo before the store heard of it, so the writer created a new one.
    The new one needs its own row to be followed for feedback; the old row stays open until the
    feedback collection records its review."""
    return odoo_id is not None and open_row.odoo_id is not None and odoo_id != open_row.odoo_id


def _attempt(write: Callable[[ActivitySpec], int | None], spec: ActivitySpec) -> int | None | WriteError:
    """``write(spec)``'s id, or the WriteError it raised (so every row is settled the same way)."""
    try:
        return write(spec)
    except WriteError as exc:
        return exc


def _write_creates(writer: ActivityWriter, specs: list[ActivitySpec]) -> list[int | None | WriteError]:
    """One result per create spec: through ``write_many`` when the writer has it, else one by one."""
    write_many = getattr(writer, "write_many", None)
    if write_many is None:
        return [_attempt(writer.write, spec) for spec in specs]
    try:
        results = list(write_many(specs))
    except WriteError as exc:  # a writer that failed the whole batch: every spec failed with it
        return [exc for _ in specs]
    if len(results) != len(specs):
        raise RuntimeError(f"{writer.name}.write_many answered {len(results)} results for {len(specs)} specs")
    return results


def _settle(session: Session, row: OutboxRow, spec: ActivitySpec, outcome: int | None | WriteError, *,
            writer: ActivityWriter, case_of_decision, now: dt.datetime, result: FlushResult) -> None:
    """Book one row's write: sent (and its activity recorded and audited), retried later, or failed."""
    row.lease_owner = row.lease_until = None
    if isinstance(outcome, WriteError):
        row.last_error = str(outcome)
        if outcome.retryable and row.attempts < MAX_ATTEMPTS:
            row.next_attempt_at = now + dt.timedelta(seconds=min(3600, 30 * 2 ** (row.attempts - 1)))
            result.retrying += 1
        else:
            row.state = "failed"
            result.failed += 1
        return
    activity = _record_activity(session, spec, case_of_decision(row.decision_id), writer.name, outcome)
    row.state, row.sent_at = "sent", now
    session.flush()
    session.add(AuditEventRow(kind="activity_written", subject_type="activity", subject_id=activity.id,
                              data={"writer": writer.name, "key": spec.key, "update": spec.update,
                                    "triage_ref": spec.triage_ref, "outbox_id": row.id}))
    result.sent += 1


def _release(rows: list[OutboxRow]) -> None:
    """Give claimed rows back unwritten (the kill switch came on): not an attempt."""
    for row in rows:
        row.lease_owner = row.lease_until = None
        row.attempts -= 1


def _not_approved(session: Session, claimed: list[tuple[OutboxRow, ActivitySpec]], result: FlushResult
                  ) -> list[tuple[OutboxRow, ActivitySpec]]:
    """The claimed rows whose decision the store shows approved; any other fails without a write."""
    ids = [row.decision_id for row, _ in claimed]
    outcomes = dict(session.execute(select(DecisionRow.id, DecisionRow.outcome).where(DecisionRow.id.in_(ids))).all())
    kept = []
    for row, spec in claimed:
        outcome = outcomes.get(row.decision_id)
        if outcome == Outcome.APPROVE.value:
            kept.append((row, spec))
            continue
        row.state, row.lease_owner, row.lease_until = "failed", None, None
        row.last_error = f"decision {row.decision_id} is {outcome or 'missing'}, not approved: never written to Odoo"
        session.add(AuditEventRow(kind="outbox_refused", subject_type="outbox", subject_id=row.id,
                                  data={"decision_id": row.decision_id, "outcome": outcome}))
        result.failed += 1
    return kept


def flush(session: Session, writer: ActivityWriter, *, case_of_decision,
          stopped: Callable[[], str | None] = lambda: None, limit: int = 100) -> FlushResult:
    """Write due outbox rows. ``case_of_decision(decision_id) -> case_id``; ``stopped()``: why
    nothing may be written now (``switches.writes_stopped``), else None. The caller commits.

    Creates are written first, ``BATCH`` at a time; updates follow one by one in row order, so an
    update queued behind the create of its activity (the gate counts a waiting create as open)
    finds that activity in Odoo and in the store.
    """
    result = FlushResult()
    result.stopped = stopped()
    if result.stopped:
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
    claimed = []
    for row in session.scalars(query).all():
        row.lease_owner, row.lease_until = owner, now + LEASE
        row.attempts += 1
        claimed.append((row, _spec_from(row.payload)))
    claimed = _not_approved(session, claimed, result) if claimed else claimed
    settle = dict(writer=writer, case_of_decision=case_of_decision, now=now, result=result)
    creates = [(row, spec) for row, spec in claimed if not spec.update]
    updates = [(row, spec) for row, spec in claimed if spec.update]
    for start in range(0, len(creates), BATCH):
        if start and (reason := stopped()):
            result.stopped = reason
            _release([row for row, _ in creates[start:] + updates])
            return result
        chunk = creates[start:start + BATCH]
        for (row, spec), outcome in zip(chunk, _write_creates(writer, [spec for _, spec in chunk])):
            _settle(session, row, spec, outcome, **settle)
    if updates and creates and (reason := stopped()):
        result.stopped = reason
        _release([row for row, _ in updates])
        return result
    for row, spec in updates:
        _settle(session, row, spec, _attempt(writer.write, spec), **settle)
    return result
