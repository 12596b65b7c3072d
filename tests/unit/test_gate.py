"""One test (or more) per rule of the gate; the properties are in test_gate_properties.py."""

import dataclasses
import datetime as dt

import pytest

from triage.domain import Action, ApprovedDecision, Outcome, Proposal, RecordRef
from triage.policies.gate import GateContext, activity_key, cap_keys, decide, supplier_matches
from triage.policies.policy import parse_policy

MONDAY = dt.date(2026, 11, 23)
POLICY = parse_policy("""
min_confidence: {default: 0.6, per_category: {other: 0.8, late_receipt: 0.95}}
allowed_actions: {delivery_delay: [review_new_date], other: [verify_bank_details], late_receipt: [chase_supplier]}
suppliers: {deny: [spam.example]}
""")


def _proposal(**kw):
    base = dict(case_key="k", exception_type="delivery_delay", action=Action.REVIEW_NEW_DATE,
                record=RecordRef("purchase.order", "P00001"), assignee=None, deadline=MONDAY + dt.timedelta(days=1),
                summary="s", note="n", category="delivery_delay", confidence=0.9, priority=2)
    base.update(kw)
    return Proposal(**base)


def _context(**kw):
    return GateContext(today=MONDAY, **kw)


def _rule(decision, name):
    return next(r for r in decision.trace if r.rule == name)


def test_approve_with_full_trace():
    d = decide(_proposal(), POLICY, _context())
    assert d.outcome is Outcome.APPROVE and d.rule == "approved" and not d.is_update
    assert [r.rule for r in d.trace] == ["no_action", "kill_switch", "suppliers_deny", "allowed_actions",
                                         "min_confidence", "hold_unlinked", "one_open_activity", "deadline"]
    assert all(r.outcome is None for r in d.trace)
    assert d.policy_hash == POLICY.hash and len(d.policy_hash) == 64
    assert d.deadline == MONDAY + dt.timedelta(days=1) and d.assignee is None


def test_low_confidence_holds_with_its_inputs():
    d = decide(_proposal(confidence=0.5), POLICY, _context())
    assert (d.outcome, d.rule) == (Outcome.HOLD, "min_confidence")
    assert _rule(d, "min_confidence").inputs == {"confidence": 0.5, "threshold": 0.6, "category": "delivery_delay"}


def test_exception_type_threshold_and_actions_come_before_the_category():
    late = _proposal(exception_type="late_receipt", action=Action.CHASE_SUPPLIER, confidence=0.9)
    assert decide(late, POLICY, _context()).rule == "min_confidence"  # 0.95 for late_receipt
    assert decide(dataclasses.replace(late, confidence=1.0), POLICY, _context()).outcome is Outcome.APPROVE
    review = _proposal(exception_type="late_receipt", action=Action.REVIEW_NEW_DATE, confidence=1.0)
    assert decide(review, POLICY, _context()).rule == "allowed_actions"  # late_receipt's own list


def test_action_not_allowed_rejects():
    d = decide(_proposal(action=Action.CHASE_SUPPLIER), POLICY, _context())
    assert (d.outcome, d.rule) == (Outcome.REJECT, "allowed_actions")


def test_unlinked_holds_and_says_why():
    d = decide(_proposal(record=None), POLICY, _context(link_problems=("P9 is not in Odoo",)))
    assert (d.outcome, d.rule) == (Outcome.HOLD, "hold_unlinked")
    assert "P9 is not in Odoo" in _rule(d, "hold_unlinked").detail


def test_no_action_rejects():
    assert decide(_proposal(action=Action.NONE), POLICY, _context()).rule == "no_action"


def test_a_reject_beats_a_hold_whatever_the_order():
    d = decide(_proposal(confidence=0.1, action=Action.CHASE_SUPPLIER), POLICY, _context())
    assert (d.outcome, d.rule) == (Outcome.REJECT, "allowed_actions")
    assert _rule(d, "min_confidence").outcome is Outcome.HOLD  # evaluated and recorded all the same


