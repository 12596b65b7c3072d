"""Approved proposals -> Odoo activities, and the writers that put them somewhere.

``render(proposal, approved, ...)`` builds the ActivitySpec (the note is HTML with every
piece of supplier text escaped, and carries ``triage-ref:<id>`` so a retried create and
the buyer's feedback can be matched). Writers take specs: ``DryRunWriter`` records and
prints what it would create when no Odoo is configured; ``OdooWriter`` in
``triage/odoo_activities.py`` writes them to Odoo.
"""

from __future__ import annotations

import hashlib
import html
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

from triage.domain import ActivitySpec, ApprovedDecision, Proposal
from triage.errors import WriteError
from triage.policies.gate import activity_key

log = logging.getLogger(__name__)


def triage_ref(key: str, decision_id: int) -> str:
    return "t" + hashlib.sha256(f"{key}|{decision_id}".encode()).hexdigest()[:16]


def key_ref(key: str) -> str:
    """A stable marker of the (record, exception type) in every note: finds the open activity to update."""
    return "k" + hashlib.sha256(key.encode()).hexdigest()[:16]


def render(proposal: Proposal, approved: ApprovedDecision, *, activity_type: str) -> ActivitySpec:
    """The activity an approved proposal becomes. Only an ApprovedDecision is accepted."""
    if not isinstance(approved, ApprovedDecision):  # the type says so; refuse at run time too
        raise TypeError("only an approved decision can become an activity")
    key = activity_key(proposal)
    if key is None or proposal.record is None:
        raise ValueError("an approved proposal must target a record")
    ref = triage_ref(key, approved.decision_id)
    paragraphs = [f"<p>{html.escape(line)}</p>" for line in proposal.note.splitlines() if line.strip()]
    evidence = "".join(f"<blockquote>{html.escape(e)}</blockquote>" for e in proposal.evidence)
    note = "".join(paragraphs) + evidence + f"<p><small>triage-ref:{ref} triage-key:{key_ref(key)}</small></p>"
    return ActivitySpec(
        key=key,
        triage_ref=ref,
        res_model=proposal.record.model,
        res_name=proposal.record.name,
        res_id=proposal.record.id,
        summary=proposal.summary,
        note_html=note,
        deadline=approved.decision.deadline or proposal.deadline,  # as the gate's deadline rule set it
        assignee=approved.decision.assignee or proposal.assignee,  # an amount rule may have escalated it
        activity_type=activity_type,
        update=approved.decision.is_update,
    )


class ActivityWriter(Protocol):
    name: str

    def write(self, spec: ActivitySpec) -> int | None:
        """Create (or update) the activity; returns its Odoo id when there is one."""


class BatchActivityWriter(ActivityWriter, Protocol):
    """A writer that can also create many activities at once (the outbox uses ``write_many`` when a
    writer has it, found with ``getattr``, so a plain ``ActivityWriter`` still works)."""

    def write_many(self, specs: list[ActivitySpec]) -> list[int | None | WriteError]:
        """One result per spec, in order: its Odoo id (None when there is none), or the WriteError
        that spec failed with; one failing spec does not fail the others."""


@dataclass
class DryRunWriter:
    """No Odoo configured: log and remember the recent activities it would write (the store
    records every one of them too)."""

    name: str = "dry-run"
    written: deque[ActivitySpec] = field(default_factory=lambda: deque(maxlen=1000))

    def write(self, spec: ActivitySpec) -> int | None:
        log.info("dry-run: would %s activity on %s %s: %s (deadline %s)", "update" if spec.update else "create",
                 spec.res_model, spec.res_name, spec.summary, spec.deadline.isoformat())
        self.written.append(spec)
        return None

    def write_many(self, specs: list[ActivitySpec]) -> list[int | None | WriteError]:
        """Nothing to batch without Odoo: each spec through ``write`` (a subclass's failures stay per spec)."""
        results: list[int | None | WriteError] = []
        for spec in specs:
            try:
                results.append(self.write(spec))
            except WriteError as exc:
                results.append(exc)
        return results
