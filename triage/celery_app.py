"""Scale-out: the flow and the scheduled jobs as Celery tasks on Redis, the store's leases as
the source of truth.

- ``triage.process_signal(id)``: claim the signal's lease, run the flow, release. A redelivered
  or duplicated message finds the signal processed (or leased) and does nothing.
- ``triage.flush_outbox``: the outbox job (its rows carry their own leases).
- ``triage.reclaim``: re-enqueues received signals whose lease expired (their worker died) or
  that no worker took within the lease time (the enqueue was lost), so an item is taken
  again within about ``TRIAGE_LEASE_SECONDS`` rather than the broker's one-hour visibility
  timeout.

Messages are acknowledged late and rejected when the worker process is lost, with a prefetch
of one, so a killed worker's message goes back to the queue. ``triage beat`` is the one
scheduler of a Celery deployment.
"""

from __future__ import annotations

import logging
import os
import threading

from celery import Celery

from triage.config import Settings, load_settings

log = logging.getLogger(__name__)

celery = Celery("triage")  # configured by configure(); creating it does no I/O
_local: dict[int, object] = {}
_lock = threading.Lock()


def configure(settings: Settings) -> Celery:
    reclaim_every = max(5, settings.lease_seconds // 5)
    celery.conf.update(
        broker_url=settings.redis_url,
        task_default_queue="triage",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule={
            "flush-outbox": {"task": "triage.flush_outbox", "schedule": float(settings.outbox_interval)},
            "reclaim": {"task": "triage.reclaim", "schedule": float(reclaim_every)},
            **({"sync-odoo": {"task": "triage.sync_odoo", "schedule": float(settings.odoo.sync_seconds)},
                "recheck-odoo": {"task": "triage.recheck_odoo", "schedule": float(settings.odoo.hint_seconds)}}
               if settings.odoo.configured else {}),
            **({"poll-mailbox": {"task": "triage.poll_mailbox", "schedule": float(settings.imap.poll_seconds)}}
               if settings.imap.configured else {}),
        },
    )
    celery.conf.triage_settings = settings
    return celery


def _settings() -> Settings:
    return getattr(celery.conf, "triage_settings", None) or load_settings()


def _runtime():
    """Per worker process (after fork): the store engine, the services and the job context."""
    pid = os.getpid()
    with _lock:
        if pid not in _local:
            from triage.jobs import JobContext
            from triage.metrics import Metrics
            from triage.services import announce_model, build_services, build_writer, open_store

            settings = _settings()
            engine = open_store(settings)
            services = build_services(settings)
            announce_model(engine, services)
            _local[pid] = (engine, services,
                           JobContext(settings, engine, build_writer(settings), Metrics(), services=lambda: services))
        return _local[pid]


@celery.task(name="triage.process_signal")
def process_signal(signal_id: int) -> str:
    from triage import leases, pipeline
    from triage.services import refresh_if_due
    from triage.store import session_scope

    engine, services, _ = _runtime()
    change = refresh_if_due(services)  # follow the alias when it moved (checked at most every check_seconds)
    if change is not None and (change.changed or change.error):
        from triage.jobs import record_model_change

        with session_scope(engine) as session:
            record_model_change(session, services.settings, change)
    outcome, result = leases.run_leased(engine, signal_id, seconds=services.settings.lease_seconds,
                                        work=lambda session, row: pipeline.run(session, row, services))
    if result is None:
        return outcome
    for child_id in result.children:  # an email's attached PDFs, stored when the flow read it
        enqueue_signal(child_id)
    return result.state


def _run_job(name: str) -> dict | None:
    """One of ``jobs.JOBS`` on this worker, as the in-process scheduler runs it."""
    from triage.jobs import JOBS, run_job

    _, _, ctx = _runtime()
    return run_job(next(j for j in JOBS if j.name == name), ctx)


@celery.task(name="triage.flush_outbox")
def flush_outbox() -> dict | None:
    return _run_job("flush_outbox")


@celery.task(name="triage.sync_odoo")
def sync_odoo() -> dict | None:
    """A round with Odoo on one worker (the flow runs inline there; each signal is stored once by its key)."""
    return _run_job("sync_odoo")


@celery.task(name="triage.recheck_odoo")
def recheck_odoo() -> dict | None:
    """Re-read the records Odoo's webhooks named (a targeted round) on one worker."""
    return _run_job("recheck_odoo")


@celery.task(name="triage.poll_mailbox")
def poll_mailbox() -> dict | None:
    """Poll the IMAP folders on one worker (the folder's checkpoint lock keeps a second poller out)."""
    return _run_job("poll_mailbox")


@celery.task(name="triage.reclaim")
def reclaim() -> int:
    from triage import leases
    from triage.store import session_scope

    engine, services, _ = _runtime()
    with session_scope(engine) as session:
        ids = leases.expired_signals(session=session, grace_seconds=services.settings.lease_seconds)
    for signal_id in ids:
        process_signal.delay(signal_id)
    if ids:
        log.warning("reclaimed %d signal(s) whose lease expired or that no worker took", len(ids))
    return len(ids)


def enqueue_signal(signal_id: int) -> bool:
    """Hand a stored signal to the workers; False when the broker cannot be reached (the
    reclaim job hands it over later)."""
    try:
        process_signal.delay(signal_id)
        return True
    except Exception as exc:  # kombu raises many transport errors; the signal is safe in the store
        log.warning("could not enqueue signal %s (%s); the reclaim job will", signal_id, exc)
        return False
