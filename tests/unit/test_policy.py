import os
import time

import pytest

from triage.errors import PolicyError
from triage.policies.policy import PolicyFile, json_schema, load_policy, parse_policy


def test_packaged_default_is_valid(settings):
    policy = load_policy(settings.policy_path)
    assert policy.min_confidence.threshold("other", "other") == 0.7
    assert "review_new_date" in policy.allowed_actions["delivery_delay"]
    assert policy.caps.limits() and policy.deadlines.working_days == ["mon", "tue", "wed", "thu", "fri"]
    assert not policy.kill_switch


@pytest.mark.parametrize("text,fragment", [
    ("allowed_actions: {delivery_delay: [phone_the_ceo]}", "unknown action(s) ['phone_the_ceo']"),
    ("min_confidence: {per_category: {weather: 0.5}}", "unknown category or exception type 'weather'"),
    ("min_confidence: {default: 1.5}", "min_confidence.default"),
    ("kill_swich: true", "kill_swich"),
    ("- just a list", "mapping"),
    ("version: 2", "version"),
    ("amount_thresholds: [{name: big, above: 10}]", "amount_thresholds['big']: give exactly one of escalate_to"),
    ("amount_thresholds: [{name: big, above: 10, hold: true, escalate_to: cfo}]", "amount_thresholds['big']"),
    ("amount_thresholds: [{name: big, above: -1, hold: true}]", "amount_thresholds['big'].above"),
    ("amount_thresholds: [{name: big, above: 1, hold: true, currency: euro}]", "amount_thresholds['big'].currency"),
    ("amount_thresholds: [{name: a, above: 1, hold: true}, {name: a, above: 2, hold: true}]", "unique"),
    ("amount_thresholds: [{name: a, above: 1, hold: true, applies_to: [rain]}]", "applies_to"),
    ("suppliers: {allow: [acme.com], deny: [ACME.com]}", "on both the allow and the deny list"),
    ("caps: {per_record_per_day: 0}", "caps.per_record_per_day"),
    ("caps: {on_exceed: shout}", "caps.on_exceed"),
    ("deadlines: {working_days: [monday]}", "deadlines.working_days.0"),
    ("deadlines: {working_days: []}", "deadlines.working_days"),
    ("deadlines: {holidays: [someday]}", "deadlines.holidays.0"),
    ("allowed_actions: {late_receipt: [chase_supplier]}\nhash: abc", "'hash' is computed"),
    ("kill_switch: [", "not valid YAML"),
])
def test_errors_name_the_rule_and_the_problem(text, fragment):
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yaml")
    assert fragment in str(info.value) and "p.yaml" in str(info.value)


def test_rules_may_name_odoo_exception_types():
    policy = parse_policy("allowed_actions: {late_receipt: [chase_supplier]}\n"
                          "min_confidence: {per_category: {bill_mismatch: 0.9}}")
    assert policy.allowed("late_receipt", "delivery_delay") == ["chase_supplier"]
    assert policy.allowed("unconfirmed_po", "delivery_delay") is None
    assert policy.min_confidence.threshold("bill_mismatch", "invoice_discrepancy") == 0.9


def test_hash_changes_with_content():
    assert parse_policy("kill_switch: false").hash != parse_policy("kill_switch: true").hash
    assert parse_policy("kill_switch: false").hash == parse_policy("kill_switch: false").hash


def test_json_schema_describes_every_rule():
    schema = json_schema()
    assert {"kill_switch", "min_confidence", "allowed_actions", "suppliers", "amount_thresholds", "caps",
            "deadlines"} <= set(schema["properties"]) and "hash" not in schema["properties"]


def test_policy_file_is_read_again_when_it_changes_and_an_invalid_edit_is_reported(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("kill_switch: false\n")
    source = PolicyFile(path)
    assert not source.current().kill_switch
    path.write_text("kill_switch: true\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert source.current().kill_switch and source.problem is None
    path.write_text("kill_switch: maybe\n")
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 2 * 10**9))
    assert source.current().kill_switch  # the last valid policy stays in force
    assert "kill_switch" in source.problem
