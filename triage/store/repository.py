"""Store operations on domain objects. Keyword-only; they flush, never commit (the caller does)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import and_, func, insert, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from triage.domain import RecordRef, Signal, SignalState, Source
from triage.ingest import Intake
from triage.store.tables import (
    ActivityRow,
    AuditEventRow,
    CaseRow,
    DecisionRow,
    OriginalRow,
    OutboxRow,
    ProposalRow,
    SignalRow,
)


def raw_path(raw_dir: Path, sha: str) -> Path:
    """Where stores before migration 0005 kept an original (the data dir); read as a fallback."""
    return raw_dir / sha[:2] / sha


def original(*, session: Session, sha: str | None, raw_dir: Path | None = None) -> bytes | None:
    """The original bytes kept for a signal (``raw_sha256``): from the store, else from the data
    dir where older versions kept them; None when neither has them."""
    if not sha:
        return None
    data = session.scalar(select(OriginalRow.data).where(OriginalRow.sha256 == sha))
    if data is None and raw_dir is not None and raw_path(raw_dir, sha).is_file():
        data = raw_path(raw_dir, sha).read_bytes()
    return data


def _keep_originals(session: Session, intakes: list[Intake]) -> None:
    """Keep each original once, content-addressed (one lookup and one insert for all)."""
    new = {intake.sha256: intake.raw for intake in intakes}
    if new:
        kept = set(session.scalars(select(OriginalRow.sha256).where(OriginalRow.sha256.in_(list(new)))))
        fresh = [{"sha256": sha, "size": len(raw), "data": raw, "kept_at": now()}
                 for sha, raw in new.items() if sha not in kept]
        if fresh:  # two transactions may keep the same bytes at once (the same PDF on two emails)
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(OriginalRow).on_conflict_do_nothing(index_elements=["sha256"]), fresh)


def audit(session: Session, kind: str, subject_type: str, subject_id: int | None, **data) -> None:
    session.add(AuditEventRow(kind=kind, subject_type=subject_type, subject_id=subject_id, data=data))


def store_intake(*, session: Session, intake: Intake, submitted_by: str | None = None) -> tuple[SignalRow, bool]:
    """Store an intake once (by its key); returns (row, duplicate)."""
    return store_intakes(session=session, intakes=[intake], submitted_by=submitted_by)[0]


def store_intakes(*, session: Session, intakes: list[Intake], submitted_by: str | None = None
                  ) -> list[tuple[SignalRow, bool]]:
    """Store intakes, each once by its key, with their originals: (row, duplicate) of each, in
    order (``insert_intakes``, then the rows in one query)."""
    stored = insert_intakes(session=session, intakes=intakes, submitted_by=submitted_by)
    ids = {signal_id for signal_id, _ in stored}
    rows = {row.id: row for row in session.scalars(select(SignalRow).where(SignalRow.id.in_(ids)))} if ids else {}
    return [(rows[signal_id], duplicate) for signal_id, duplicate in stored]


def insert_intakes(*, session: Session, intakes: list[Intake], submitted_by: str | None = None
                   ) -> list[tuple[int, bool]]:
    """Store intakes, each once by its key, with their originals: (signal id, duplicate) of
    each, in order. One key lookup and one multi-row insert for all (the mailbox stores a
    batch at a time); a key seen twice in the list is stored once, the second a duplicate."""
    keys = list({intake.signal.key for intake in intakes})
    ids = dict(session.execute(select(SignalRow.key, SignalRow.id).where(SignalRow.key.in_(keys))).all()) if keys else {}
    pending: dict[str, Intake] = {}
    for intake in intakes:
        if intake.signal.key not in ids:
            pending.setdefault(intake.signal.key, intake)
    _keep_originals(session, list(pending.values()))
    if pending:
        session.flush()
        values = [_new_row(intake, submitted_by) for intake in pending.values()]
        table = SignalRow.__table__  # Core, not the ORM: a batch is plain values, nothing to track
        ids.update(session.execute(insert(table).returning(table.c.key, table.c.id), values).all())
    out, seen = [], set()
    for intake in intakes:
        key = intake.signal.key
        duplicate = key not in pending or key in seen
        seen.add(key)
        if not duplicate and intake.quarantine:
            audit(session, "signal_quarantined", "signal", ids[key], reason=str(intake.quarantine.reason),
                  error=intake.quarantine.message[:2000])
        out.append((ids[key], duplicate))
    return out


def _text(value: str | None) -> str | None:
    """Text as both stores keep it: PostgreSQL refuses NUL characters (hostile or broken input
    carries them), so they are dropped on the way in, for SQLite alike."""
    return value.replace("\x00", "") if value else value


def _new_row(intake: Intake, submitted_by: str | None) -> dict:
    signal = intake.signal
    return {
        "key": signal.key,
        "source": signal.source.value,
        "state": SignalState.QUARANTINED.value if intake.quarantine else SignalState.RECEIVED.value,
        "quarantine_reason": str(intake.quarantine.reason) if intake.quarantine else None,
        "error": _text(intake.quarantine.message) if intake.quarantine else None,
        "received_at": signal.received_at,
        "sent_at": signal.sent_at,
        "subject": _text(signal.subject),
        "sender": _text(signal.sender)[:320],
        "message_id": _text(signal.message_id),
        "thread_ids": signal.thread_ids,
        "doc_type": signal.doc_type,
        "text": _text(signal.text),
        "raw_sha256": intake.sha256,
        "raw_name": _text(intake.raw_name)[:500],
        "attachments": [vars(a) for a in signal.attachments],
        "meta": signal.meta,
        "submitted_by": submitted_by,
        "unread": intake.unread,
        "tries": 0,
        "fields": {},
    }


def update_from(row: SignalRow, signal: Signal) -> None:
    """A stored signal's fields from a new reading of its original (the key stays)."""
    row.subject, row.sender, row.sent_at = _text(signal.subject), _text(signal.sender)[:320], signal.sent_at
    row.message_id, row.thread_ids = _text(signal.message_id), signal.thread_ids
    row.doc_type, row.text = signal.doc_type, _text(signal.text)
    row.attachments, row.meta = [vars(a) for a in signal.attachments], {**(row.meta or {}), **signal.meta}


