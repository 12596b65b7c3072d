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


def test_a_processing_error_runs_the_flow_again_once_fixed(trained_flow, monkeypatch):
    engine, services = trained_flow()
    original = pipeline.process

    def broken(*args, **kwargs):
        raise ValueError("a bug in a stage")

    monkeypatch.setattr(pipeline, "process", broken)
    failed = _ingest(engine, services, _eml(2), "bug.eml")
    assert (failed.state, failed.reason) == ("quarantined", "processing_error")
    monkeypatch.setattr(pipeline, "process", original)  # the fix is deployed
    [replayed] = _replay(engine, services, ids=[failed.signal_id])
    assert replayed.outcome == "processed"
    with session_scope(engine) as session:
        assert session.get(SignalRow, failed.signal_id).state == "processed"


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
