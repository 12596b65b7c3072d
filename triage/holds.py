"""The hold queue: held decisions a person approves (the activity is then written) or rejects."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage import outbox
from triage.activities import render
from triage.domain import (
    Action,
    ApprovedDecision,
    Decision,
    Outcome,
    Proposal,
    RecordRef,
    RuleResult,
)
from triage.errors import TriageError
from triage.policies.gate import activity_key
from triage.store import repository as repo
from triage.store.tables import AssessmentRow, DecisionRow, ProposalRow, SignalRow


class ReviewError(TriageError):
    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.status = status


def list_held(*, session: Session, limit: int, offset: int) -> tuple[list[DecisionRow], int]:
    query = select(DecisionRow).where(DecisionRow.outcome == Outcome.HOLD.value)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(DecisionRow.id).limit(limit).offset(offset)).all()
    return list(rows), int(total or 0)


def _proposal(row: ProposalRow, assessment: AssessmentRow, record: RecordRef | None) -> Proposal:
    return Proposal(
        case_key=str(row.case_id), exception_type=row.exception_type, action=Action(row.action), record=record,
        assignee=row.assignee, deadline=dt.date.fromisoformat(row.deadline), summary=row.summary, note=row.note,
        category=assessment.category, confidence=assessment.confidence, priority=assessment.priority,
        evidence=list(row.evidence or []),
    )


def review(*, session: Session, decision_id: int, reviewer: str, approve: bool, activity_type: str,
           record: RecordRef | None = None, comment: str = "") -> DecisionRow:
    """Approve (and enqueue the activity) or reject one held decision. The caller commits."""
    row = session.get(DecisionRow, decision_id, with_for_update=True)
    if row is None:
        raise ReviewError(f"no decision {decision_id}", status=404)
    if row.outcome != Outcome.HOLD.value:
        raise ReviewError(f"decision {decision_id} is {row.outcome}, not held", status=409)
    proposal_row = session.get(ProposalRow, row.proposal_id)
    assessment = session.get(AssessmentRow, proposal_row.assessment_id)
    submitted_by = session.scalar(select(SignalRow.submitted_by).where(SignalRow.id == assessment.signal_id))
    if submitted_by is not None and submitted_by == reviewer:
        raise ReviewError("four eyes: the reviewer of a held decision cannot be who submitted its signal", status=403)
    if record is None and proposal_row.record_model:
        record = RecordRef(proposal_row.record_model, proposal_row.record_name, proposal_row.record_id)
    if approve and proposal_row.action == Action.NONE.value:
        raise ReviewError("the proposal asks nothing of a person: there is nothing to approve", status=409)
    if approve and record is None:
        raise ReviewError("the proposal is not linked to an Odoo record: give one to approve it", status=409)

    outcome = Outcome.APPROVE if approve else Outcome.REJECT
    step = RuleResult("human_review", outcome, f"{outcome.value} by {reviewer}" + (f": {comment}" if comment else ""),
                      {"reviewer": reviewer, "record": f"{record.model}:{record.name}" if record else None})
    row.outcome, row.rule = outcome.value, "human_review"
    row.trace = [*row.trace, step.as_dict()]
    row.reviewer, row.reviewed_at = reviewer, repo.now()
    row.decided_at = row.reviewed_at  # a person's approval counts under the caps on the day it is given
    if record is not None and proposal_row.record_model is None:
        proposal_row.record_model, proposal_row.record_name = record.model, record.name
    repo.audit(session, "decision_reviewed", "decision", row.id, outcome=outcome.value, reviewer=reviewer,
               comment=comment, policy_hash=row.policy_hash)
    if approve:
        proposal = _proposal(proposal_row, assessment, record)
        key = activity_key(proposal)
        is_update = key in repo.open_activity_keys(session=session, keys=[key])
        decision = Decision(Outcome.APPROVE, "human_review", (step,), row.policy_hash, is_update=is_update,
                            assignee=row.assignee, deadline=dt.date.fromisoformat(row.deadline) if row.deadline else None)
        row.is_update = is_update
        approved = ApprovedDecision(decision=decision, decision_id=row.id)
        outbox.enqueue(session, approved, render(proposal, approved, activity_type=activity_type))
    session.flush()
    return row
