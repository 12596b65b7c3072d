"""Faults while working: Odoo down, answering 500s and too slow during the writes, then back
(every approved activity written exactly once); `triage ingest mailbox` killed with SIGKILL
mid-poll and started again (every message stored once and processed); the PostgreSQL
connection dropped in the middle of a batch."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import threading
import time

import pytest
from sqlalchemy import func, select, text, update

from tests.conftest import TRIAGE, odoo_standin, triage_env
from triage import outbox, pipeline
from triage.domain import Finding
from triage.ingest.odoo_records import OdooException, to_intake
from triage.odoo import RpcGateway
from triage.odoo_activities import OdooWriter
from triage.store import repository as repo
from triage.store import session_scope
from triage.store.tables import ActivityRow, OutboxRow, SignalRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

odoo = odoo_standin(["17.0"], demo_data=False)
OPEN = "allowed_actions: {delivery_delay: [chase_supplier]}\n"


class Proxy:
    """A TCP relay in front of a server that can be taken down (connections refused) and back."""

    def __init__(self, target_port: int):
        self.target = ("127.0.0.1", target_port)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.listener: socket.socket | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _late(record_id: int, name: str) -> OdooException:
    return OdooException(exception_type="late_receipt", model="purchase.order", record_id=record_id, name=name,
                         write_date="2026-11-20 10:00:00", partner="Acme GmbH", summary=f"{name}: not received",
                         details={"days_late": 3, "lines": []}, findings=(Finding("late", "3 days late"),))


def test_odoo_down_failing_and_slow_during_writes_then_back_writes_each_activity_once(odoo, trained_flow,
                                                                                      tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(OPEN)
    engine, services = trained_flow(policy_file=policy)
    partner = odoo.add("res.partner", {"name": "Acme GmbH", "email": "sales@acme.example", "is_company": True})
    orders = [(odoo.add("purchase.order", {"name": f"P{70000 + n}", "partner_id": partner, "state": "purchase",
                                          "user_id": 2}), f"P{70000 + n}") for n in range(30)]
    now = dt.datetime.now(dt.UTC)
    for record_id, name in orders:
        with session_scope(engine) as session:
            assert pipeline.ingest(session, to_intake(_late(record_id, name), now), services).decision == "approve"
    proxy = Proxy(odoo.port)
    writer = OdooWriter(RpcGateway(proxy.url, "triage", "admin", "admin", timeout=1, attempts=1, backoff=0))

    def flush():
        with session_scope(engine) as session:
            result = outbox.flush(session, writer,
                                  case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
            session.execute(update(OutboxRow).where(OutboxRow.state == "pending")
                            .values(next_attempt_at=repo.now() - dt.timedelta(seconds=1)))  # no backoff wait
        return result

    proxy.down()
    assert (flush().sent, flush().retrying) == (0, 30)  # connection refused: all retried later
    proxy.up()
    odoo.fail_next(50, kind="http500")
    assert flush().sent == 0  # every request answered 500
    odoo.recover()
    odoo.fail_next(1, kind="timeout", seconds=2, method="create")  # created in Odoo, the answer comes too late
    slow = flush()
    assert (slow.sent, slow.failed) == (0, 0)
    deadline = time.time() + 10  # the stalled create takes effect after the client gave up
    while len(odoo.records("mail.activity")) < 30 and time.time() < deadline:
        time.sleep(0.1)
    assert len(odoo.records("mail.activity")) == 30  # Odoo holds them already
    back = flush()
    assert (back.sent, back.failed) == (30, 0)
    assert flush().sent == 0

    activities = list(odoo.records("mail.activity").values())
    refs = [a["note"].split("triage-ref:")[1].split()[0].split("<")[0] for a in activities]
    assert len(activities) == 30 and len(set(refs)) == 30  # exactly once each
    assert sorted(a["res_id"] for a in activities) == sorted(r for r, _ in orders)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ActivityRow)) == 30
        assert set(session.scalars(select(OutboxRow.state))) == {"sent"}
    proxy.down()


def _message(n: int) -> bytes:
    import email.message

    msg = email.message.EmailMessage()
    msg["From"], msg["To"] = "Anna Schmidt <anna@acme.example>", "purchasing@ourco.example"
    msg["Subject"], msg["Message-ID"] = f"Order P{20000 + n} delayed", f"<kill-{n}@acme.example>"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
    msg.set_content(f"Hello,\n\nyour order P{20000 + n} will ship one week later than confirmed.\n\nAnna")
    return msg.as_bytes()


def test_ingest_mailbox_killed_mid_poll_and_started_again_loses_and_repeats_nothing(dovecot, registry_copy,
                                                                                     tmp_path):
    total = 300
    dovecot.append_many([_message(n) for n in range(total)])
    imap = {"imap_host": dovecot.host, "imap_port": str(dovecot.port), "imap_user": dovecot.user,
            "imap_password": dovecot.password, "imap_security": "none", "imap_batch": "20"}
    env = triage_env(registry_copy, **imap)
    store = registry_copy / "triage.db"

    def stored() -> int:
        import sqlite3

        if not store.exists():
            return 0
        try:
            with sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=1) as conn:
                return conn.execute("select count(*) from signals").fetchone()[0]
        except sqlite3.OperationalError:  # the table is not there yet, or locked for a moment
            return 0

    proc = subprocess.Popen([TRIAGE, "ingest", "mailbox"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 300
    while stored() < 40 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, "the poll finished before it could be killed: make the mailbox larger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(30)
    at_kill = stored()
    assert 0 < at_kill < total

    time.sleep(1.5)  # older than TRIAGE_RETRY_SECONDS: left behind, not in another process's hands
    again = subprocess.run([TRIAGE, "ingest", "mailbox", "--json"], cwd=tmp_path, env={**env, "TRIAGE_RETRY_SECONDS": "1"},
                           capture_output=True, text=True, timeout=900)
    assert again.returncode == 0, again.stderr[-3000:]
    report = json.loads(again.stdout)
    [folder] = report["folders"]
    assert folder["stored"] + at_kill >= total  # the rest, and any the kill cut off before its commit

    from triage.store import connect

    engine = connect(f"sqlite:///{store}")
    with session_scope(engine) as session:
        ids = session.scalars(select(SignalRow.message_id)).all()
        states = dict(session.execute(select(SignalRow.state, func.count()).group_by(SignalRow.state)).all())
    engine.dispose()
    assert len(ids) == len(set(ids)) == total  # each message stored once
    assert states == {"processed": total}, states  # and each run through the flow


def test_a_postgresql_connection_dropped_in_a_batch_loses_and_repeats_nothing(trained_flow, pg_url, tmp_path,
                                                                               monkeypatch):
    """The server terminates the store's connection in the middle of a signal's transaction
    (after the flow has written, before the decision), twice in a run of twenty: that signal's
    transaction rolls back, the caller takes it again (as a poll's next round would: the
    checkpoint did not move), the pool reconnects; each signal ends stored and decided once."""
    from sqlalchemy import create_engine
    from sqlalchemy.exc import DBAPIError

    from triage import gating

    policy = tmp_path / "policy.yaml"
    policy.write_text(OPEN)
    engine, services = trained_flow(database_url=pg_url, policy_file=policy)
    admin = create_engine(pg_url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    calls = {"n": 0}
    original = gating.gate_context

    def dropping(session, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] in (6, 14):  # mid-transaction: the server kills this very connection
            pid = session.execute(text("select pg_backend_pid()")).scalar()
            with admin.connect() as conn:
                conn.execute(text("select pg_terminate_backend(:pid)"), {"pid": pid})
        return original(session, *args, **kwargs)

    monkeypatch.setattr("triage.pipeline.gate_context", dropping)
    now = dt.datetime.now(dt.UTC)
    failures = 0
    pending = [to_intake(_late(900 + n, f"P{90000 + n}"), now) for n in range(20)]
    while pending:
        try:
            with session_scope(engine) as session:
                pipeline.ingest(session, pending[0], services)
        except DBAPIError:
            failures += 1
            assert failures <= 2
            continue
        pending.pop(0)
    admin.dispose()
    assert failures == 2
    with session_scope(engine) as session:
        keys = session.scalars(select(SignalRow.key)).all()
        states = set(session.scalars(select(SignalRow.state)))
        written = session.scalar(select(func.count()).select_from(OutboxRow))
    assert len(keys) == len(set(keys)) == 20 and states == {"processed"} and written == 20


def test_dovecot_restarted_in_the_middle_of_a_poll(dovecot, trained, trained_flow):
    """The IMAP server restarts while a poll is half-way through the folder: the poll's retry
    reconnects and resumes after the last committed batch; every message stored once."""
    from pydantic import SecretStr

    from tests.integration.test_imap import _count
    from triage.ingest.imap import open_mailbox, poll

    total = 200
    dovecot.append_many([_message(n) for n in range(total)])
    settings, _ = trained
    engine, services = trained_flow(imap=settings.imap.model_copy(update={
        "host": dovecot.host, "port": dovecot.port, "user": dovecot.user, "password": SecretStr(dovecot.password),
        "security": "none", "folders": "INBOX", "batch": 20, "timeout": 10}))
    restarted = threading.Event()
    at_restart = []

    def watch():  # restart once a few batches are in
        deadline = time.time() + 300
        while _count(engine) < 50 and time.time() < deadline:
            time.sleep(0.02)
        at_restart.append(_count(engine))
        dovecot.restart()
        restarted.set()

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    poll(engine, services, services.settings, connect=open_mailbox, attempts=5, backoff=0.5)
    watcher.join(60)
    assert restarted.is_set() and at_restart[0] < total  # the poll was half-way through
    with session_scope(engine) as session:
        ids = session.scalars(select(SignalRow.message_id)).all()
        states = set(session.scalars(select(SignalRow.state)))
    assert len(ids) == len(set(ids)) == total and states == {"processed"}
