"""The quarantine: signals that could not be read or processed, and their replay once the cause
is fixed (``triage replay`` over HTTP). Admin scope: a replay runs the flow, and may write to Odoo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from triage.api.deps import AdminKey, RuntimeDep, ServicesDep, SessionDep
from triage.api.schemas import MAX_ID, Page, QuarantinedSignal, ReplayRequest, ReplayResult
from triage.domain import QuarantineReason, SignalState
from triage.replay import replay_all
from triage.store.tables import SignalRow

router = APIRouter(prefix="/v1/quarantine", tags=["quarantine"])
REASONS = [reason.value for reason in QuarantineReason]


def _reason(reason: str | None) -> str | None:
    if reason is not None and reason not in REASONS:
        raise HTTPException(422, f"unknown reason {reason!r}: one of {', '.join(REASONS)}")
    return reason


@router.get("", response_model=Page[QuarantinedSignal], summary="Quarantined signals, oldest first")
def list_quarantined(session: SessionDep, _: AdminKey, reason: Annotated[str | None, Query(max_length=40)] = None,
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Page[QuarantinedSignal]:
    where = [SignalRow.state == SignalState.QUARANTINED.value]
    if _reason(reason):
        where.append(SignalRow.quarantine_reason == reason)
    total = session.scalar(select(func.count()).select_from(SignalRow).where(*where))
    rows = session.scalars(select(SignalRow).where(*where).order_by(SignalRow.id).limit(limit).offset(offset))
    items = [QuarantinedSignal(id=r.id, source=r.source, reason=r.quarantine_reason, error=r.error, tries=r.tries,
                               subject=r.subject, sender=r.sender, raw_name=r.raw_name, received_at=r.received_at)
             for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)


@router.post("/replay", response_model=list[ReplayResult], summary="Replay quarantined signals",
             responses={422: {"description": "neither ids nor a known reason"}})
async def replay(body: ReplayRequest, runtime: RuntimeDep, services: ServicesDep, who: AdminKey) -> list[ReplayResult]:
    """Each signal read again (or, after a processing error, run again) with the current code and
    limits, in its own transaction, audited with the caller's key name."""
    if not body.ids and not body.reason:
        raise HTTPException(422, "give the signal ids to replay, or a reason")
    _reason(body.reason)

    results = await run_in_threadpool(replay_all, runtime.engine, services, ids=body.ids or None, reason=body.reason,
                                      by=who.name)
    return [ReplayResult(signal_id=r.signal_id, outcome=r.outcome, detail=r.detail) for r in results]
