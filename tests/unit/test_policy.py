import pytest

from triage.errors import PolicyError
from triage.policies.policy import load_policy, parse_policy


def test_packaged_default_is_valid(settings):
    policy = load_policy(settings.policy_path)
    assert policy.min_confidence.for_category("other") == 0.7
    assert "review_new_date" in policy.allowed_actions["delivery_delay"]


@pytest.mark.parametrize("text,fragment", [
    ("allowed_actions: {delivery_delay: [phone_the_ceo]}", "unknown action(s) ['phone_the_ceo']"),
    ("min_confidence: {per_category: {weather: 0.5}}", "unknown category 'weather'"),
    ("min_confidence: {default: 1.5}", "min_confidence.default"),
    ("kill_swich: true", "kill_swich"),
    ("- just a list", "mapping"),
])
def test_errors_name_the_rule_and_the_problem(text, fragment):
    with pytest.raises(PolicyError) as info:
        parse_policy(text, "p.yaml")
    assert fragment in str(info.value) and "p.yaml" in str(info.value)


def test_hash_changes_with_content():
    assert parse_policy("kill_switch: false").hash != parse_policy("kill_switch: true").hash
