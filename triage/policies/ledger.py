"""An in-memory account of what the gate's context counts: new activities per day under each cap
key, and the open activity per (record, exception type). ``triage policy simulate`` replays
stored proposals through it (the live flow reads the same from the store, ``triage.gating``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

from triage.domain import Decision, Outcome, Proposal
from triage.policies.gate import GateContext, activity_key, cap_keys


def _keys(proposal: Proposal, decision: Decision, suppliers: tuple[str, ...]) -> dict[str, str]:
    record = f"{proposal.record.model}:{proposal.record.name}" if proposal.record else None
    return cap_keys(record=record, assignee=decision.assignee or proposal.owner,
                    supplier=suppliers[0] if suppliers else None)


class Ledger:
    def __init__(self, open_keys: set[str] | None = None):
        self.counts: defaultdict[dt.date, Counter[str]] = defaultdict(Counter)
        self.open: set[str] = set(open_keys or ())

    def context(self, today: dt.date, *, suppliers: tuple[str, ...] = (), link_problems: tuple[str, ...] = (),
                kill_switch: str | None = None) -> GateContext:
        return GateContext(today=today, open_activity_keys=frozenset(self.open), suppliers=suppliers,
                           link_problems=link_problems, counts=self.counts[today], kill_switch=kill_switch)

    def record(self, today: dt.date, proposal: Proposal, decision: Decision, suppliers: tuple[str, ...]) -> None:
        """Book an approved decision: a new activity counts under its caps and opens its key."""
        if decision.outcome is not Outcome.APPROVE or decision.is_update:
            return
        self.counts[today].update(_keys(proposal, decision, suppliers).values())
        key = activity_key(proposal)
        if key is not None:
            self.open.add(key)

    def close(self, key: str) -> None:
        self.open.discard(key)
