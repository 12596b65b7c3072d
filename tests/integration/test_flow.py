"""The whole flow for real signals on SQLite and PostgreSQL, with a model from a real MLflow registry."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import SAMPLES
from triage import outbox, pipeline
from triage.activities import DryRunWriter
from triage.ingest.files import read_file
from triage.services import build_services
from triage.store import connect, migrate, session_scope
from triage.store import repository as repo
from triage.store.tables import ActivityRow, AuditEventRow, CaseRow, DecisionRow, SignalRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def services(trained, store_url):
    settings, _ = trained
    settings = settings.model_copy(update={"database_url": store_url})
    engine = connect(store_url)
    migrate(engine)
    yield engine, build_services(settings)
    engine.dispose()


def _run(engine, services, names):
    results = []
    for name in names:
        with session_scope(engine) as session:
            results.append(pipeline.ingest(session, read_file(SAMPLES / name, services.settings.limits), services))
    writer = DryRunWriter()
    with session_scope(engine) as session:
        outbox.flush(session, writer, case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
    return results, writer


def test_flow_end_to_end_and_idempotent(services):
    engine, svc = services
    names = sorted(p.name for p in SAMPLES.iterdir() if p.suffix in (".eml", ".pdf"))
    results, writer = _run(engine, svc, names)
    assert all(r.state == "processed" for r in results), [(r.signal_id, r.state, r.reason) for r in results]
    assert all(r.decision in ("approve", "hold", "reject") for r in results)
    with session_scope(engine) as session:
        n_signals = session.scalar(select(func.count()).select_from(SignalRow))
        n_activities = session.scalar(select(func.count()).select_from(ActivityRow))
        approved = session.scalar(select(func.count()).select_from(DecisionRow).where(DecisionRow.outcome == "approve"))
        audited = session.scalar(select(func.count()).select_from(AuditEventRow).where(AuditEventRow.kind == "decision"))
    assert n_signals == len(names)
    assert audited == len(names)  # every decision is in the audit log
    assert 0 < n_activities <= approved
    assert len(writer.written) == approved  # creates plus updates, each approved decision written once

    again, writer2 = _run(engine, svc, names)
    assert all(r.duplicate for r in again)
    assert not writer2.written
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(SignalRow)) == n_signals
        assert session.scalar(select(func.count()).select_from(ActivityRow)) == n_activities


def test_a_reply_joins_the_case_of_its_thread(services):
    engine, svc = services
    _run(engine, svc, ["02_confirmation_hoses.eml", "03_re_delay_hoses.eml"])
    with session_scope(engine) as session:
        case_ids = session.scalars(select(SignalRow.case_id)).all()
        assert len(case_ids) == 2 and case_ids[0] == case_ids[1]
        case = session.get(CaseRow, case_ids[0])
        assert case.record_name == "P00414"


def test_a_json_email_row_without_po_is_never_written(services, tmp_path):
    """An email that quotes no known PO still becomes a case; its proposal waits for a person."""
    engine, svc = services
    row = {"subject": "Delivery delay", "body": "Unfortunately our production is behind schedule and we cannot "
           "deliver your order as confirmed. The new delivery date is 15 December 2026.",
           "from": "Sales <sales@acme.example>", "date": "2026-11-16T09:00:00+01:00"}
    path = tmp_path / "row.json"
    path.write_text(json.dumps(row))
    with session_scope(engine) as session:
        result = pipeline.ingest(session, read_file(path, svc.settings.limits), svc)
    assert result.state == "processed" and result.case_id is not None
    assert result.decision != "approve"
    if result.action != "none":
        assert result.decision == "hold" and result.rule in ("hold_unlinked", "min_confidence")


def test_a_failing_stage_quarantines_and_the_loop_goes_on(services, monkeypatch):
    engine, svc = services

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(pipeline, "propose", broken)
    monkeypatch.setattr(svc.settings, "processing_tries", 1)  # dead-lettered at the first failure
    with session_scope(engine) as session:
        result = pipeline.ingest(session, read_file(SAMPLES / "01_delay_bearings.eml", svc.settings.limits), svc)
    assert result.state == "quarantined" and result.reason == "processing_error"
    with session_scope(engine) as session:
        row = session.scalar(select(SignalRow))
        assert row.state == "quarantined" and "boom" in row.error
        assert session.scalar(select(func.count()).select_from(CaseRow)) == 0
