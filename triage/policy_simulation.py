"""``triage policy simulate``: the stored proposals of a period replayed through the gate under
another policy, in the order they were decided, and compared with what the gate decided then.

The replay keeps its own account of caps and open activities (``policies.ledger``): an activity
the new policy would have created counts under its caps and makes later proposals for its record
and type updates; one open when the period began, or closed by a buyer during it (the feedback
the store received), is taken as it really was. The store's kill switch is not replayed: only
the policy file's. Nothing is written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.domain import Action, Outcome, Proposal, RecordRef
from triage.gating import company_day
from triage.policies.gate import STRENGTH, decide
from triage.policies.ledger import Ledger
from triage.policies.policy import Policy
from triage.store.tables import ActivityRow, AssessmentRow, DecisionRow, FeedbackRow, ProposalRow


@dataclass
class Change:
    decision_id: int
    case_id: int
    exception_type: str
    action: str
    record: str | None
    before: str
    before_rule: str
    after: str
    after_rule: str
    detail: str


@dataclass
class SimulationReport:
    policy_hash: str
    since: dt.datetime
    replayed: int = 0
    reviewed: int = 0  # decisions a person reviewed afterwards (compared with what the gate decided)
    before: Counter[str] = field(default_factory=Counter)
    after: Counter[str] = field(default_factory=Counter)
    rules_before: Counter[str] = field(default_factory=Counter)
    rules_after: Counter[str] = field(default_factory=Counter)
    transitions: Counter[str] = field(default_factory=Counter)  # "approve -> hold"
    transition_rules: defaultdict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    assignee_changes: int = 0
    deadline_changes: int = 0
    examples: list[Change] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(self.transitions.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy_hash": self.policy_hash, "since": self.since.isoformat(), "replayed": self.replayed,
            "reviewed": self.reviewed, "changed": self.changed,
            "by_outcome": {o.value: {"before": self.before[o.value], "after": self.after[o.value]} for o in Outcome},
            "by_rule": {"before": dict(self.rules_before), "after": dict(self.rules_after)},
            "transitions": {t: {"count": n, "by_rule": dict(self.transition_rules[t])}
                            for t, n in self.transitions.most_common()},
            "assignee_changes": self.assignee_changes, "deadline_changes": self.deadline_changes,
            "examples": [vars(c) for c in self.examples],
        }


def gate_outcome(row: DecisionRow) -> tuple[str, str]:
    """What the gate decided (before any person reviewed it): (outcome, rule)."""
    if row.rule != "human_review":
        return row.outcome, row.rule
    deciding = [r for r in row.trace if r.get("outcome") and r.get("rule") != "human_review"]
    if not deciding:
        return Outcome.HOLD.value, "unknown"
    strongest = max(deciding, key=lambda r: STRENGTH.get(Outcome(r["outcome"]), 0))
    return strongest["outcome"], strongest["rule"]


def _proposal(p: ProposalRow, a: AssessmentRow) -> Proposal:
    record = RecordRef(p.record_model, p.record_name, p.record_id) if p.record_model else None
    return Proposal(case_key=str(p.case_id), exception_type=p.exception_type, action=Action(p.action), record=record,
                    assignee=p.assignee, deadline=dt.date.fromisoformat(p.deadline), summary=p.summary, note="",
                    category=a.category, confidence=a.confidence, priority=a.priority, amount=p.amount,
                    currency=p.currency, owner=p.owner)


def _link_problems(row: DecisionRow) -> tuple[str, ...]:
    step = next((r for r in row.trace if r.get("rule") == "hold_unlinked"), None)
    return tuple((step or {}).get("inputs", {}).get("link_problems") or ())


def _closings(session: Session, since: dt.datetime) -> tuple[set[str], list[tuple[dt.datetime, str]]]:
    """Activity keys open when the period began, and when (during it) buyers closed activities."""
    rows = session.execute(select(ActivityRow.key, ActivityRow.created_at, FeedbackRow.received_at)
                           .outerjoin(FeedbackRow, FeedbackRow.activity_id == ActivityRow.id)).all()
    open_at_start = {key for key, created, closed in rows if created < since and (closed is None or closed >= since)}
    closings = sorted((closed, key) for key, _, closed in rows if closed is not None and closed >= since)
    return open_at_start, closings


def simulate(session: Session, policy: Policy, *, since: dt.datetime, timezone: str,
             examples: int = 5) -> SimulationReport:
    report = SimulationReport(policy_hash=policy.hash, since=since)
    open_at_start, closings = _closings(session, since)
    ledger = Ledger(open_at_start)
    rows = session.execute(
        select(DecisionRow, ProposalRow, AssessmentRow)
        .join(ProposalRow, DecisionRow.proposal_id == ProposalRow.id)
        .join(AssessmentRow, ProposalRow.assessment_id == AssessmentRow.id)
        .where(DecisionRow.created_at >= since)
        .order_by(DecisionRow.created_at, DecisionRow.id)
    ).all()
    shown: Counter[str] = Counter()
    for decision_row, proposal_row, assessment in rows:
        when = decision_row.created_at
        while closings and closings[0][0] <= when:
            ledger.close(closings.pop(0)[1])
        proposal = _proposal(proposal_row, assessment)
        suppliers = tuple(proposal_row.suppliers or ([proposal_row.supplier] if proposal_row.supplier else []))
        today = company_day(when, timezone)[0]
        decision = decide(proposal, policy, ledger.context(today, suppliers=suppliers,
                                                           link_problems=_link_problems(decision_row)))
        ledger.record(today, proposal, decision, suppliers)

        before, before_rule = gate_outcome(decision_row)
        after, after_rule = decision.outcome.value, decision.rule
        report.replayed += 1
        report.reviewed += decision_row.reviewer is not None
        report.before[before] += 1
        report.after[after] += 1
        report.rules_before[before_rule] += 1
        report.rules_after[after_rule] += 1
        if after == Outcome.APPROVE.value and before == Outcome.APPROVE.value:
            report.assignee_changes += (decision_row.assignee or proposal.assignee) != decision.assignee
            report.deadline_changes += (decision_row.deadline or proposal_row.deadline) != decision.deadline.isoformat()
        if before == after:
            continue
        transition = f"{before} -> {after}"
        report.transitions[transition] += 1
        report.transition_rules[transition][after_rule if after != "approve" else before_rule] += 1
        if shown[transition] < examples:
            shown[transition] += 1
            step = next((r for r in decision.trace if r.rule == after_rule), None)
            report.examples.append(Change(
                decision_id=decision_row.id, case_id=proposal_row.case_id, exception_type=proposal.exception_type,
                action=proposal.action.value,
                record=f"{proposal.record.model}:{proposal.record.name}" if proposal.record else None,
                before=before, before_rule=before_rule, after=after, after_rule=after_rule,
                detail=step.detail if step else "no rule holds or rejects it"))
    return report


def parse_since(text: str, now: dt.datetime) -> dt.datetime:
    """``30d``, ``12h``, ``2w`` before now, or an ISO date (midnight UTC) or date-time."""
    text = text.strip()
    units = {"h": "hours", "d": "days", "w": "weeks"}
    if text[:-1].isdigit() and text[-1:] in units:
        return now - dt.timedelta(**{units[text[-1]]: int(text[:-1])})
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"--since {text!r}: give a period such as 30d, 12h or 2w, or a date such as 2026-11-01")
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
