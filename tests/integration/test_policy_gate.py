"""The policy gate in the flow, on a real store: caps counted in the store (also under two
workers at once on PostgreSQL), escalation and deadlines on the written activity, the store's
kill switch, and ``triage policy simulate`` on a stored history with a known diff."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import threading

import pytest
from sqlalchemy import select

from tests.conftest import run_triage
from triage import outbox, pipeline
from triage.activities import DryRunWriter
from triage.domain import Finding
from triage.ingest.odoo_records import OdooException, to_intake
from triage.policies.policy import parse_policy
from triage.policy_simulation import simulate
from triage.status import status
from triage.store import session_scope
from triage.store import repository as repo
from triage.store.tables import DecisionRow, OutboxRow
from triage.switches import set_kill_switch, writes_stopped

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OPEN = """
allowed_actions: {delivery_delay: [chase_supplier, review_new_date]}
"""
STRICT = """
allowed_actions: {delivery_delay: [chase_supplier, review_new_date]}
caps: {per_supplier_per_day: 3}
amount_thresholds:
  - {name: big_orders, above: 100000, hold: true}
  - {name: buyer_lead, above: 40000, escalate_to: purchasing.lead}
deadlines: {working_days: [mon, tue, wed, thu, fri], min_lead_days: 2}
"""


def _late(n: int, partner: str, amount: float, *, buyer: int | None = 7) -> OdooException:
    return OdooException(
        exception_type="late_receipt", model="purchase.order", record_id=n, name=f"P{n:05d}",
        write_date=f"2026-11-20 10:00:{n:02d}", partner=partner, summary=f"P{n:05d}: 1 line(s) not received",
        details={"days_late": 4, "amount_total": amount, "currency": "EUR", "buyer_id": buyer, "lines": []},
        findings=(Finding("late", "4 days late"),))


HISTORY = [_late(1, "Acme GmbH", 5_000), _late(2, "Acme GmbH", 6_000), _late(3, "ACME GmbH", 7_000),
           _late(4, "Acme GmbH", 8_000), _late(5, "acme gmbh", 9_000), _late(6, "Globex Corp", 45_000),
           _late(7, "Globex Corp", 1_000), _late(8, "Globex Corp", 150_000)]


def _policy_file(tmp_path, text: str, name: str = "policy.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _ingest_all(engine, services, exceptions):
    now = dt.datetime.now(dt.UTC)
    results = []
    for exception in exceptions:
        with session_scope(engine) as session:
            results.append(pipeline.ingest(session, to_intake(exception, now), services))
    return results


def test_caps_escalation_and_deadlines_in_the_flow(trained_flow, tmp_path):
    engine, services = trained_flow(policy_file=_policy_file(tmp_path, STRICT))
    results = _ingest_all(engine, services, HISTORY)
    assert [(r.decision, r.rule) for r in results] == [
        ("approve", "approved"), ("approve", "approved"), ("approve", "approved"),
        ("hold", "cap_per_supplier"), ("hold", "cap_per_supplier"),  # "ACME GmbH" and "acme gmbh" are Acme
        ("approve", "approved"), ("approve", "approved"), ("hold", "amount:big_orders")]
    writer = DryRunWriter()
    with session_scope(engine) as session:
        flushed = outbox.flush(session, writer, stopped=lambda: writes_stopped(session, services.policy_file),
                               case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
        decisions = session.scalars(select(DecisionRow).order_by(DecisionRow.id)).all()
        earliest = services.policy.deadlines.earliest(dt.datetime.now(dt.UTC).date())
        held = status(session, model={})["decisions"]["held_by_rule"]
    assert held == {"cap_per_supplier": 2, "amount:big_orders": 1}
    assert flushed.sent == 5
    by_record = {spec.res_name: spec for spec in writer.written}
    assert by_record["P00006"].assignee == "purchasing.lead"  # 45,000 EUR: escalated
    assert by_record["P00007"].assignee is None  # the order's buyer, as Odoo has it
    assert all(spec.deadline >= earliest and spec.deadline.weekday() < 5 for spec in writer.written)
    assert decisions[5].assignee == "purchasing.lead"
    cap = next(r for r in decisions[3].trace if r["rule"] == "cap_per_supplier")
    assert cap["inputs"] == {"key": "supplier:acme gmbh", "count": 3, "cap": 3, "update": False}


def test_an_update_is_not_counted_and_a_person_can_approve_beyond_the_cap(trained_flow, tmp_path):
    from triage import holds

    engine, services = trained_flow(policy_file=_policy_file(tmp_path, "caps: {per_record_per_day: 1}\n" + OPEN))
    first, again, other = _ingest_all(engine, services, [
        _late(1, "Acme GmbH", 10), dataclasses.replace(_late(1, "Acme GmbH", 10), write_date="2026-11-21 09:00:00"),
        dataclasses.replace(_late(1, "Acme GmbH", 10), exception_type="unconfirmed_po")])
    assert (first.decision, again.decision) == ("approve", "approve")  # the second is an update: not counted
    assert (other.decision, other.rule) == ("hold", "cap_per_record")  # another type on the same record: a new one
    with session_scope(engine) as session:
        assert [d.is_update for d in session.scalars(select(DecisionRow).order_by(DecisionRow.id))] == [
            False, True, False]
        held = session.scalar(select(DecisionRow).where(DecisionRow.outcome == "hold"))
        holds.review(session=session, decision_id=held.id, reviewer="ops.lead", approve=True, activity_type="todo")
        assert session.scalar(select(OutboxRow).where(OutboxRow.decision_id == held.id)) is not None


def test_the_store_kill_switch_holds_new_proposals(trained_flow, tmp_path):
    engine, services = trained_flow(policy_file=_policy_file(tmp_path, OPEN))
    with session_scope(engine) as session:
        set_kill_switch(session, on=True, by="ops.lead", reason="supplier master data migration")
    [result] = _ingest_all(engine, services, [_late(1, "Acme GmbH", 10)])
    assert (result.decision, result.rule) == ("hold", "kill_switch")
    with session_scope(engine) as session:
        decision = session.scalar(select(DecisionRow))
        assert "supplier master data migration" in decision.trace[1]["detail"]
        assert session.scalar(select(OutboxRow)) is None


def test_two_workers_at_once_never_exceed_a_cap_on_postgresql(trained_flow, pg_url, tmp_path):
    """Sixteen proposals of one supplier decided by four threads at once, cap 5: exactly five
    approved (the advisory lock serialises the count and the decision)."""
    engine, services = trained_flow(database_url=pg_url,
                                    policy_file=_policy_file(tmp_path, "caps: {per_supplier_per_day: 5}\n" + OPEN))
    now = dt.datetime.now(dt.UTC)
    barrier, errors, decisions = threading.Barrier(4), [], []

    def work(offset: int):
        try:
            barrier.wait()
            for n in range(offset, 16, 4):
                with session_scope(engine) as session:
                    decisions.append(pipeline.ingest(session, to_intake(_late(n + 1, "Acme GmbH", 10), now),
                                                     services).decision)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    assert sorted(decisions) == ["approve"] * 5 + ["hold"] * 11


def test_simulate_shows_the_known_diff_of_a_stricter_policy(trained_flow, trained, tmp_path):
    engine, services = trained_flow(policy_file=_policy_file(tmp_path, OPEN))
    assert {r.decision for r in _ingest_all(engine, services, HISTORY)} == {"approve"}
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with session_scope(engine) as session:
        same = simulate(session, parse_policy(OPEN), since=since, timezone="UTC")
        report = simulate(session, parse_policy(STRICT), since=since, timezone="UTC", examples=1)
    assert (same.replayed, same.changed) == (8, 0)
    assert report.replayed == 8 and report.changed == 3
    assert dict(report.before) == {"approve": 8} and dict(report.after) == {"approve": 5, "hold": 3}
    assert dict(report.transitions) == {"approve -> hold": 3}
    assert dict(report.transition_rules["approve -> hold"]) == {"cap_per_supplier": 2, "amount:big_orders": 1}
    assert report.assignee_changes == 1  # P00006 would go to the purchasing lead
    assert report.deadline_changes == 5  # P1 and P2 deadlines: at least two working days ahead under STRICT
    assert dict(report.rules_after) == {"approved": 5, "cap_per_supplier": 2, "amount:big_orders": 1}
    [example] = report.examples
    assert (example.record, example.after_rule) == ("purchase.order:P00004", "cap_per_supplier")

    # the same through the command line, as JSON and as text
    settings, _ = trained
    strict = _policy_file(tmp_path, STRICT, "strict.yaml")
    env = dict(database_url=services.settings.store_url)
    done = run_triage(tmp_path, settings.data_dir, "policy", "simulate", "--policy", str(strict), "--since", "1d",
                      "--json", **env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["changed"] == 3 and data["by_outcome"]["hold"] == {"before": 0, "after": 3}
    text = run_triage(tmp_path, settings.data_dir, "policy", "simulate", "--policy", str(strict), **env)
    assert text.returncode == 0, text.stderr
    assert "approve -> hold: 3 (cap_per_supplier 2, amount:big_orders 1)" in text.stdout
    assert "Approved either way, but assigned to someone else: 1; with another deadline: 5" in text.stdout
    bad = run_triage(tmp_path, settings.data_dir, "policy", "simulate", "--since", "last tuesday", **env)
    assert bad.returncode == 1 and "--since" in bad.stderr
