"""The outbox writing activities to Odoo in batches: the real odoorpc client over HTTP against the
Odoo stand-in (each recorded version), and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from tests.integration.test_odoo_writer import _gateway, _po, _spec
from tests.conftest import odoo_standin
from tests.odoo_standin import OdooStandin
from triage import outbox
from triage.domain import ActivitySpec, ApprovedDecision, Decision, Outcome
from triage.odoo import RpcGateway
from triage.odoo_activities import OdooWriter
from triage.store import connect, migrate, session_scope
from triage.store import repository as repo
from triage.store.tables import (
    ActivityRow,
    AssessmentRow,
    AuditEventRow,
    CaseRow,
    DecisionRow,
    OutboxRow,
    ProposalRow,
    SignalRow,
)

pytestmark = pytest.mark.integration

VERSIONS = ["16.0", "17.0", "18.0"]


odoo = odoo_standin(VERSIONS, demo_data=True)


@pytest.fixture
def engine(store_url):
    engine = connect(store_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _enqueue(engine, spec: ActivitySpec) -> int:
    """The chain an approved spec hangs on (signal, case, assessment, proposal, decision) and its
    outbox row's id."""
    with session_scope(engine) as session:
        case = CaseRow(key=f"case:{spec.triage_ref}", exception_type="delivery_delay", category="delivery_delay",
                       record_model=spec.res_model, record_name=spec.res_name)
        signal = SignalRow(key=f"signal:{spec.triage_ref}", source="email", text="n")
        session.add_all([case, signal])
        session.flush()
        assessment = AssessmentRow(case_id=case.id, signal_id=signal.id, category="delivery_delay", confidence=0.9,
                                   priority=2, priority_score=0.7, model_name="m", model_version="1")
        session.add(assessment)
        session.flush()
        proposal = ProposalRow(case_id=case.id, assessment_id=assessment.id, action="review_new_date",
                               exception_type="delivery_delay", deadline=spec.deadline.isoformat(),
                               summary=spec.summary, note="n")
        session.add(proposal)
        session.flush()
        decision = DecisionRow(proposal_id=proposal.id, outcome="approve", rule="one_open_activity", trace=[],
                               policy_hash="h", is_update=spec.update)
        session.add(decision)
        session.flush()
        approved = ApprovedDecision(Decision(Outcome.APPROVE, "one_open_activity", (), "h", is_update=spec.update),
                                    decision.id)
        return outbox.enqueue(session, approved, spec).id


def _flush(engine, writer) -> outbox.FlushResult:
    with session_scope(engine) as session:
        return outbox.flush(session, writer,
                            case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))


def _make_due(engine) -> None:
    """Skip the backoff: every pending row is due now."""
    with session_scope(engine) as session:
        for row in session.scalars(select(OutboxRow).where(OutboxRow.state == "pending")):
            row.next_attempt_at = repo.now()


def _outbox(engine) -> dict[str, tuple[str, int, str | None]]:
    """triage_ref -> (state, attempts, last_error) of every outbox row."""
    with session_scope(engine) as session:
        return {row.payload["triage_ref"]: (row.state, row.attempts, row.last_error)
                for row in session.scalars(select(OutboxRow))}


def _activity_rows(engine) -> dict[str, tuple[int | None, str, int]]:
    """triage_ref -> (odoo_id, state, updates) of every activity the store follows."""
    with session_scope(engine) as session:
        return {row.triage_ref: (row.odoo_id, row.state, row.updates) for row in session.scalars(select(ActivityRow))}


def _in_odoo(odoo) -> dict[str, list[int]]:
    """triage_ref -> ids of the Odoo activities whose note carries it (one each, unless doubled)."""
    found: dict[str, list[int]] = {}
    for activity in odoo.records("mail.activity").values():
        for part in (activity.get("note") or "").split("triage-ref:")[1:]:
            found.setdefault(part[:17], []).append(activity["id"])
    return found


def _creates(odoo) -> int:
    return sum(1 for r in odoo.requests if r.model == "mail.activity" and r.model_method == "create")


def _refs(n: int, first: int = 1) -> list[str]:
    return [f"t{k:016x}" for k in range(first, first + n)]