@pytest.mark.parametrize("identities, entry, expected", [
    (("spam.example",), "spam.example", True),
    (("eu.spam.example",), "spam.example", True),  # a subdomain
    (("notspam.example",), "spam.example", False),
    (("sales@spam.example",), "spam.example", True),
    (("sales@spam.example",), "sales@spam.example", True),
    (("other@spam.example",), "sales@spam.example", False),
    (("Acme Industrial GmbH",), "acme industrial gmbh", True),
    (("Acme Industrial GmbH",), "Acme", False),
    ((), "spam.example", False),
])
def test_supplier_entries_match_addresses_domains_and_names(identities, entry, expected):
    assert supplier_matches(entry, identities) is expected


def test_denied_supplier_rejects_and_allow_list_holds_the_rest():
    assert decide(_proposal(), POLICY, _context(suppliers=("spam.example",))).rule == "suppliers_deny"
    allow = parse_policy("suppliers: {allow: [acme.com, Globex Corp]}")
    assert decide(_proposal(), allow, _context(suppliers=("acme.com",))).outcome is Outcome.APPROVE
    assert decide(_proposal(), allow, _context(suppliers=("Globex Corp", "x.org"))).outcome is Outcome.APPROVE
    held = decide(_proposal(), allow, _context(suppliers=("initech.com",)))
    assert (held.outcome, held.rule) == (Outcome.HOLD, "suppliers_allow")
    assert decide(_proposal(), allow, _context()).rule == "suppliers_allow"  # an unknown supplier is not listed


def test_kill_switch_holds_everything_from_the_file_or_the_store():
    assert decide(_proposal(), parse_policy("kill_switch: true"), _context()).rule == "kill_switch"
    d = decide(_proposal(), POLICY, _context(kill_switch="turned on by ops"))
    assert (d.outcome, d.rule) == (Outcome.HOLD, "kill_switch") and "turned on by ops" in d.trace[1].detail


AMOUNTS = parse_policy("""
amount_thresholds:
  - {name: fm, above: 10000, applies_to: [invoice_discrepancy, bill_mismatch], escalate_to: finance.manager}
  - {name: cfo, above: 50000, currency: EUR, applies_to: [invoice_discrepancy], escalate_to: cfo}
  - {name: huge, above: 200000, hold: true}
""")


def _bill(amount, currency="EUR", **kw):
    return _proposal(exception_type="invoice_discrepancy", category="invoice_discrepancy",
                     action=Action.REVIEW_BILL_MISMATCH, record=RecordRef("account.move", "BILL/1"),
                     assignee="ap.clerk", amount=amount, currency=currency, **kw)


def test_amount_thresholds_escalate_to_the_highest_matching_and_hold_above_the_limit():
    assert decide(_bill(9_999.0), AMOUNTS, _context()).assignee == "ap.clerk"
    d = decide(_bill(12_000.0), AMOUNTS, _context())
    assert d.outcome is Outcome.APPROVE and d.assignee == "finance.manager"
    assert _rule(d, "amount:fm").inputs["escalate_to"] == "finance.manager"
    assert decide(_bill(60_000.0), AMOUNTS, _context()).assignee == "cfo"
    assert decide(_bill(60_000.0, currency="USD"), AMOUNTS, _context()).assignee == "finance.manager"  # cfo: EUR only
    assert decide(_bill(-60_000.0), AMOUNTS, _context()).assignee == "cfo"  # a credit counts by its size
    held = decide(_bill(250_000.0), AMOUNTS, _context())
    assert (held.outcome, held.rule) == (Outcome.HOLD, "amount:huge") and held.assignee == "cfo"


def test_amount_rules_outside_their_scope_or_without_an_amount_do_nothing():
    delay = _proposal(amount=30_000.0, currency="EUR")
    assert decide(delay, AMOUNTS, _context()).assignee is None  # fm and cfo apply to bills only
    assert decide(_bill(None, currency=None), AMOUNTS, _context()).assignee == "ap.clerk"
    assert decide(_proposal(amount=300_000.0), AMOUNTS, _context()).rule == "amount:huge"


CAPS = parse_policy("caps: {per_record_per_day: 2, per_assignee_per_day: 3, per_supplier_per_day: 4}")


