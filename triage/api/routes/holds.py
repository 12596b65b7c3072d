"""The hold queue: held decisions, approved or rejected by a person with the review scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from triage import holds
from triage.api.deps import ReviewKey, SessionDep, SettingsDep
from triage.api.routes.cases import decision_read, proposal_read
from triage.api.schemas import MAX_ID, DecisionRead, HeldDecision, Page, ReviewRequest
from triage.domain import RecordRef
from triage.store.tables import ProposalRow

router = APIRouter(prefix="/v1/holds", tags=["hold queue"])


@router.get("", response_model=Page[HeldDecision], summary="Held decisions, oldest first")
def list_holds(session: SessionDep, _: ReviewKey, limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> Page[HeldDecision]:
    rows, total = holds.list_held(session=session, limit=limit, offset=offset)
    items = []
    for d in rows:
        p = session.get(ProposalRow, d.proposal_id)
        items.append(HeldDecision(decision=decision_read(d), case_id=p.case_id, proposal=proposal_read(p)))
    return Page(items=items, total=total, limit=limit, offset=offset)


def _review(decision_id: int, body: ReviewRequest | None, approve: bool, session, settings, who) -> DecisionRead:
    body = body or ReviewRequest()
    record = RecordRef(body.record.model, body.record.name) if body.record else None
    try:
        row = holds.review(session=session, decision_id=decision_id, reviewer=who.name, approve=approve,
                           activity_type=settings.odoo.activity_type, record=record, comment=body.comment)
    except holds.ReviewError as exc:
        raise HTTPException(exc.status, str(exc)) from exc
    return decision_read(row)


@router.post("/{decision_id}/approve", response_model=DecisionRead, summary="Approve a held decision",
             responses={403: {"description": "four eyes"}, 404: {"description": "no such decision"},
                        409: {"description": "not held, or no record to write to"}})
def approve(decision_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, settings: SettingsDep, who: ReviewKey,
            body: ReviewRequest | None = None) -> DecisionRead:
    return _review(decision_id, body, True, session, settings, who)


@router.post("/{decision_id}/reject", response_model=DecisionRead, summary="Reject a held decision",
             responses={403: {"description": "four eyes"}, 404: {"description": "no such decision"},
                        409: {"description": "not held"}})
def reject(decision_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, settings: SettingsDep, who: ReviewKey,
           body: ReviewRequest | None = None) -> DecisionRead:
    return _review(decision_id, body, False, session, settings, who)