def _creates_on_pos(odoo, engine, refs: list[str]) -> dict[str, int]:
    """A purchase order per reference and its create spec enqueued: ref -> the order's id."""
    pos = {}
    for ref in refs:
        name = f"P{500 + int(ref[1:], 16):05d}"
        pos[ref] = _po(odoo, name)
        _enqueue(engine, _spec(name=name, ref=ref, key=f"purchase.order:{name}:delivery_delay"))
    return pos


def test_creates_go_to_odoo_in_one_request(odoo, engine):
    refs = _refs(5)
    pos = _creates_on_pos(odoo, engine, refs)
    writer = OdooWriter(_gateway(odoo))
    writer.gateway.connect()
    before = len(odoo.requests)

    result = _flush(engine, writer)

    assert (result.sent, result.failed, result.retrying) == (5, 0, 0)
    seen = odoo.requests[before:]
    assert sum(1 for r in seen if r.model == "mail.activity" and r.model_method == "create") == 1
    assert sum(1 for r in seen if r.model == "mail.activity" and r.model_method == "search_read") == 1
    in_odoo = _in_odoo(odoo)
    assert sorted(in_odoo) == refs and all(len(ids) == 1 for ids in in_odoo.values())
    activities = odoo.records("mail.activity")
    assert {ref: activities[ids[0]]["res_id"] for ref, ids in in_odoo.items()} == pos
    assert _activity_rows(engine) == {ref: (in_odoo[ref][0], "open", 0) for ref in refs}
    assert {ref: state for ref, (state, _, _) in _outbox(engine).items()} == dict.fromkeys(refs, "sent")
    with session_scope(engine) as session:
        audited = [e.data["triage_ref"] for e in session.scalars(select(AuditEventRow).where(
            AuditEventRow.kind == "activity_written").order_by(AuditEventRow.id))]
    assert audited == refs
    assert [spec.triage_ref for spec in writer.written] == refs


def test_creates_are_chunked(odoo, engine, monkeypatch):
    monkeypatch.setattr(outbox, "BATCH", 2)
    refs = _refs(5)
    _creates_on_pos(odoo, engine, refs)
    writer = OdooWriter(_gateway(odoo))
    assert _flush(engine, writer).sent == 5
    assert _creates(odoo) == 3  # 2 + 2 + 1
    assert sorted(_in_odoo(odoo)) == refs


@pytest.mark.parametrize("failure", [{"kind": "http500"}, {"kind": "timeout", "seconds": 2},
                                     {"kind": "connection"}], ids=["http500", "timeout", "connection"])