def test_caps_hold_at_the_limit_and_name_the_key():
    proposal = _proposal(assignee="buyer1")
    keys = cap_keys(record="purchase.order:P00001", assignee="buyer1", supplier="Acme GmbH")
    assert keys == {"record": "record:purchase.order:P00001", "assignee": "assignee:buyer1",
                    "supplier": "supplier:acme gmbh"}
    below = decide(proposal, CAPS, _context(suppliers=("Acme GmbH",), counts={keys["record"]: 1}))
    assert below.outcome is Outcome.APPROVE and _rule(below, "cap_per_record").inputs["count"] == 1
    for kind, cap in (("record", 2), ("assignee", 3), ("supplier", 4)):
        d = decide(proposal, CAPS, _context(suppliers=("Acme GmbH",), counts={keys[kind]: cap}))
        assert (d.outcome, d.rule) == (Outcome.HOLD, f"cap_per_{kind}")
        assert f"cap {cap}" in _rule(d, f"cap_per_{kind}").detail


def test_caps_count_the_escalated_assignee_or_the_records_buyer_and_can_reject():
    reject = parse_policy("caps: {per_assignee_per_day: 1, on_exceed: reject}\n"
                          "amount_thresholds: [{name: fm, above: 10, escalate_to: fm}]")
    assert decide(_proposal(amount=50.0), reject, _context(counts={"assignee:fm": 1})).outcome is Outcome.REJECT
    assert decide(_proposal(amount=5.0), reject, _context(counts={"assignee:fm": 1})).outcome is Outcome.APPROVE
    owned = _proposal(owner="user:7")
    assert decide(owned, reject, _context(counts={"assignee:user:7": 1})).rule == "cap_per_assignee"
    unknown = decide(_proposal(), reject, _context(counts={"assignee:user:7": 1}))
    assert unknown.outcome is Outcome.APPROVE and "no assignee known" in _rule(unknown, "cap_per_assignee").detail


def test_an_update_is_not_counted_against_caps():
    proposal = _proposal()
    full = {"record:purchase.order:P00001": 2}
    assert decide(proposal, CAPS, _context(counts=full)).rule == "cap_per_record"
    update = decide(proposal, CAPS, _context(counts=full, open_activity_keys=frozenset({activity_key(proposal)})))
    assert update.outcome is Outcome.APPROVE and update.is_update
    assert "not counted" in _rule(update, "cap_per_record").detail


DEADLINES = parse_policy("deadlines: {working_days: [mon, tue, wed, thu, fri], holidays: [2026-11-26],"
                         " min_lead_days: 1}")


@pytest.mark.parametrize("proposed, expected", [
    (dt.date(2026, 11, 24), dt.date(2026, 11, 24)),  # Tuesday, one working day ahead: kept
    (dt.date(2026, 11, 23), dt.date(2026, 11, 24)),  # today: too soon for a lead of one day
    (dt.date(2026, 11, 20), dt.date(2026, 11, 24)),  # in the past
    (dt.date(2026, 11, 26), dt.date(2026, 11, 27)),  # a holiday
    (dt.date(2026, 11, 28), dt.date(2026, 11, 30)),  # Saturday
])
def test_deadlines_move_onto_working_days_with_the_minimum_lead(proposed, expected):
    d = decide(_proposal(deadline=proposed), DEADLINES, _context())
    assert d.outcome is Outcome.APPROVE and d.deadline == expected
    assert _rule(d, "deadline").inputs["deadline"] == expected.isoformat()


def test_open_activity_makes_an_update():
    d = decide(_proposal(), POLICY, _context(open_activity_keys=frozenset({activity_key(_proposal())})))
    assert d.outcome is Outcome.APPROVE and d.is_update


def test_only_approved_decisions_become_approved():
    held = decide(_proposal(confidence=0.1), POLICY, _context())
    rejected = decide(_proposal(action=Action.NONE), POLICY, _context())
    for decision in (held, rejected):
        with pytest.raises(TypeError):
            ApprovedDecision(decision=decision, decision_id=1)
    ApprovedDecision(decision=decide(_proposal(), POLICY, _context()), decision_id=1)
