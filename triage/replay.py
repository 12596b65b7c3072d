"""Replaying quarantined signals once their cause is fixed (``triage replay``).

Every quarantined signal keeps its original bytes in the data dir. Replaying one:

- ``processing_error`` (the input was read, a stage failed: a bug, a dependency): the stored
  signal goes back to ``received`` and through the flow again;
- any other reason (the input could not be read: malformed MIME, a PDF without text, ...): the
  original is read again by the reader its name says (``.eml``, ``.pdf``, ``.json``), with the
  current code and limits; if it now reads, the signal is updated from it and goes through the
  flow (an email's attached PDFs are stored and run after it); if not, it stays quarantined
  with the new reason. A signal whose reading now matches another stored signal's key is marked
  as a duplicate of it rather than stored twice.

Each replay is audited (``signal_replayed``). The flow's own failures quarantine again, so a
replay never loses a signal.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage import pipeline
from triage.domain import QuarantineReason, SignalState
from triage.ingest import Intake
from triage.ingest.files import READERS
from triage.services import Services
from triage.store import repository as repo
from triage.store.tables import SignalRow


@dataclass
class Replayed:
    signal_id: int
    outcome: str  # processed | quarantined | duplicate | missing
    detail: str = ""


def quarantined(session: Session, *, ids: list[int] | None = None, reason: str | None = None,
                limit: int = 500) -> list[SignalRow]:
    query = select(SignalRow).where(SignalRow.state == SignalState.QUARANTINED.value)
    if ids:
        query = query.where(SignalRow.id.in_(ids))
    if reason:
        query = query.where(SignalRow.quarantine_reason == reason)
    return list(session.scalars(query.order_by(SignalRow.id).limit(limit)))


def replay(session: Session, row: SignalRow, services: Services) -> Replayed:
    """Replay one quarantined signal (the caller commits)."""
    before = row.quarantine_reason
    if before == QuarantineReason.PROCESSING_ERROR.value:
        outcome = _run(session, row, services)
    else:
        outcome = _read_again(session, row, services)
    repo.audit(session, "signal_replayed", "signal", row.id, previous_reason=before, outcome=outcome.outcome,
               detail=outcome.detail[:2000])
    return outcome


def _run(session: Session, row: SignalRow, services: Services) -> Replayed:
    row.state, row.quarantine_reason, row.error = SignalState.RECEIVED.value, None, None
    result = pipeline.run(session, row, services)
    if result.state == SignalState.QUARANTINED.value:
        return Replayed(row.id, "quarantined", row.error or "")
    return Replayed(row.id, "processed", f"{result.decision or ''} {result.rule or ''}".strip())


def _read_again(session: Session, row: SignalRow, services: Services) -> Replayed:
    path = repo.raw_path(services.settings.raw_dir, row.raw_sha256 or "")
    suffix = "." + (row.raw_name or "").rsplit(".", 1)[-1].lower() if "." in (row.raw_name or "") else ""
    reader = READERS.get(suffix)
    if not row.raw_sha256 or not path.is_file() or reader is None:
        return Replayed(row.id, "missing", f"no original to read again ({row.raw_name or 'no name'})")
    if row.quarantine_reason == QuarantineReason.OVERSIZED.value and (row.meta or {}).get("uid"):
        return Replayed(row.id, "missing", "only the headers of this oversized message were kept; it is still in "
                        f"the mailbox ({row.meta.get('mailbox')}, UID {row.meta['uid']})")
    intake: Intake = reader(path.read_bytes(), row.raw_name, services.settings.limits)
    if intake.quarantine is not None:
        row.quarantine_reason, row.error = str(intake.quarantine.reason), intake.quarantine.message
        return Replayed(row.id, "quarantined", f"{row.quarantine_reason}: {row.error}")
    signal = intake.signal
    other = session.scalar(select(SignalRow.id).where(SignalRow.key == signal.key, SignalRow.id != row.id))
    if other is not None:
        row.error = f"read again, it is signal {other}"
        return Replayed(row.id, "duplicate", row.error)
    row.key, row.subject, row.sender, row.sent_at = signal.key, signal.subject, signal.sender[:320], signal.sent_at
    row.message_id, row.thread_ids, row.doc_type, row.text = signal.message_id, signal.thread_ids, signal.doc_type, signal.text
    row.attachments, row.meta = [vars(a) for a in signal.attachments], {**(row.meta or {}), **signal.meta}
    outcome = _run(session, row, services)
    for child in intake.children:
        child_row, again = repo.store_intake(session=session, intake=child, raw_dir=services.settings.raw_dir,
                                             submitted_by="replay")
        if not again and child_row.state == SignalState.RECEIVED.value:
            pipeline.run(session, child_row, services)
    return outcome
