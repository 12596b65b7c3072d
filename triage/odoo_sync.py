"""One round with Odoo, as ``triage sync odoo`` and the scheduled ``sync_odoo`` job run it:
the exception queries, the flow on what they found (each exception a Signal keyed
``odoo:model:id:write_date:type``, stored once), an outbox flush, the review read back, and
the activities of exceptions Odoo now shows resolved closed (``feedback.resolve_closed``).
``recheck`` runs the same round for the records Odoo's webhooks named (the ``recheck_odoo``
job), so a change reaches the buyer within seconds instead of at the next full round.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine

from triage import outbox, pipeline
from triage.config import Settings
from triage.feedback import collect_feedback, resolve_closed
from triage.ingest.odoo_records import exceptions, to_intake
from triage.odoo import OdooGateway
from triage.services import Services
from triage.store import repository as repo
from triage.store import session_scope
from triage.switches import writes_stopped


@dataclass
class SyncReport:
    found: dict[str, int] = field(default_factory=dict)  # exceptions by type
    new_signals: int = 0
    decisions: dict[str, int] = field(default_factory=dict)
    written: int = 0
    retrying: int = 0
    failed: int = 0
    stopped: str | None = None  # why nothing was written (the kill switch)
    feedback: dict[str, int] = field(default_factory=dict)
    resolved: int = 0  # open activities closed because Odoo shows their exception resolved

    def as_dict(self) -> dict:
        return {"found": self.found, "new_signals": self.new_signals, "decisions": self.decisions,
                "outbox": {"written": self.written, "retrying": self.retrying, "failed": self.failed,
                           "stopped": self.stopped},
                "feedback": self.feedback, "resolved": self.resolved}


def sync(engine: Engine, services: Services, writer, gateway: OdooGateway, settings: Settings, *,
         now: dt.datetime | None = None, unconfirmed_days: int = 3) -> SyncReport:
    """One full round; raises ``OdooError`` when Odoo cannot be reached or refuses the login."""
    return _round(engine, services, writer, gateway, settings, now=now or repo.now(),
                  unconfirmed_days=unconfirmed_days, only=None)


def recheck(engine: Engine, services: Services, writer, gateway: OdooGateway, settings: Settings,
            records: dict[str, list[int]], *, now: dt.datetime | None = None, unconfirmed_days: int = 3) -> SyncReport:
    """The same round restricted to some records (model -> ids: what Odoo's webhooks named):
    their exceptions, the flow, an outbox flush, their reviews and what Odoo shows resolved."""
    return _round(engine, services, writer, gateway, settings, now=now or repo.now(),
                  unconfirmed_days=unconfirmed_days, only=records)


def _round(engine: Engine, services: Services, writer, gateway: OdooGateway, settings: Settings, *,
           now: dt.datetime, unconfirmed_days: int, only: dict[str, list[int]] | None) -> SyncReport:
    report = SyncReport()
    found = exceptions(gateway, now, tolerances=settings.findings.tolerances(), unconfirmed_days=unconfirmed_days,
                       only=only)
    report.found = dict(Counter(e.exception_type for e in found))
    decisions: Counter[str] = Counter()
    for exception in found:
        with session_scope(engine) as session:
            result = pipeline.ingest(session, to_intake(exception, now), services, submitted_by="odoo-sync")
        if not result.duplicate:
            report.new_signals += 1
            decisions[result.decision or result.state] += 1
    report.decisions = dict(decisions)
    with session_scope(engine) as session:
        flushed = outbox.flush(session, writer, stopped=lambda: writes_stopped(session, services.policy_file),
                               case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
    report.written, report.retrying, report.failed = flushed.sent, flushed.retrying, flushed.failed
    report.stopped = flushed.stopped
    with session_scope(engine) as session:
        report.feedback = collect_feedback(session=session, gateway=gateway, now=now, scope=only)
    with session_scope(engine) as session:  # after the review: a buyer's verdict is never overwritten
        report.resolved = resolve_closed(session=session, gateway=gateway, found=found, now=now, scope=only)
        repo.record_source_check(session=session, source="odoo", name=settings.odoo.url or "odoo", error=None)
    return report
