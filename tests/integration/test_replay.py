"""Replaying quarantined signals (``triage replay``) on a real store with the trained model."""

from __future__ import annotations

import email.message

import pytest
from sqlalchemy import select

from tests.conftest import run_triage
from triage import pipeline
from triage import replay as replaying
from triage.ingest.files import from_eml
from triage.store import session_scope
from triage.store.tables import AuditEventRow, SignalRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _eml(n: int, body: str = "Hello,\n\nthe delivery of P10077 moves to 18.12.2026.\n\nRegards\nAnna") -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "anna@acme.example", f"Delay P1007{n}", f"<replay-{n}@acme.example>"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
    msg.set_content(body)
    return msg.as_bytes()


def _ingest(engine, services, raw: bytes, name: str):
    with session_scope(engine) as session:
        return pipeline.ingest(session, from_eml(raw, name, services.settings.limits), services)


def _replay(engine, services, **select_by):
    with session_scope(engine) as session:
        ids = [row.id for row in replaying.quarantined(session, **select_by)]
    out = []
    for signal_id in ids:
        with session_scope(engine) as session:
            out.append(replaying.replay(session, session.get(SignalRow, signal_id), services))
    return out


def test_a_signal_read_again_after_its_limit_was_raised(trained_flow):
    engine, services = trained_flow()
    services.settings.limits.message_bytes = 200  # too small for any real message
    first = _ingest(engine, services, _eml(1), "big.eml")
    assert (first.state, first.reason) == ("quarantined", "oversized")
    still = _replay(engine, services)
    assert [(r.signal_id, r.outcome) for r in still] == [(first.signal_id, "quarantined")]  # the cause is not fixed

    services.settings.limits.message_bytes = 1_000_000
    [replayed] = _replay(engine, services, reason="oversized")
    assert (replayed.signal_id, replayed.outcome) == (first.signal_id, "processed")
    with session_scope(engine) as session:
        row = session.get(SignalRow, first.signal_id)
        assert (row.state, row.quarantine_reason, row.message_id) == ("processed", None, "replay-1@acme.example")
        assert row.case_id is not None and "P10077" in row.fields["po_refs"]
        audited = session.scalars(select(AuditEventRow).where(AuditEventRow.kind == "signal_replayed")).all()
        assert [a.data["outcome"] for a in audited] == ["quarantined", "processed"]


def _retry_job(engine, services) -> dict:
    """The in-process retry job, as if its interval had passed since the signals came in."""
    import datetime as dt

    from triage.jobs import JobContext, retry_signals
    from triage.metrics import Metrics

    with session_scope(engine) as session:
        for row in session.scalars(select(SignalRow).where(SignalRow.state == "received")):
            row.received_at -= dt.timedelta(seconds=services.settings.retry_seconds + 1)
    with session_scope(engine) as session:
        return retry_signals(session, JobContext(services.settings, engine, None, Metrics(), services=lambda: services))


def test_a_failing_signal_is_retried_then_dead_lettered_then_replayed_once_fixed(trained_flow, monkeypatch):
    engine, services = trained_flow()
    assert services.settings.processing_tries == 3
    original = pipeline.process
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ValueError("a bug in a stage")

    monkeypatch.setattr(pipeline, "process", broken)
    failed = _ingest(engine, services, _eml(2), "bug.eml")
    assert (failed.state, failed.reason) == ("received", None)  # one failure is not yet a dead letter
    with session_scope(engine) as session:
        row = session.get(SignalRow, failed.signal_id)
        assert (row.tries, row.error) == (1, "try 1 of 3 failed: ValueError: a bug in a stage")
    assert _retry_job(engine, services) == {"processed": 0, "retrying": 1, "quarantined": 0}
    assert _retry_job(engine, services) == {"processed": 0, "retrying": 0, "quarantined": 1}
    assert _retry_job(engine, services) == {"processed": 0, "retrying": 0, "quarantined": 0}  # left alone now
    assert len(calls) == 3
    with session_scope(engine) as session:
        row = session.get(SignalRow, failed.signal_id)
        assert (row.state, row.quarantine_reason, row.tries) == ("quarantined", "processing_error", 3)
        assert row.error == "after 3 tries: ValueError: a bug in a stage"
    monkeypatch.setattr(pipeline, "process", original)  # the fix is deployed
    [replayed] = _replay(engine, services, ids=[failed.signal_id])
    assert replayed.outcome == "processed"
    with session_scope(engine) as session:
        row = session.get(SignalRow, failed.signal_id)
        assert (row.state, row.tries) == ("processed", 0)


def test_the_retry_job_processes_a_signal_left_received(trained_flow):
    """A process stopped between storing a signal and running the flow on it (in-process mode)."""
    engine, services = trained_flow()
    with session_scope(engine) as session:
        pipeline.store_family(session, from_eml(_eml(4), "left.eml", services.settings.limits), services)
    assert _retry_job(engine, services) == {"processed": 1, "retrying": 0, "quarantined": 0}


def test_a_replay_that_finds_the_message_stored_since_is_a_duplicate(trained_flow):
    engine, services = trained_flow()
    services.settings.limits.message_bytes = 200
    quarantined = _ingest(engine, services, _eml(3), "big.eml")
    services.settings.limits.message_bytes = 1_000_000
    stored = _ingest(engine, services, _eml(3), "again.eml")  # someone sent it again after the limit was raised
    assert stored.state == "processed" and stored.signal_id != quarantined.signal_id
    [replayed] = _replay(engine, services)
    assert replayed.outcome == "duplicate" and str(stored.signal_id) in replayed.detail
    with session_scope(engine) as session:
        assert session.get(SignalRow, quarantined.signal_id).state == "quarantined"


def test_triage_replay_command(registry_copy, tmp_path):
    sample = tmp_path / "empty.eml"
    sample.write_bytes(b"\r\n")
    ingested = run_triage(tmp_path, registry_copy, "ingest", "file", str(sample))
    assert ingested.returncode == 0, ingested.stderr[-2000:]
    replayed = run_triage(tmp_path, registry_copy, "replay", "--json")
    assert replayed.returncode == 0, replayed.stderr[-2000:]
    assert '"outcome": "quarantined"' in replayed.stdout and "empty" in replayed.stdout