def to_signal(row: SignalRow) -> Signal:
    return Signal(
        id=row.id,
        key=row.key,
        source=Source(row.source),
        received_at=row.received_at,
        subject=row.subject,
        text=row.text,
        sender=row.sender,
        sent_at=row.sent_at,
        message_id=row.message_id,
        thread_ids=list(row.thread_ids or []),
        doc_type=row.doc_type,
        meta=dict(row.meta or {}),
    )


def quarantine(*, session: Session, row: SignalRow, reason: str, error: str) -> None:
    row.state, row.quarantine_reason, row.error = SignalState.QUARANTINED.value, reason, _text(error)[:2000]
    audit(session, "signal_quarantined", "signal", row.id, reason=reason, error=error[:2000])


def thread_case(*, session: Session, thread_ids: list[str]) -> CaseRow | None:
    """The case of an earlier signal in the same email thread, if any."""
    if not thread_ids:
        return None
    return session.scalar(
        select(CaseRow)
        .join(SignalRow, SignalRow.case_id == CaseRow.id)
        .where(SignalRow.message_id.in_(thread_ids))
        .order_by(SignalRow.id.desc())
        .limit(1)
    )


def case_by_key(*, session: Session, key: str) -> CaseRow | None:
    return session.scalar(select(CaseRow).where(CaseRow.key == key))


def create_case(*, session: Session, key: str, exception_type: str, category: str | None,
                record: RecordRef | None) -> CaseRow:
    row = CaseRow(
        key=key, exception_type=exception_type, category=category,
        record_model=record.model if record else None, record_name=record.name if record else None,
        record_id=record.id if record else None,
    )
    session.add(row)
    session.flush()
    return row


