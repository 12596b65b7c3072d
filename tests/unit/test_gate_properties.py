"""Properties of the gate, for any policy and any order of arrival (hypothesis)."""

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.domain import CATEGORIES, ODOO_EXCEPTION_TYPES, Action, Outcome, Proposal, RecordRef
from triage.policies.gate import activity_key, decide
from triage.policies.ledger import Ledger
from triage.policies.policy import parse_policy

TODAY = dt.date(2026, 11, 23)
SUPPLIERS = ["acme.com", "globex.example", "Initech Ltd", "sales@umbrella.example"]
ASSIGNEES = ["buyer1", "buyer2", "ap.clerk", None]
RECORDS = [RecordRef("purchase.order", f"P0000{i}") for i in range(4)] + [RecordRef("account.move", "BILL/1"), None]
KINDS = [*CATEGORIES, *ODOO_EXCEPTION_TYPES]

caps = st.fixed_dictionaries({}, optional={
    "per_record_per_day": st.integers(1, 4), "per_assignee_per_day": st.integers(1, 4),
    "per_supplier_per_day": st.integers(1, 4), "on_exceed": st.sampled_from(["hold", "reject"])})
thresholds = st.lists(st.fixed_dictionaries({
    "above": st.floats(0, 1e5, allow_nan=False), "currency": st.sampled_from([None, "EUR", "USD"]),
    "applies_to": st.lists(st.sampled_from(KINDS), max_size=3, unique=True),
    "effect": st.sampled_from(["hold", "cfo", "finance.manager"])}), max_size=3)


@st.composite
def policies(draw, kill_switch=st.booleans()):
    data = {
        "kill_switch": draw(kill_switch),
        "min_confidence": {"default": draw(st.floats(0, 1)),
                           "per_category": draw(st.dictionaries(st.sampled_from(KINDS), st.floats(0, 1), max_size=3))},
        "allowed_actions": draw(st.dictionaries(st.sampled_from(KINDS), st.lists(
            st.sampled_from([a.value for a in Action]), max_size=4, unique=True), max_size=4)),
        "hold_unlinked": draw(st.booleans()),
        "suppliers": {"allow": draw(st.lists(st.sampled_from(SUPPLIERS[:2]), max_size=2, unique=True)),
                      "deny": draw(st.lists(st.sampled_from(SUPPLIERS[2:]), max_size=2, unique=True))},
        "caps": draw(caps),
        "deadlines": {"min_lead_days": draw(st.integers(0, 3)),
                      "holidays": draw(st.lists(st.dates(TODAY, TODAY + dt.timedelta(days=10)), max_size=3))},
    }
    rules = []
    for i, t in enumerate(draw(thresholds)):
        rule = {"name": f"r{i}", "above": t["above"], "applies_to": t["applies_to"]}
        rule.update({"hold": True} if t["effect"] == "hold" else {"escalate_to": t["effect"]})
        if t["currency"]:
            rule["currency"] = t["currency"]
        rules.append(rule)
    data["amount_thresholds"] = rules
    return parse_policy(yaml.safe_dump(data, sort_keys=False))


@st.composite
def proposals(draw):
    kind = draw(st.sampled_from(KINDS))
    return Proposal(
        case_key="k", exception_type=kind, action=draw(st.sampled_from(list(Action))),
        record=draw(st.sampled_from(RECORDS)), assignee=draw(st.sampled_from(ASSIGNEES)),
        deadline=TODAY + dt.timedelta(days=draw(st.integers(-5, 20))), summary="s", note="n",
        category=kind if kind in CATEGORIES else "delivery_delay", confidence=draw(st.floats(0, 1)),
        priority=draw(st.integers(1, 4)), amount=draw(st.none() | st.floats(-1e6, 1e6, allow_nan=False)),
        currency=draw(st.sampled_from([None, "EUR", "USD"])), owner=draw(st.sampled_from([None, "user:7"])))


arrivals = st.lists(st.tuples(proposals(), st.lists(st.sampled_from(SUPPLIERS), max_size=2, unique=True),
                              st.booleans()), min_size=1, max_size=40)


@settings(max_examples=150, deadline=None)
@given(policies(), proposals(), st.lists(st.sampled_from(SUPPLIERS), max_size=2, unique=True),
       st.dictionaries(st.sampled_from(["record:purchase.order:P00000", "assignee:buyer1", "supplier:acme.com"]),
                       st.integers(0, 5)))
def test_the_gate_is_deterministic(policy, proposal, suppliers, counts):
    ledger = Ledger()
    ledger.counts[TODAY].update(counts)
    context = ledger.context(TODAY, suppliers=tuple(suppliers))
    first = decide(proposal, policy, context)
    again = decide(proposal, parse_policy(yaml.safe_dump(policy.model_dump(exclude={"hash"}, mode="json"))), context)
    assert first == decide(proposal, policy, context)
    assert (again.outcome, again.rule, again.assignee, again.deadline) == (first.outcome, first.rule, first.assignee,
                                                                          first.deadline)


@settings(max_examples=150, deadline=None)
@given(policies(), proposals(), st.lists(st.sampled_from(SUPPLIERS), max_size=2, unique=True),
       st.sampled_from(["policy", "store", "both"]))
def test_never_approves_while_the_kill_switch_is_on(policy, proposal, suppliers, where):
    if where in ("policy", "both"):
        policy = policy.model_copy(update={"kill_switch": True})
    store = "stopped by ops" if where in ("store", "both") else None
    decision = decide(proposal, policy, Ledger().context(TODAY, suppliers=tuple(suppliers), kill_switch=store))
    assert decision.outcome is not Outcome.APPROVE
    assert any(r.rule == "kill_switch" and r.outcome is Outcome.HOLD for r in decision.trace)


@settings(max_examples=200, deadline=None)
@given(policies(kill_switch=st.just(False)), arrivals)
def test_caps_are_never_exceeded_however_proposals_arrive(policy, arrivals):
    ledger = Ledger()
    for proposal, suppliers, closes in arrivals:
        suppliers = tuple(suppliers)
        decision = decide(proposal, policy, ledger.context(TODAY, suppliers=suppliers))
        ledger.record(TODAY, proposal, decision, suppliers)
        for kind, cap in policy.caps.limits().items():
            over = {k: n for k, n in ledger.counts[TODAY].items() if k.startswith(f"{kind}:") and n > cap}
            assert not over, (kind, cap, over)
        if closes and activity_key(proposal):  # the buyer marks it done: the next one is new again
            ledger.close(activity_key(proposal))


@settings(max_examples=150, deadline=None)
@given(policies(), proposals())
def test_deadlines_are_working_days_at_least_the_minimum_lead_ahead(policy, proposal):
    decision = decide(proposal, policy, Ledger().context(TODAY))
    assert policy.deadlines.is_working(decision.deadline)
    assert decision.deadline >= max(proposal.deadline, policy.deadlines.earliest(TODAY))
