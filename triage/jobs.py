"""Scheduled jobs as plain functions, and the in-process runner.

A job takes a session and the runtime pieces it needs. ``run_job`` owns the job's session
(commit on success, rollback on error), its error logging and its metrics, so the in-process
scheduler and the Celery tasks run jobs the same way. Later capabilities add their jobs
(mailbox polling, the Odoo exception queries, the re-read of records Odoo's webhooks named)
to ``JOBS``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from triage import leases, outbox
from triage.activities import ActivityWriter
from triage.config import Settings
from triage.domain import Source
from triage.errors import ModelError
from triage.metrics import Metrics
from triage.policies.policy import PolicyFile
from triage.services import ModelChange, Services, refresh_models
from triage.store import repository as repo
from triage.store import session_scope
from triage.store.tables import SignalRow
from triage.switches import writes_stopped

log = logging.getLogger(__name__)
HINTS_PER_RUN = 500


@dataclass
class JobContext:
    settings: Settings
    engine: Engine
    writer: ActivityWriter
    metrics: Metrics
    services: Callable[[], Services] | None = field(default=None)  # the process's services, loaded on first use
    policy_file: PolicyFile | None = None  # the writer's kill switch check reads it (again when it changes)


def flush_outbox(session: Session, ctx: JobContext) -> dict:
    """Write due outbox items (the kill switch is asked afresh before every batch)."""
    if ctx.policy_file is None:
        ctx.policy_file = PolicyFile(ctx.settings.policy_path)
    result = outbox.flush(session, ctx.writer, stopped=lambda: writes_stopped(session, ctx.policy_file),
                          case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
    return {"sent": result.sent, "retrying": result.retrying, "failed": result.failed,
            "kill_switch": result.stopped}


def sync_odoo(session: Session, ctx: JobContext) -> dict:
    """A full round with Odoo (``triage sync odoo``); its errors are recorded for ``triage status``."""
    gateway = getattr(ctx.writer, "gateway", None)
    if gateway is None or ctx.services is None:
        return {"skipped": "no Odoo configured" if gateway is None else "this process serves no model"}
    from triage.errors import OdooError
    from triage.odoo_sync import sync

    try:
        return sync(ctx.engine, ctx.services(), ctx.writer, gateway, ctx.settings).as_dict()
    except OdooError as exc:
        repo.record_source_check(session=session, source="odoo", name=ctx.settings.odoo.url or "odoo",
                                 error=f"{type(exc).__name__}: {exc}")
        log.error("the Odoo sync failed: %s", exc)
        return {"error": str(exc)}


def recheck_odoo(session: Session, ctx: JobContext) -> dict:
    """Re-read the records Odoo's webhooks named since the last run (a targeted round, so a change
    reaches the buyer within seconds). A watermark (the last hint signal handled) lives in the
    ``odoo-hints`` checkpoint; when Odoo fails, it stays put and the same hints are tried again."""
    gateway = getattr(ctx.writer, "gateway", None)
    if gateway is None or ctx.services is None:
        return {"skipped": "no Odoo configured" if gateway is None else "this process serves no model"}
    from triage.errors import OdooError
    from triage.odoo_sync import recheck

    name = ctx.settings.odoo.url or "odoo"
    with session_scope(ctx.engine) as own:  # committed before the round: SQLite allows one writer at a time
        watermark = repo.checkpoint(session=own, source="odoo-hints", name=name).last_uid or 0
        hints = own.execute(
            select(SignalRow.id, SignalRow.meta).where(SignalRow.source == Source.WEBHOOK.value,
                                                       SignalRow.doc_type.like("odoo:%"), SignalRow.id > watermark)
            .order_by(SignalRow.id).limit(HINTS_PER_RUN)).all()
    if not hints:
        return {"hints": 0}
    records: dict[str, list[int]] = {}
    for _, meta in hints:
        model, record_id = (meta or {}).get("odoo_model"), (meta or {}).get("odoo_id")
        if model and isinstance(record_id, int) and record_id not in records.setdefault(model, []):
            records[model].append(record_id)
    try:
        report = recheck(ctx.engine, ctx.services(), ctx.writer, gateway, ctx.settings, records)
    except OdooError as exc:
        log.warning("re-reading %d record(s) Odoo's webhooks named failed (tried again next run): %s",
                    sum(map(len, records.values())), exc)
        return {"hints": len(hints), "error": str(exc)}
    with session_scope(ctx.engine) as own:
        checkpoint = repo.checkpoint(session=own, source="odoo-hints", name=name)
        checkpoint.last_uid = max(checkpoint.last_uid or 0, *(signal_id for signal_id, _ in hints))
        checkpoint.last_success = repo.now()
    return {"hints": len(hints), "records": records, **report.as_dict()}


def poll_mailbox(session: Session, ctx: JobContext) -> dict:
    """Poll the IMAP folders once (``triage ingest mailbox``); errors are recorded per folder for
    ``triage status`` and ``/readyz`` and the next run tries again."""
    if not ctx.settings.imap.configured or ctx.services is None:
        return {"skipped": "no mailbox configured" if not ctx.settings.imap.configured else "no model served"}
    from triage.errors import MailboxError
    from triage.ingest.imap import poll

    try:
        return poll(ctx.engine, ctx.services(), ctx.settings, attempts=1).as_dict()
    except MailboxError as exc:
        log.error("polling the mailbox failed: %s", exc)
        return {"error": str(exc)}


def retry_signals(session: Session, ctx: JobContext) -> dict:
    """The flow on received signals left behind: a try that failed (until the dead letter) or
    a process that stopped between storing and processing (the in-process mode; in scale-out
    the reclaim task re-enqueues them)."""
    if ctx.services is None:
        return {"skipped": "no model served"}
    ids = leases.expired_signals(session=session, grace_seconds=ctx.settings.retry_seconds)
    return run_left_behind(ctx.engine, ctx.services(), ids, lease_seconds=ctx.settings.lease_seconds)


def run_left_behind(engine: Engine, services: Services, signal_ids: list[int], *, lease_seconds: int) -> dict:
    """The flow on received signals left behind, each under a lease as a worker takes it (so two
    processes never run one twice): counts by what became of them."""
    from triage import pipeline

    counts = {"processed": 0, "retrying": 0, "quarantined": 0}
    for signal_id in signal_ids:
        outcome, result = leases.run_leased(engine, signal_id, seconds=lease_seconds,
                                            work=lambda own, row: pipeline.run_family(own, row, services))
        if result is not None:
            counts[{"received": "retrying"}.get(result.state, result.state)] += 1
    if any(counts.values()):
        log.info("ran left-behind signals: %s", counts)
    return counts


def record_model_change(session: Session, settings: Settings, change: ModelChange) -> None:
    """The audit log answers which model served when: every swap and every failed load."""
    if change.changed:
        repo.audit(session, "model_served", "model", None, name=settings.model.name, alias=settings.model.alias,
                   version=change.version, previous=change.previous)
    if change.error:
        repo.audit(session, "model_load_failed", "model", None, name=settings.model.name,
                   alias=settings.model.alias, serving=change.version, error=change.error[:2000])


def check_model(session: Session, ctx: JobContext) -> dict:
    """Follow the registry aliases: swap in the version the alias points to now (and the
    shadow), keeping the previous model when the new one fails to load."""
    if ctx.services is None:
        return {"skipped": "this process serves no model"}
    try:
        services = ctx.services()
    except ModelError as exc:  # no model yet: the next check tries again
        return {"version": None, "error": str(exc)}
    change = refresh_models(services)
    record_model_change(session, ctx.settings, change)
    return {"version": change.version, "previous": change.previous, "shadow": change.shadow, "error": change.error}


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Session, JobContext], dict]
    interval: Callable[[Settings], float]


JOBS: list[Job] = [
    Job("flush_outbox", flush_outbox, lambda s: s.outbox_interval),
    Job("check_model", check_model, lambda s: s.model.check_seconds),
    Job("sync_odoo", sync_odoo, lambda s: s.odoo.sync_seconds),
    Job("recheck_odoo", recheck_odoo, lambda s: s.odoo.hint_seconds),
    Job("poll_mailbox", poll_mailbox, lambda s: s.imap.poll_seconds),
    Job("retry_signals", retry_signals, lambda s: s.retry_seconds),
]


def run_job(job: Job, ctx: JobContext) -> dict | None:
    """Run one job in its own transaction; log and count failures, never raise."""
    started = time.perf_counter()
    try:
        with session_scope(ctx.engine) as session:
            result = job.run(session, ctx)
    except Exception:
        ctx.metrics.job_failures.labels(job.name).inc()
        log.exception("job %s failed", job.name)
        return None
    ctx.metrics.job_last_success.labels(job.name).set(time.time())
    log.debug("job %s done in %.3fs: %s", job.name, time.perf_counter() - started, result)
    return result


class InProcessScheduler:
    """Runs each job on its interval in one background thread; ``stop()`` lets a running job finish."""

    def __init__(self, ctx: JobContext, jobs: list[Job] | None = None):
        self.ctx = ctx
        self.jobs = jobs if jobs is not None else JOBS
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="triage-scheduler", daemon=True)

    def start(self) -> None:
        log.info("in-process scheduler started: %s", ", ".join(j.name for j in self.jobs))
        self._thread.start()

    def _loop(self) -> None:
        due = {job.name: 0.0 for job in self.jobs}
        while not self._stop.is_set():
            now = time.monotonic()
            for job in self.jobs:
                if self._stop.is_set():
                    break
                if now >= due[job.name]:
                    run_job(job, self.ctx)
                    due[job.name] = time.monotonic() + job.interval(self.ctx.settings)
            self._stop.wait(min(1.0, max(0.05, min(due.values()) - time.monotonic())))

    def stop(self, timeout: float = 60.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        log.info("in-process scheduler stopped")
