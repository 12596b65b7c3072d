"""Store operations on domain objects. Keyword-only; they flush, never commit (the caller does)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.domain import RecordRef, Signal, SignalState, Source
from triage.ingest import Intake
from triage.store.tables import (
    ActivityRow,
    AuditEventRow,
    CaseRow,
    DecisionRow,
    OutboxRow,
    ProposalRow,
    SignalRow,
)


def keep_raw(raw_dir: Path, raw: bytes) -> str:
    """Keep the original bytes, content-addressed; returns their SHA-256."""
    sha = hashlib.sha256(raw).hexdigest()
    path = raw_dir / sha[:2] / sha
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(raw)
        tmp.replace(path)
    return sha


def raw_path(raw_dir: Path, sha: str) -> Path:
    return raw_dir / sha[:2] / sha


def audit(session: Session, kind: str, subject_type: str, subject_id: int | None, **data) -> None:
    session.add(AuditEventRow(kind=kind, subject_type=subject_type, subject_id=subject_id, data=data))


def store_intake(*, session: Session, intake: Intake, raw_dir: Path,
                 submitted_by: str | None = None) -> tuple[SignalRow, bool]:
    """Store an intake once (by its key); returns (row, duplicate)."""
    signal = intake.signal
    existing = session.scalar(select(SignalRow).where(SignalRow.key == signal.key))
    if existing is not None:
        return existing, True
    row = SignalRow(
        key=signal.key,
        source=signal.source.value,
        state=SignalState.QUARANTINED.value if intake.quarantine else SignalState.RECEIVED.value,
        quarantine_reason=str(intake.quarantine.reason) if intake.quarantine else None,
        error=intake.quarantine.message if intake.quarantine else None,
        received_at=signal.received_at,
        sent_at=signal.sent_at,
        subject=signal.subject,
        sender=signal.sender[:320],
        message_id=signal.message_id,
        thread_ids=signal.thread_ids,
        doc_type=signal.doc_type,
        text=signal.text,
        raw_sha256=keep_raw(raw_dir, intake.raw),
        raw_name=intake.raw_name[:500],
        attachments=[vars(a) for a in signal.attachments],
        meta=signal.meta,
        submitted_by=submitted_by,
    )
    session.add(row)
    session.flush()
    if intake.quarantine:
        audit(session, "signal_quarantined", "signal", row.id, reason=row.quarantine_reason, error=row.error)
    return row, False


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
    row.state, row.quarantine_reason, row.error = SignalState.QUARANTINED.value, reason, error[:2000]
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
