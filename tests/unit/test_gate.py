import datetime as dt

import pytest

from triage.domain import Action, ApprovedDecision, Outcome, Proposal, RecordRef
from triage.policies.gate import GateContext, activity_key, decide
from triage.policies.policy import parse_policy

POLICY = parse_policy("""
min_confidence: {default: 0.6, per_category: {other: 0.8}}
allowed_actions: {delivery_delay: [review_new_date], other: [verify_bank_details]}
deny_suppliers: [spam.example]
""")


def _proposal(**kw):
    base = dict(case_key="k", exception_type="delivery_delay", action=Action.REVIEW_NEW_DATE,
                record=RecordRef("purchase.order", "P00001"), assignee=None, deadline=dt.date(2026, 11, 23),
                summary="s", note="n", category="delivery_delay", confidence=0.9, priority=2)
    base.update(kw)
    return Proposal(**base)


def test_approve_with_full_trace():
    d = decide(_proposal(), POLICY, GateContext())
    assert d.outcome is Outcome.APPROVE and not d.is_update
    assert [r.rule for r in d.trace] == ["no_action", "kill_switch", "deny_suppliers", "allowed_actions",
                                         "min_confidence", "hold_unlinked", "one_open_activity"]
    assert d.policy_hash == POLICY.hash and len(d.policy_hash) == 64


def test_low_confidence_holds():
    d = decide(_proposal(confidence=0.5), POLICY, GateContext())
    assert (d.outcome, d.rule) == (Outcome.HOLD, "min_confidence")
    assert d.trace[4].inputs == {"confidence": 0.5, "threshold": 0.6, "category": "delivery_delay"}


def test_action_not_allowed_rejects():
    d = decide(_proposal(action=Action.CHASE_SUPPLIER), POLICY, GateContext())
    assert (d.outcome, d.rule) == (Outcome.REJECT, "allowed_actions")


def test_unlinked_holds_and_none_rejects_and_denied_supplier_rejects():
    assert decide(_proposal(record=None), POLICY, GateContext()).rule == "hold_unlinked"
    assert decide(_proposal(action=Action.NONE), POLICY, GateContext()).rule == "no_action"
    assert decide(_proposal(), POLICY, GateContext(supplier_domain="spam.example")).rule == "deny_suppliers"


def test_kill_switch_holds_everything():
    policy = parse_policy("kill_switch: true")
    assert decide(_proposal(), policy, GateContext()).rule == "kill_switch"


def test_open_activity_makes_an_update():
    d = decide(_proposal(), POLICY, GateContext(open_activity_keys=frozenset({activity_key(_proposal())})))
    assert d.outcome is Outcome.APPROVE and d.is_update


def test_only_approved_decisions_become_approved():
    held = decide(_proposal(confidence=0.1), POLICY, GateContext())
    with pytest.raises(TypeError):
        ApprovedDecision(decision=held, decision_id=1)
    ApprovedDecision(decision=decide(_proposal(), POLICY, GateContext()), decision_id=1)
