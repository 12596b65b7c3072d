"""Row leases: how N workers share signals without processing one twice.

A worker claims a received signal by setting ``lease_owner`` and ``lease_until`` on it
(``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so claimers never wait on each other),
processes it in a second transaction that re-checks its lease under a row lock, and clears
the lease when the signal is processed. A worker that dies leaves its lease to expire;
``expired_signals`` finds those (and signals never handed to a worker) for the reclaim job.
"""

from __future__ import annotations

import datetime as dt
import os
import socket

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from triage.domain import SignalState
from triage.store.repository import now
from triage.store.tables import SignalRow


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim_signal(*, session: Session, signal_id: int, owner: str, seconds: int) -> bool:
    """Take the lease of a received signal that nobody holds (or whose lease expired)."""
    current = now()
    row = session.scalar(
        select(SignalRow)
        .where(SignalRow.id == signal_id, SignalRow.state == SignalState.RECEIVED.value,
               or_(SignalRow.lease_until.is_(None), SignalRow.lease_until < current))
        .with_for_update(skip_locked=True)
    )
    if row is None:
        return False
    row.lease_owner, row.lease_until = owner, current + dt.timedelta(seconds=seconds)
    return True


def holds_lease(*, session: Session, signal_id: int, owner: str) -> SignalRow | None:
    """The signal, locked, if this owner still holds its lease and it is still to be processed."""
    row = session.scalar(select(SignalRow).where(SignalRow.id == signal_id).with_for_update())
    if row is None or row.state != SignalState.RECEIVED.value or row.lease_owner != owner:
        return None
    return row


def release(row: SignalRow) -> None:
    row.lease_owner = row.lease_until = None


def run_leased(engine, signal_id: int, *, seconds: int, work):
    """``work(session, row)`` on a received signal under this process's lease (claimed in one
    transaction, re-checked under a row lock in the next, released after): (outcome, its
    result); outcome ``skipped`` when another holder has it, ``lost`` when it changed meanwhile."""
    from triage.store import session_scope

    owner = owner_id()
    with session_scope(engine) as session:
        if not claim_signal(session=session, signal_id=signal_id, owner=owner, seconds=seconds):
            return "skipped", None
    with session_scope(engine) as session:
        row = holds_lease(session=session, signal_id=signal_id, owner=owner)
        if row is None:
            return "lost", None
        result = work(session, row)
        release(row)
    return "done", result


def expired_signals(*, session: Session, grace_seconds: int, limit: int = 500) -> list[int]:
    """Received signals whose lease expired, or that nobody claimed within the grace period."""
    current = now()
    query = (
        select(SignalRow.id)
        .where(SignalRow.state == SignalState.RECEIVED.value,
               or_(SignalRow.lease_until < current,
                   and_(SignalRow.lease_until.is_(None),
                        SignalRow.received_at < current - dt.timedelta(seconds=grace_seconds))))
        .order_by(SignalRow.id)
        .limit(limit)
    )
    return list(session.scalars(query))