def test_a_batch_create_whose_answer_is_lost_is_not_repeated(odoo, engine, failure):
    refs = _refs(4)
    _creates_on_pos(odoo, engine, refs)
    writer = OdooWriter(_gateway(odoo, timeout=1))
    writer.gateway.connect()
    odoo.fail_next(1, method="create", **failure)

    first = _flush(engine, writer)

    assert (first.sent, first.failed, first.retrying) == (0, 0, 4)
    assert all(state == "pending" and attempts == 1 and error for state, attempts, error in _outbox(engine).values())
    assert _activity_rows(engine) == {}
    if failure["kind"] == "timeout":  # Odoo creates them once the stall is over
        deadline = time.monotonic() + 10
        while len(odoo.records("mail.activity")) < len(refs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(odoo.records("mail.activity")) == len(refs)
    _make_due(engine)

    second = _flush(engine, writer)

    assert (second.sent, second.failed, second.retrying) == (4, 0, 0)
    in_odoo = _in_odoo(odoo)
    assert sorted(in_odoo) == refs and all(len(ids) == 1 for ids in in_odoo.values())  # nothing twice
    assert _activity_rows(engine) == {ref: (in_odoo[ref][0], "open", 0) for ref in refs}
    assert {ref: (state, attempts) for ref, (state, attempts, _) in _outbox(engine).items()} == dict.fromkeys(
        refs, ("sent", 2))
    # the lost request, and a second one only when Odoo never created them (500, dropped connection)
    assert _creates(odoo) == (1 if failure["kind"] == "timeout" else 2)


def test_a_spec_without_its_record_fails_alone(odoo, engine):
    good = _refs(2)
    _creates_on_pos(odoo, engine, good[:1])
    missing = "t00000000000000ff"
    _enqueue(engine, _spec(name="P99999", ref=missing, key="purchase.order:P99999:delivery_delay"))
    _creates_on_pos(odoo, engine, good[1:])
    writer = OdooWriter(_gateway(odoo))

    result = _flush(engine, writer)

    assert (result.sent, result.failed, result.retrying) == (2, 1, 0)
    rows = _outbox(engine)
    state, attempts, error = rows[missing]
    assert (state, attempts) == ("failed", 1) and "no purchase.order 'P99999' in Odoo" in error
    assert all(rows[ref][0] == "sent" and rows[ref][2] is None for ref in good)
    assert sorted(_in_odoo(odoo)) == good and _creates(odoo) == 1
    assert sorted(_activity_rows(engine)) == good


class _DeletesBeforeCreate(RpcGateway):
    """A buyer deletes a purchase order after triage found it and before its batch create: Odoo
    rejects the whole create (MissingError)."""

    doomed: tuple[OdooStandin, int] | None = None

    def create(self, model, values):
        if isinstance(values, list) and self.doomed is not None:
            odoo, po = self.doomed
            self.doomed = None
            with odoo.app.lock:
                del odoo.records("purchase.order")[po]
        return super().create(model, values)


def test_a_rejected_batch_create_is_repeated_one_by_one(odoo, engine):
    refs = _refs(3)
    pos = _creates_on_pos(odoo, engine, refs)
    gateway = _DeletesBeforeCreate(odoo.url, "triage", "admin", "admin", timeout=5, backoff=0)
    gateway.doomed = (odoo, pos[refs[1]])
    writer = OdooWriter(gateway)

    result = _flush(engine, writer)

    assert (result.sent, result.failed, result.retrying) == (2, 1, 0)
    rows = _outbox(engine)
    assert rows[refs[1]][0] == "failed" and "MissingError" in rows[refs[1]][2]
    assert rows[refs[0]][0] == rows[refs[2]][0] == "sent"
    in_odoo = _in_odoo(odoo)
    assert sorted(in_odoo) == [refs[0], refs[2]] and all(len(ids) == 1 for ids in in_odoo.values())
    stored = _activity_rows(engine)
    assert {ref: stored[ref][0] for ref in stored} == {ref: in_odoo[ref][0] for ref in in_odoo}
    assert [spec.triage_ref for spec in writer.written] == [refs[0], refs[2]]


def test_an_update_after_the_buyer_closed_the_activity_gets_its_own_row(odoo, engine):
    po = _po(odoo)
    gateway = _gateway(odoo)
    writer = OdooWriter(gateway)
    key = "purchase.order:P00412:delivery_delay"
    first_ref, update_ref = "t0000000000000001", "t0000000000000002"
    _enqueue(engine, _spec(ref=first_ref, key=key))
    assert _flush(engine, writer).sent == 1
    [(old_id, _, _)] = _activity_rows(engine).values()
    gateway.call("mail.activity", "action_feedback", [[old_id]], {"feedback": "Done already."})  # the store has not heard
    _enqueue(engine, _spec(ref=update_ref, key=key, update=True, note="<p>Now 10 May</p>"))

    assert _flush(engine, writer).sent == 1

    [new] = [a for a in odoo.records("mail.activity").values() if a.get("active", True)]
    assert new["id"] != old_id and new["res_id"] == po and "Now 10 May" in new["note"]
    assert _activity_rows(engine) == {first_ref: (old_id, "open", 0), update_ref: (new["id"], "open", 0)}
    with session_scope(engine) as session:
        row = session.scalar(select(ActivityRow).where(ActivityRow.triage_ref == update_ref))
        assert (row.key, row.res_name, row.sink) == (key, "P00412", "odoo")
        assert "Now 10 May" in row.note_html and "New date 3 May" not in row.note_html


def test_an_update_of_the_open_activity_still_coalesces(odoo, engine):
    _po(odoo)
    writer = OdooWriter(_gateway(odoo))
    key = "purchase.order:P00412:delivery_delay"
    _enqueue(engine, _spec(ref="t0000000000000001", key=key))
    _enqueue(engine, _spec(ref="t0000000000000002", key=key, update=True, note="<p>Now 10 May</p>"))

    result = _flush(engine, writer)  # the create goes first, so the update finds it

    assert result.sent == 2
    [activity] = odoo.records("mail.activity").values()
    assert "New date 3 May" in activity["note"] and "Now 10 May" in activity["note"]
    assert _activity_rows(engine) == {"t0000000000000001": (activity["id"], "open", 1)}
