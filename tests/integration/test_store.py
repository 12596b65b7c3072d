"""The store on SQLite and PostgreSQL: migrations, idempotent intake, outbox, status."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select

from tests.conftest import SAMPLES
from triage import outbox
from triage.activities import DryRunWriter, render
from triage.domain import Action, ApprovedDecision, Decision, Outcome, Proposal, RecordRef
from triage.errors import WriteError
from triage.ingest.files import read_file
from triage.status import status
from triage.store import connect, migrate, session_scope
from triage.store import repository as repo
from triage.store.tables import (
    ActivityRow,
    AuditEventRow,
    AssessmentRow,
    Base,
    DecisionRow,
    OriginalRow,
    OutboxRow,
    ProposalRow,
    SignalRow,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(store_url):
    engine = connect(store_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_migrations_match_the_tables_and_rerun_cleanly(engine):
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == []


def test_the_same_file_is_stored_once_and_original_kept(engine, settings):
    intake = read_file(SAMPLES / "01_delay_bearings.eml", settings.limits)
    with session_scope(engine) as session:
        row, duplicate = repo.store_intake(session=session, intake=intake)
        assert not duplicate
    again = read_file(SAMPLES / "01_delay_bearings.eml", settings.limits)
    with session_scope(engine) as session:
        row2, duplicate = repo.store_intake(session=session, intake=again)
        assert duplicate and row2.id == row.id
        assert session.scalar(select(func.count()).select_from(SignalRow)) == 1
        kept = repo.original(session=session, sha=row.raw_sha256)
    assert kept == (SAMPLES / "01_delay_bearings.eml").read_bytes()
    assert not settings.raw_dir.exists() or not any(settings.raw_dir.rglob("*"))  # in the store, not beside it
    assert row.key.startswith("email:") and row.message_id in row.key


def test_a_batch_stores_each_key_once_and_an_original_kept_before_migration_still_reads(engine, settings):
    first = read_file(SAMPLES / "01_delay_bearings.eml", settings.limits)
    copy = read_file(SAMPLES / "01_delay_bearings.eml", settings.limits)
    other = read_file(sorted(SAMPLES.glob("*.eml"))[1], settings.limits)
    with session_scope(engine) as session:
        stored = repo.store_intakes(session=session, intakes=[first, copy, other])
        assert [duplicate for _, duplicate in stored] == [False, True, False]
        assert stored[0][0] is stored[1][0] and stored[0][0].id != stored[2][0].id
        assert session.scalar(select(func.count()).select_from(OriginalRow)) == 2
    legacy = repo.raw_path(settings.raw_dir, "ab" * 32)  # how stores before migration 0005 kept originals
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"kept in the data dir")
    with session_scope(engine) as session:
        assert repo.original(session=session, sha="ab" * 32, raw_dir=settings.raw_dir) == b"kept in the data dir"
        assert repo.original(session=session, sha="cd" * 32, raw_dir=settings.raw_dir) is None


def test_bad_input_is_stored_quarantined_with_reason(engine, settings, tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"this is no pdf")
    with session_scope(engine) as session:
        row, _ = repo.store_intake(session=session, intake=read_file(bad, settings.limits))
    with session_scope(engine) as session:
        data = status(session, model={"name": "m", "version": None})
    assert row.state == "quarantined" and row.quarantine_reason == "pdf_corrupt"
    assert data["quarantine"]["by_reason"] == {"pdf_corrupt": 1}
    assert data["signals"]["by_state"]["quarantined"] == 1


def _approved_in_store(session, settings, *, confidence=0.9):
    intake = read_file(SAMPLES / "01_delay_bearings.eml", settings.limits)
    signal, _ = repo.store_intake(session=session, intake=intake)
    case = repo.create_case(session=session, key="record:purchase.order:P00413:delivery_delay",
                            exception_type="delivery_delay", category="delivery_delay",
                            record=RecordRef("purchase.order", "P00413"))
    assessment = AssessmentRow(case_id=case.id, signal_id=signal.id, category="delivery_delay", confidence=confidence,
                               priority=2, priority_score=0.7, model_name="m", model_version="1")
    session.add(assessment)
    session.flush()
    proposal = Proposal(case_key=case.key, exception_type="delivery_delay", action=Action.REVIEW_NEW_DATE,
                        record=RecordRef("purchase.order", "P00413"), assignee=None, deadline=dt.date(2026, 11, 23),
                        summary="Review new delivery date on P00413", note="n", category="delivery_delay",
                        confidence=confidence, priority=2)
    prow = ProposalRow(case_id=case.id, assessment_id=assessment.id, action="review_new_date",
                       exception_type="delivery_delay", deadline="2026-11-23", summary="s", note="n")
    session.add(prow)
    session.flush()
    decision = Decision(Outcome.APPROVE, "one_open_activity", (), "h")
    drow = DecisionRow(proposal_id=prow.id, outcome="approve", rule="one_open_activity", trace=[], policy_hash="h")
    session.add(drow)
    session.flush()
    approved = ApprovedDecision(decision, drow.id)
    return approved, render(proposal, approved, activity_type="todo")


def test_outbox_writes_once_and_retries_retryable_failures(engine, settings):
    with session_scope(engine) as session:
        approved, spec = _approved_in_store(session, settings)
        first = outbox.enqueue(session, approved, spec)
        assert outbox.enqueue(session, approved, spec).id == first.id  # idempotent

    class Flaky(DryRunWriter):
        fails = 1

        def write(self, spec):
            if self.fails:
                self.fails -= 1
                raise WriteError("connection reset", retryable=True)
            return super().write(spec)

    writer = Flaky()
    case_of = lambda s: (lambda d: repo.case_of_decision(session=s, decision_id=d))  # noqa: E731
    with session_scope(engine) as session:
        result = outbox.flush(session, writer, case_of_decision=case_of(session))
        assert (result.sent, result.retrying) == (0, 1)
        row = session.scalar(select(OutboxRow))
        assert row.state == "pending" and row.attempts == 1 and row.next_attempt_at > repo.now()
        row.next_attempt_at = repo.now() - dt.timedelta(seconds=1)
    with session_scope(engine) as session:
        assert outbox.flush(session, writer, case_of_decision=case_of(session)).sent == 1
    with session_scope(engine) as session:
        assert outbox.flush(session, writer, case_of_decision=case_of(session)).sent == 0
        assert session.scalar(select(func.count()).select_from(ActivityRow)) == 1
        assert len(writer.written) == 1


def test_kill_switch_keeps_approved_items_waiting(engine, settings, tmp_path):
    """Approved items already in the outbox wait while the switch is on (in the store or in the
    policy file, read again at every flush) and are written once it is off."""
    from triage.policies.policy import PolicyFile
    from triage.switches import set_kill_switch, writes_stopped

    policy_path = tmp_path / "policy.yaml"
    policy_path.write_text("kill_switch: false\n")
    policy_file = PolicyFile(policy_path)
    with session_scope(engine) as session:
        approved, spec = _approved_in_store(session, settings)
        outbox.enqueue(session, approved, spec)
        set_kill_switch(session, on=True, by="ops.lead", reason="Odoo upgrade tonight")
    writer = DryRunWriter()

    def flush():
        with session_scope(engine) as session:
            return outbox.flush(session, writer, stopped=lambda: writes_stopped(session, policy_file),
                                case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))

    result = flush()
    assert result.sent == 0 and "ops.lead" in result.stopped and "Odoo upgrade tonight" in result.stopped
    with session_scope(engine) as session:
        set_kill_switch(session, on=False, by="ops.lead")
    policy_path.write_text("kill_switch: true\n")
    os.utime(policy_path, ns=(time.time_ns(), time.time_ns() + 10**9))
    result = flush()
    assert result.sent == 0 and "policy file" in result.stopped
    with session_scope(engine) as session:
        assert session.scalar(select(OutboxRow.state)) == "pending"
        assert session.scalar(select(OutboxRow.attempts)) == 0
        audit = session.scalars(select(AuditEventRow).where(AuditEventRow.kind == "kill_switch")).all()
        assert [(e.data["on"], e.data["by"]) for e in audit] == [(True, "ops.lead"), (False, "ops.lead")]
    policy_path.write_text("kill_switch: false\n")
    os.utime(policy_path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert flush().sent == 1 and len(writer.written) == 1


def test_the_kill_switch_stops_a_flush_between_batches(engine, settings):
    with session_scope(engine) as session:
        approved, spec = _approved_in_store(session, settings)
        for n in range(outbox.BATCH + 5):  # more creates than one batch (rows of one decision, for brevity)
            one = dataclasses.replace(spec, key=f"{spec.key}:{n}", triage_ref=f"{spec.triage_ref}-{n}")
            session.add(OutboxRow(key=f"decision:{approved.decision_id}:{n}", activity_key=one.key,
                                  decision_id=approved.decision_id, payload=outbox._spec_payload(one)))
    asked = []

    def stopped():
        asked.append(1)
        return "turned on during the flush" if len(asked) > 1 else None

    writer = DryRunWriter()
    with session_scope(engine) as session:
        result = outbox.flush(session, writer, stopped=stopped,
                              case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
    assert result.stopped == "turned on during the flush"
    assert result.sent == len(writer.written) == outbox.BATCH


def test_the_outbox_never_writes_a_decision_that_is_not_approved(engine, settings):
    """Types keep a held or rejected decision out of the outbox; a row that points at one anyway
    (a bug, a hand-edited store) is refused at flush time, never written, and audited."""
    with session_scope(engine) as session:
        approved, spec = _approved_in_store(session, settings)
        held = Decision(Outcome.HOLD, "min_confidence", (), "h")
        with pytest.raises(TypeError):
            outbox.enqueue(session, held, spec)
        with pytest.raises(TypeError):
            ApprovedDecision(held, approved.decision_id)
        proposal = Proposal(case_key="k", exception_type="delivery_delay", action=Action.REVIEW_NEW_DATE,
                            record=RecordRef("purchase.order", "P00413"), assignee=None,
                            deadline=dt.date(2026, 11, 23), summary="s", note="n", category="delivery_delay",
                            confidence=0.9, priority=2)
        with pytest.raises(TypeError):
            render(proposal, held, activity_type="mail.mail_activity_data_todo")
        outbox.enqueue(session, approved, spec)
        session.get(DecisionRow, approved.decision_id).outcome = "hold"  # the store says otherwise
    writer = DryRunWriter()
    with session_scope(engine) as session:
        result = outbox.flush(session, writer,
                              case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
        assert (result.sent, result.failed, list(writer.written)) == (0, 1, [])
        row = session.scalar(select(OutboxRow))
        assert row.state == "failed" and "not approved" in row.last_error
        assert session.scalar(select(AuditEventRow.kind).where(AuditEventRow.kind == "outbox_refused"))


def test_two_transactions_keeping_the_same_original_at_once_both_succeed(pg_url, settings):
    """The same PDF attached to two emails read by two workers: one copy kept, neither fails."""
    import threading

    engine = connect(pg_url)
    migrate(engine)
    pdf = (SAMPLES / "credit_note_CN-2026-0042.pdf").read_bytes()
    first, second = (read_file(SAMPLES / "credit_note_CN-2026-0042.pdf", settings.limits) for _ in range(2))
    second.signal.key = "document:the-same-bytes-under-another-key"
    errors = []
    with session_scope(engine) as session:
        repo.store_intakes(session=session, intakes=[first])  # not committed yet: the other waits on the key

        def other():
            try:
                with session_scope(engine) as other_session:
                    repo.store_intakes(session=other_session, intakes=[second])
            except Exception as exc:  # noqa: BLE001 - asserted below
                errors.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(1.0)
        assert thread.is_alive()  # blocked on the uncommitted original
    thread.join(30)
    assert errors == []
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(OriginalRow)) == 1
        assert repo.original(session=session, sha=first.sha256) == pdf
        assert session.scalar(select(func.count()).select_from(SignalRow)) == 2
    engine.dispose()
