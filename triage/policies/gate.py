"""``decide(proposal, context) -> Decision``: pure, no session, no files.

Rules run in a fixed order; each is recorded in the trace with its inputs. The first rule
that rejects or holds decides; when none does, the proposal is approved (as an update of
the open activity when its record and exception type already have one).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from triage.domain import Action, Decision, Outcome, Proposal, RuleResult
from triage.policies.policy import Policy


@dataclass(frozen=True)
class GateContext:
    """What the gate needs to know of the world beyond the proposal."""

    open_activity_keys: frozenset[str] = field(default_factory=frozenset)
    supplier_domain: str | None = None
    link_problems: tuple[str, ...] = ()  # references Odoo did not know or that named several records


def activity_key(proposal: Proposal) -> str | None:
    """One open activity per (record, exception type)."""
    if proposal.record is None:
        return None
    return f"{proposal.record.model}:{proposal.record.name}:{proposal.exception_type}"


def _rules(proposal: Proposal, policy: Policy, context: GateContext) -> list[RuleResult]:
    results: list[RuleResult] = []
    action = proposal.action.value

    results.append(RuleResult(
        "no_action", Outcome.REJECT if proposal.action is Action.NONE else None,
        "nothing to ask of a person: stored, nothing written to Odoo" if proposal.action is Action.NONE
        else "an action is proposed", {"action": action}))
    results.append(RuleResult(
        "kill_switch", Outcome.HOLD if policy.kill_switch else None,
        "the kill switch stops every write" if policy.kill_switch else "off", {"kill_switch": policy.kill_switch}))
    denied = context.supplier_domain is not None and context.supplier_domain in policy.deny_suppliers
    results.append(RuleResult(
        "deny_suppliers", Outcome.REJECT if denied else None,
        f"supplier {context.supplier_domain} is on the deny list" if denied else "not denied",
        {"supplier": context.supplier_domain}))
    allowed = policy.allowed_actions.get(proposal.category)
    permitted = allowed is None or action in allowed
    results.append(RuleResult(
        "allowed_actions", None if permitted or proposal.action is Action.NONE else Outcome.REJECT,
        f"{action} is allowed for {proposal.category}" if permitted
        else f"{action} is not allowed for {proposal.category} (allowed: {allowed})",
        {"category": proposal.category, "action": action, "allowed": allowed}))
    threshold = policy.min_confidence.for_category(proposal.category)
    confident = proposal.confidence >= threshold
    results.append(RuleResult(
        "min_confidence", None if confident else Outcome.HOLD,
        f"confidence {proposal.confidence:.2f} {'>=' if confident else '<'} {threshold:.2f}",
        {"confidence": proposal.confidence, "threshold": threshold, "category": proposal.category}))
    unlinked = proposal.record is None and policy.hold_unlinked
    why = f" ({'; '.join(context.link_problems)})" if context.link_problems else ""
    results.append(RuleResult(
        "hold_unlinked", Outcome.HOLD if unlinked else None,
        f"no Odoo record is linked{why}: a person must link it" if unlinked else "linked",
        {"record": None if proposal.record is None else f"{proposal.record.model}:{proposal.record.name}",
         "link_problems": list(context.link_problems)}))
    return results


def decide(proposal: Proposal, policy: Policy, context: GateContext) -> Decision:
    trace = _rules(proposal, policy, context)
    deciding = next((r for r in trace if r.outcome is not None), None)
    if deciding is not None:
        return Decision(outcome=deciding.outcome, rule=deciding.rule, trace=tuple(trace), policy_hash=policy.hash)
    key = activity_key(proposal)
    is_update = key is not None and key in context.open_activity_keys
    final = RuleResult(
        "one_open_activity", Outcome.APPROVE,
        f"updates the open activity {key}" if is_update else "no open activity for this record and type: create one",
        {"key": key, "update": is_update})
    return Decision(outcome=Outcome.APPROVE, rule=final.rule, trace=tuple(trace) + (final,),
                    policy_hash=policy.hash, is_update=is_update)
