"""Scale-out on real servers: two Celery workers (and beat) on the local Redis and PostgreSQL.

1,000 signals, one worker killed with SIGKILL mid-run: every signal is processed exactly once;
among them emails the mailbox stored unread, whose attached PDFs the workers store and process.
"""

from __future__ import annotations

import email.message
import json
import os
import signal
import subprocess
import time

import pytest
from sqlalchemy import func, select

from tests.conftest import TRIAGE, triage_env
from triage.domain import Source
from triage.ingest.files import capture_eml, from_email_row
from triage.services import open_store
from triage.store import repository as repo
from triage.store import session_scope
from triage.store.tables import AssessmentRow, SignalRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REDIS_URL = os.environ.get("TRIAGE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
N = 1000
MAILED = 5


def _with_pdf(i: int) -> bytes:
    from importlib.resources import files

    msg = email.message.EmailMessage()
    msg["From"], msg["Subject"] = "billing@acme.example", f"Credit note for P2000{i}"
    msg["Message-ID"] = f"<mailed-{i}@acme.example>"
    msg.set_content(f"Hello,\n\nattached our credit note for P2000{i}.\n\nRegards")
    pdf = (files("triage.demo") / "samples" / "credit_note_CN-2026-0042.pdf").read_bytes()
    msg.add_attachment(pdf + f"% copy {i}\n".encode(), maintype="application", subtype="pdf", filename=f"CN-{i}.pdf")
    return msg.as_bytes()


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}). Start it with 'redis-server --daemonize yes "
                    "--bind 127.0.0.1 --port 6379 --save \"\" --appendonly no' or set TRIAGE_TEST_REDIS_URL.")
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


def _start(args, env, log):
    return subprocess.Popen([TRIAGE, *args], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def _counts(engine):
    with session_scope(engine) as session:
        processed = session.scalar(select(func.count()).select_from(SignalRow).where(SignalRow.state == "processed"))
        twice = session.execute(select(AssessmentRow.signal_id).group_by(AssessmentRow.signal_id)
                                .having(func.count() > 1)).all()
        assessments = session.scalar(select(func.count()).select_from(AssessmentRow))
    return processed, assessments, twice


def test_two_workers_process_every_signal_exactly_once_despite_sigkill(trained, registry_copy, pg_url, redis_url,
                                                                     tmp_path):
    base, _ = trained
    data_dir = registry_copy
    settings = base.model_copy(update={"data_dir": data_dir, "database_url": pg_url, "redis_url": redis_url,
                                       "lease_seconds": 10, "scheduler": "celery"}, deep=True)
    engine = open_store(settings)
    ids = []
    with session_scope(engine) as session:
        for i in range(N):
            row = {"subject": f"Order P{10000 + i} shipped", "body": f"Your order P{10000 + i} left today, "
                   f"{i % 7 + 1} pallets, tracking 1Z999AA1{i:09d}.", "from": "dispatch@acme.example",
                   "date": "2026-11-16T09:00:00+01:00"}
            intake = from_email_row(row, json.dumps(row).encode(), f"row-{i}", source=Source.API)
            stored, _ = repo.store_intake(session=session, intake=intake)
            ids.append(stored.id)
        for i in range(MAILED):  # as the mailbox stores them: headers only, read by the worker
            stored = repo.insert_intakes(session=session, intakes=[capture_eml(_with_pdf(i), f"INBOX-1-{i}.eml")])
            ids.append(stored[0][0])

    env = triage_env(data_dir, database_url=pg_url, redis_url=redis_url, lease_seconds="10", scheduler="celery",
                     outbox_interval="5")
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("a", "b", "beat")}
    worker_a = _start(["worker", "--concurrency", "1"], env, logs["a"])
    worker_b = _start(["worker", "--concurrency", "1"], env, logs["b"])
    beat = _start(["beat"], env, logs["beat"])
    try:
        from triage.celery_app import configure, process_signal

        configure(settings)
        for signal_id in ids:
            process_signal.delay(signal_id)
        deadline = time.time() + 300
        while _counts(engine)[0] < N // 5 and time.time() < deadline:
            time.sleep(0.5)
        assert _counts(engine)[0] >= N // 5, (tmp_path / "a.log").read_text()[-3000:]
        children = subprocess.run(["pgrep", "-P", str(worker_a.pid)], capture_output=True, text=True).stdout.split()
        os.killpg(worker_a.pid, signal.SIGKILL)  # the worker and its pool child, mid-run
        worker_a.wait(10)
        with session_scope(engine) as session:  # what the killed child held when it died
            interrupted = session.scalars(select(SignalRow.id).where(
                SignalRow.state == "received",
                SignalRow.lease_owner.in_([f"{os.uname().nodename}:{pid}" for pid in children]))).all()
        total = N + 2 * MAILED  # and each mailed email's attached PDF, stored when a worker read it
        deadline = time.time() + 420
        while _counts(engine)[0] < total and time.time() < deadline:
            time.sleep(1)
        processed, assessments, twice = _counts(engine)
        assert processed == total, (processed, (tmp_path / "b.log").read_text()[-3000:])
        assert assessments == total and twice == []  # each signal processed exactly once
        with session_scope(engine) as session:
            documents = session.scalars(select(SignalRow).where(SignalRow.source == "document")).all()
            assert len(documents) == MAILED and all(d.meta["parent_key"].startswith("email:") for d in documents)
        print(f"held by the killed worker, reclaimed after its lease expired: {interrupted}")
        with session_scope(engine) as session:
            assert session.scalar(select(func.count()).select_from(SignalRow)
                                  .where(SignalRow.lease_owner.is_not(None))) == 0
    finally:
        for proc in (worker_a, worker_b, beat):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in (worker_a, worker_b, beat):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        for fh in logs.values():
            fh.close()
        engine.dispose()
