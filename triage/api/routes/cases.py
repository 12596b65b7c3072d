"""Cases with their assessment, findings, proposals and decisions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query

from triage import cases as case_service
from triage.api.deps import ReviewKey, SessionDep
from triage.api.schemas import (
    MAX_ID,
    AssessmentRead,
    CaseRead,
    CaseSummary,
    DecisionRead,
    Page,
    ProposalRead,
    SignalRead,
    WriteRead,
)
from triage.domain import Category, Outcome

router = APIRouter(prefix="/v1/cases", tags=["cases"])


def _summary(case, latest) -> CaseSummary:
    a, p, d = latest if latest else (None, None, None)
    return CaseSummary(
        id=case.id, exception_type=case.exception_type, category=case.category, state=case.state,
        record_model=case.record_model, record_name=case.record_name, created_at=case.created_at,
        updated_at=case.updated_at, confidence=a.confidence if a else None, priority=a.priority if a else None,
        action=p.action if p else None, outcome=d.outcome if d else None,
    )


def decision_read(d) -> DecisionRead:
    return DecisionRead.model_validate(d, from_attributes=True)


def proposal_read(p) -> ProposalRead:
    return ProposalRead.model_validate(p, from_attributes=True)


@router.get("", response_model=Page[CaseSummary], summary="List cases, newest first")
def list_cases(
    session: SessionDep,
    _: ReviewKey,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    category: Category | None = None,
    state: Literal["open", "closed"] | None = None,
    priority: Annotated[int | None, Query(ge=1, le=4)] = None,
    outcome: Outcome | None = None,
    record: Annotated[str | None, Query(max_length=200, description="an Odoo record name, e.g. P00412")] = None,
) -> Page[CaseSummary]:
    rows, total = case_service.list_cases(
        session=session, limit=limit, offset=offset, category=category.value if category else None, state=state,
        priority=priority, outcome=outcome.value if outcome else None, record=record)
    latest = case_service.latest_summaries(session=session, case_ids=[r.id for r in rows])
    return Page(items=[_summary(r, latest.get(r.id)) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{case_id}", response_model=CaseRead, summary="One case with its signals, assessments, proposals "
            "and decisions", responses={404: {"description": "no such case"}})
def get_case(case_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, _: ReviewKey) -> CaseRead:
    view = case_service.get_case(session=session, case_id=case_id)
    if view is None:
        raise HTTPException(404, f"no case {case_id}")
    assessments = []
    for a, p, d in view.steps:
        item = AssessmentRead.model_validate(a, from_attributes=True)
        item.proposal = proposal_read(p) if p else None
        item.decision = decision_read(d) if d else None
        if d is not None and d.id in view.writes:
            item.decision.write = WriteRead.model_validate(view.writes[d.id], from_attributes=True)
        assessments.append(item)
    summary = _summary(view.case, view.steps[-1] if view.steps else None)
    return CaseRead(**summary.model_dump(), signals=[SignalRead.model_validate(s, from_attributes=True)
                                                     for s in view.signals], assessments=assessments)
