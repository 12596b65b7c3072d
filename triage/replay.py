"""Replaying quarantined signals once their cause is fixed (``triage replay``).

Every quarantined signal keeps its original bytes in the store. Replaying one:

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
from triage.domain import QuarantineReason, SignalState, Source
from triage.ingest import Intake
from triage.ingest.files import READERS
from triage.services import Services
from triage.store import repository as repo
from triage.store.tables import SignalRow


@dataclass
class Replayed:
    signal_id: int
    outcome: str  # processed | retrying | quarantined | duplicate | missing
    detail: str = ""


def quarantined(session: Session, *, ids: list[int] | None = None, reason: str | None = None,
                limit: int = 500) -> list[SignalRow]:
    query = select(SignalRow).where(SignalRow.state == SignalState.QUARANTINED.value)
    if ids:
        query = query.where(SignalRow.id.in_(ids))
    if reason:
        query = query.where(SignalRow.quarantine_reason == reason)
    return list(session.scalars(query.order_by(SignalRow.id).limit(limit)))


def replay_all(engine, services: Services, *, ids: list[int] | None = None, reason: str | None = None,
               by: str | None = None) -> list[Replayed]:
    """Replay the quarantined signals chosen (default: all), each in its own transaction: one
    bad signal does not undo the others."""
    from triage.store import session_scope

    with session_scope(engine) as session:
        chosen = [row.id for row in quarantined(session, ids=ids, reason=reason)]
    results = []
    for signal_id in chosen:
        with session_scope(engine) as session:
            results.append(replay(session, session.get(SignalRow, signal_id), services, by=by))
    return results


def replay(session: Session, row: SignalRow, services: Services, *, by: str | None = None) -> Replayed:
    """Replay one quarantined signal (the caller commits); ``by``: who asked (the API key's name)."""
    before = row.quarantine_reason
    if before == QuarantineReason.PROCESSING_ERROR.value:
        outcome = _run(session, row, services)
    else:
        outcome = _read_again(session, row, services)
    repo.audit(session, "signal_replayed", "signal", row.id, previous_reason=before, outcome=outcome.outcome,
               detail=outcome.detail[:2000], by=by)
    return outcome


def _reader(row: SignalRow, raw: bytes):
    """The reader of the original: by its name's suffix, else by the signal's source (an API
    body is named ``request``), else by its first bytes."""
    name = row.raw_name or ""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if suffix in READERS:
        return READERS[suffix]
    by_source = {Source.EMAIL.value: ".eml", Source.DOCUMENT.value: ".pdf", Source.API.value: ".json"}.get(row.source)
    if by_source is None:  # a webhook body: JSON, a message or a PDF
        start = raw.lstrip()[:5]
        by_source = ".pdf" if start.startswith(b"%PDF") else ".json" if start[:1] in (b"{", b"[") else ".eml"
    return READERS[by_source]


def _run(session: Session, row: SignalRow, services: Services) -> Replayed:
    row.state, row.quarantine_reason, row.error, row.tries = SignalState.RECEIVED.value, None, None, 0
    result = pipeline.run_family(session, row, services)
    if result.state == SignalState.QUARANTINED.value:
        return Replayed(row.id, "quarantined", row.error or "")
    if result.state == SignalState.RECEIVED.value:
        return Replayed(row.id, "retrying", row.error or "")
    return Replayed(row.id, "processed", f"{result.decision or ''} {result.rule or ''}".strip())


def _read_again(session: Session, row: SignalRow, services: Services) -> Replayed:
    raw = repo.original(session=session, sha=row.raw_sha256, raw_dir=services.settings.raw_dir)
    reader = _reader(row, raw or b"")
    if raw is None or reader is None:
        return Replayed(row.id, "missing", f"no original to read again ({row.raw_name or 'no name'})")
    if row.quarantine_reason == QuarantineReason.OVERSIZED.value and (row.meta or {}).get("uid"):
        return Replayed(row.id, "missing", "only the headers of this oversized message were kept; it is still in "
                        f"the mailbox ({row.meta.get('mailbox')}, UID {row.meta['uid']})")
    intake: Intake = reader(raw, row.raw_name, services.settings.limits)
    if intake.quarantine is not None:
        row.quarantine_reason, row.error = str(intake.quarantine.reason), intake.quarantine.message
        return Replayed(row.id, "quarantined", f"{row.quarantine_reason}: {row.error}")
    signal = intake.signal
    other = session.scalar(select(SignalRow.id).where(SignalRow.key == signal.key, SignalRow.id != row.id))
    if other is not None:
        row.error = f"read again, it is signal {other}"
        return Replayed(row.id, "duplicate", row.error)
    row.key, row.unread = signal.key, False
    repo.update_from(row, signal)
    outcome = _run(session, row, services)
    for child_row, again in repo.store_intakes(session=session, intakes=intake.children, submitted_by="replay"):
        if not again and child_row.state == SignalState.RECEIVED.value:
            pipeline.run(session, child_row, services)
    return outcome
