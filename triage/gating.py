"""The gate in the flow: what it needs to know of the store and the clock (the company's day,
today's counts under the caps, the open activities, the kill switch) as a ``GateContext``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from triage.domain import Proposal
from triage.policies.gate import GateContext, activity_key, cap_keys, name_key
from triage.policies.policy import Policy
from triage.store import repository as repo


def company_day(now: dt.datetime, timezone: str) -> tuple[dt.date, dt.datetime, dt.datetime]:
    """The company's date at ``now`` and its bounds in UTC (a day can be 23 or 25 hours long)."""
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date()
    start = dt.datetime.combine(day, dt.time(), zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
    return day, start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def supplier_key(suppliers: tuple[str, ...]) -> str | None:
    """How the store keeps the supplier the per-supplier cap counts (the first name given)."""
    return name_key(suppliers[0]) if suppliers and suppliers[0] else None


def counts_today(session: Session, proposal: Proposal, policy: Policy, suppliers: tuple[str, ...],
                 start: dt.datetime, end: dt.datetime) -> dict[str, int]:
    """New activities today under each cap key this proposal could count under (its assignee
    and every assignee an amount rule could escalate to)."""
    if not policy.caps.limits():
        return {}
    record = (proposal.record.model, proposal.record.name) if proposal.record else None
    assignees = sorted({a for a in [proposal.assignee, proposal.owner,
                                    *(r.escalate_to for r in policy.amount_thresholds)] if a})
    rows = repo.approved_today(session=session, start=start, end=end, record=record, assignees=assignees,
                               supplier=supplier_key(suppliers), lock=True)
    counts: Counter[str] = Counter()
    for model, name, assignee, owner, supplier in rows:
        counts.update(cap_keys(record=f"{model}:{name}" if model else None, assignee=assignee or owner,
                               supplier=supplier).values())
    return dict(counts)


def gate_context(session: Session, proposal: Proposal, policy: Policy, *, now: dt.datetime, timezone: str,
                 suppliers: tuple[str, ...] = (), link_problems: tuple[str, ...] = (),
                 stopped: str | None = None) -> GateContext:
    today, start, end = company_day(now, timezone)
    return GateContext(
        today=today,
        open_activity_keys=repo.open_activity_keys(session=session, keys=[activity_key(proposal)]),
        suppliers=tuple(s for s in suppliers if s),
        link_problems=link_problems,
        counts=counts_today(session, proposal, policy, suppliers, start, end),
        kill_switch=stopped,
    )