def open_activity_keys(*, session: Session, keys: list[str]) -> frozenset[str]:
    """Which of ``keys`` have an open activity, or a create waiting in the outbox."""
    keys = [k for k in keys if k]
    if not keys:
        return frozenset()
    found = set(session.scalars(select(ActivityRow.key).where(ActivityRow.state == "open",
                                                              ActivityRow.key.in_(keys))))
    found |= set(session.scalars(select(OutboxRow.activity_key).where(OutboxRow.state == "pending",
                                                                      OutboxRow.activity_key.in_(keys))))
    return frozenset(found)


CAPS_LOCK = 7_312_450_118  # pg_advisory_xact_lock key: caps are counted and decided one at a time


def approved_today(*, session: Session, start: dt.datetime, end: dt.datetime, record: tuple[str, str] | None,
                   assignees: list[str], supplier: str | None, lock: bool = False) -> list[tuple]:
    """The new activities (approved decisions, updates left out) decided in [start, end) on the
    record, for one of the assignees (the decision's, else the record's buyer) or for the supplier:
    rows of (record model, record name, assignee, owner, supplier) for ``gate.cap_keys``.

    With ``lock`` on PostgreSQL the transaction first takes an advisory lock held until it
    commits, so two workers cannot both take the last place under a cap (SQLite writers are
    serialised already: the flow has written before it counts)."""
    if lock and session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CAPS_LOCK})
    matches = []
    if record is not None:
        matches.append(and_(ProposalRow.record_model == record[0], ProposalRow.record_name == record[1]))
    if assignees:
        matches.append(or_(DecisionRow.assignee.in_(assignees),
                           and_(DecisionRow.assignee.is_(None), ProposalRow.owner.in_(assignees))))
    if supplier is not None:
        matches.append(ProposalRow.supplier == supplier)
    if not matches:
        return []
    query = (select(ProposalRow.record_model, ProposalRow.record_name, DecisionRow.assignee, ProposalRow.owner,
                    ProposalRow.supplier)
             .join(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
             .where(DecisionRow.outcome == "approve", DecisionRow.is_update.is_(False),
                    DecisionRow.decided_at >= start, DecisionRow.decided_at < end, or_(*matches)))
    return [tuple(row) for row in session.execute(query).all()]


def case_of_decision(*, session: Session, decision_id: int) -> int:
    return session.scalar(
        select(ProposalRow.case_id).join(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
        .where(DecisionRow.id == decision_id)
    )


def count_by(session: Session, column, *where) -> dict[str, int]:
    query = select(column, func.count()).group_by(column)
    for clause in where:
        query = query.where(clause)
    return {str(key): int(n) for key, n in session.execute(query).all() if key is not None}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def checkpoint(*, session: Session, source: str, name: str):
    """The checkpoint row of a source (created empty on first use; two processes creating it at
    once both get the one row)."""
    from sqlalchemy.exc import IntegrityError

    from triage.store.tables import SourceCheckpointRow

    query = select(SourceCheckpointRow).where(SourceCheckpointRow.source == source, SourceCheckpointRow.name == name)
    row = session.scalar(query)
    if row is None:
        try:
            with session.begin_nested():
                row = SourceCheckpointRow(source=source, name=name)
                session.add(row)
        except IntegrityError:  # another process created it meanwhile
            row = session.scalar(query)
    return row


def record_source_check(*, session: Session, source: str, name: str, error: str | None) -> None:
    """The last success or error of a source (a mailbox, Odoo), for ``triage status``."""
    row = checkpoint(session=session, source=source, name=name)
    if error is None:
        row.last_success, row.last_error = now(), None
    else:
        row.last_error = error[:2000]
    row.updated_at = now()
    session.flush()
