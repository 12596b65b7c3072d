"""Reading cases with their assessments, findings, proposals and decisions (for the API)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.store.tables import AssessmentRow, CaseRow, DecisionRow, OutboxRow, ProposalRow, SignalRow


@dataclass
class CaseView:
    case: CaseRow
    signals: list[SignalRow]
    steps: list[tuple[AssessmentRow, ProposalRow | None, DecisionRow | None]]
    writes: dict[int, OutboxRow]  # decision id -> its write to Odoo (approved decisions only)


def list_cases(*, session: Session, limit: int, offset: int, category: str | None = None,
               state: str | None = None, priority: int | None = None, record: str | None = None,
               outcome: str | None = None) -> tuple[list[CaseRow], int]:
    query = select(CaseRow)
    if category:
        query = query.where(CaseRow.category == category)
    if state:
        query = query.where(CaseRow.state == state)
    if record:
        query = query.where(CaseRow.record_name == record)
    if priority is not None or outcome:
        latest = (select(AssessmentRow.case_id, func.max(AssessmentRow.id).label("aid"))
                  .group_by(AssessmentRow.case_id).subquery())
        query = query.join(latest, latest.c.case_id == CaseRow.id).join(AssessmentRow, AssessmentRow.id == latest.c.aid)
        if priority is not None:
            query = query.where(AssessmentRow.priority == priority)
        if outcome:
            query = (query.join(ProposalRow, ProposalRow.assessment_id == AssessmentRow.id)
                     .join(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
                     .where(DecisionRow.outcome == outcome))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(CaseRow.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def get_case(*, session: Session, case_id: int) -> CaseView | None:
    case = session.get(CaseRow, case_id)
    if case is None:
        return None
    signals = list(session.scalars(select(SignalRow).where(SignalRow.case_id == case_id).order_by(SignalRow.id)))
    steps = session.execute(
        select(AssessmentRow, ProposalRow, DecisionRow)
        .outerjoin(ProposalRow, ProposalRow.assessment_id == AssessmentRow.id)
        .outerjoin(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
        .where(AssessmentRow.case_id == case_id)
        .order_by(AssessmentRow.id)
    ).all()
    decisions = [d.id for _, _, d in steps if d is not None]
    writes = {row.decision_id: row for row in session.scalars(
        select(OutboxRow).where(OutboxRow.decision_id.in_(decisions)))} if decisions else {}
    return CaseView(case=case, signals=signals, steps=[tuple(s) for s in steps], writes=writes)


def latest_summaries(*, session: Session, case_ids: list[int]) -> dict[int, tuple[AssessmentRow, ProposalRow | None,
                                                                                  DecisionRow | None]]:
    """The newest assessment (with its proposal and decision) of each case."""
    if not case_ids:
        return {}
    latest = (select(func.max(AssessmentRow.id)).where(AssessmentRow.case_id.in_(case_ids))
              .group_by(AssessmentRow.case_id))
    rows = session.execute(
        select(AssessmentRow, ProposalRow, DecisionRow)
        .outerjoin(ProposalRow, ProposalRow.assessment_id == AssessmentRow.id)
        .outerjoin(DecisionRow, DecisionRow.proposal_id == ProposalRow.id)
        .where(AssessmentRow.id.in_(latest))
    ).all()
    return {a.case_id: (a, p, d) for a, p, d in rows}
