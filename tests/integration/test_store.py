"""The store on SQLite and PostgreSQL: migrations, idempotent intake, outbox, status."""

from __future__ import annotations

import datetime as dt

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
    AssessmentRow,
    Base,
    CaseRow,
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


def test_kill_switch_keeps_approved_items_waiting(engine, settings):
    with session_scope(engine) as session:
        approved, spec = _approved_in_store(session, settings)
        outbox.enqueue(session, approved, spec)
    with session_scope(engine) as session:
        result = outbox.flush(session, DryRunWriter(), kill_switch=True, case_of_decision=lambda d: 0)
        assert result.skipped_kill_switch and result.sent == 0
        assert session.scalar(select(OutboxRow.state)) == "pending"
        assert session.scalar(select(func.count()).select_from(CaseRow)) == 1


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
