"""``decide(proposal, policy, context) -> Decision``: pure, no session, no files, no clock.

Every rule is evaluated and recorded in the trace with its inputs. A rule that rejects beats one
that holds; the first rule of the strongest outcome decides; when none holds or rejects, the
proposal is approved (as an update of the open activity when its record and exception type
already have one). Two rules change what is written rather than decide: an amount threshold
may escalate the assignee, and the deadline rule moves the deadline onto a working day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from triage.domain import Action, Decision, Outcome, Proposal, RuleResult
from triage.policies.policy import Policy

STRENGTH = {Outcome.REJECT: 2, Outcome.HOLD: 1}  # a reject beats a hold


@dataclass(frozen=True)
class GateContext:
    """What the gate needs to know of the world beyond the proposal and the policy."""

    today: dt.date  # the company's day (TRIAGE_TIMEZONE): caps count per day, deadlines start from it
    open_activity_keys: frozenset[str] = field(default_factory=frozenset)
    suppliers: tuple[str, ...] = ()  # who sent it: the first names the supplier for caps, the rest also match lists
    link_problems: tuple[str, ...] = ()  # references Odoo did not know or that named several records
    counts: Mapping[str, int] = field(default_factory=dict)  # new activities today per cap key (cap_keys)
    kill_switch: str | None = None  # why writes are stopped outside the policy file (the store's switch)


def activity_key(proposal: Proposal) -> str | None:
    """One open activity per (record, exception type)."""
    if proposal.record is None:
        return None
    return f"{proposal.record.model}:{proposal.record.name}:{proposal.exception_type}"


def name_key(name: str) -> str:
    """A supplier name or address compared without case, punctuation or spacing."""
    return " ".join(re.sub(r"[^\w@.]+", " ", name.casefold()).split())


def supplier_matches(entry: str, identities: tuple[str, ...]) -> bool:
    """Whether a policy list entry names the supplier: an address, a mail domain (and its
    subdomains: ``acme.com`` covers ``eu.acme.com``) or a name."""
    wanted = name_key(entry)
    for identity in (name_key(i) for i in identities if i):
        if identity == wanted:
            return True
        domain = identity.rpartition("@")[2] if "@" in identity else identity
        if "@" not in wanted and "." in wanted and " " not in wanted and " " not in domain \
                and (domain == wanted or domain.endswith("." + wanted)):
            return True
    return False


def cap_keys(*, record: str | None, assignee: str | None, supplier: str | None) -> dict[str, str]:
    """The keys a new activity counts under, per cap kind (a kind is absent when unknown)."""
    keys = {"record": record, "assignee": assignee, "supplier": name_key(supplier) if supplier else None}
    return {kind: f"{kind}:{value}" for kind, value in keys.items() if value}


def _result(rule: str, outcome: Outcome | None, detail: str, **inputs) -> RuleResult:
    return RuleResult(rule, outcome, detail, inputs)


def _amount_rules(proposal: Proposal, policy: Policy) -> tuple[list[RuleResult], str | None]:
    """One trace entry per amount threshold; the assignee the highest matching escalation gives."""
    results, escalation, highest = [], None, -1.0
    for rule in policy.amount_thresholds:
        hit = rule.applies(proposal.exception_type, proposal.category, proposal.amount, proposal.currency)
        inputs = dict(amount=proposal.amount, currency=proposal.currency, above=rule.above,
                      rule_currency=rule.currency, applies_to=rule.applies_to)
        amount = "no amount" if proposal.amount is None else f"{proposal.amount:,.2f} {proposal.currency or ''}".strip()
        if not hit:
            results.append(_result(f"amount:{rule.name}", None, f"{amount}: not above {rule.above:,.2f}"
                                   f"{' ' + rule.currency if rule.currency else ''} or not in scope", **inputs))
        elif rule.hold:
            results.append(_result(f"amount:{rule.name}", Outcome.HOLD,
                                   f"{amount} is above {rule.above:,.2f}: a person decides", **inputs))
        else:
            results.append(_result(f"amount:{rule.name}", None,
                                   f"{amount} is above {rule.above:,.2f}: assigned to {rule.escalate_to}",
                                   escalate_to=rule.escalate_to, **inputs))
            if rule.above > highest:
                escalation, highest = rule.escalate_to, rule.above
    return results, escalation


def _caps(policy: Policy, keys: dict[str, str], counts: Mapping[str, int], is_update: bool) -> list[RuleResult]:
    results = []
    outcome = Outcome(policy.caps.on_exceed)
    for kind, cap in policy.caps.limits().items():
        key = keys.get(kind)
        count = counts.get(key, 0) if key else None
        inputs = dict(key=key, count=count, cap=cap, update=is_update)
        if is_update:
            results.append(_result(f"cap_per_{kind}", None, "an update of the open activity: not counted", **inputs))
        elif key is None:
            results.append(_result(f"cap_per_{kind}", None, f"no {kind} known: not counted", **inputs))
        elif count >= cap:
            results.append(_result(f"cap_per_{kind}", outcome,
                                   f"{key} already has {count} new activities today (cap {cap})", **inputs))
        else:
            results.append(_result(f"cap_per_{kind}", None, f"{key}: {count} of {cap} today", **inputs))
    return results


def _deadline(proposal: Proposal, policy: Policy, today: dt.date) -> tuple[RuleResult, dt.date]:
    rules = policy.deadlines
    earliest = rules.earliest(today)
    moved = rules.next_working(max(proposal.deadline, earliest))
    if moved == proposal.deadline:
        detail = f"{moved.isoformat()} is a working day, at least {rules.min_lead_days} working day(s) ahead"
    else:
        why = "too soon" if proposal.deadline < earliest else f"not a working day ({proposal.deadline:%A})"
        detail = f"{proposal.deadline.isoformat()} is {why}: moved to {moved.isoformat()}"
    return _result("deadline", None, detail, proposed=proposal.deadline.isoformat(), today=today.isoformat(),
                   earliest=earliest.isoformat(), deadline=moved.isoformat()), moved


def decide(proposal: Proposal, policy: Policy, context: GateContext) -> Decision:
    action = proposal.action.value
    trace: list[RuleResult] = []
    trace.append(_result("no_action", Outcome.REJECT if proposal.action is Action.NONE else None,
                         "nothing to ask of a person: stored, nothing written to Odoo"
                         if proposal.action is Action.NONE else "an action is proposed", action=action))
    stopped = "the policy's kill switch is on" if policy.kill_switch else context.kill_switch
    trace.append(_result("kill_switch", Outcome.HOLD if stopped else None,
                         f"writes are stopped: {stopped}" if stopped else "off",
                         policy=policy.kill_switch, store=context.kill_switch))
    denied = next((e for e in policy.suppliers.deny if supplier_matches(e, context.suppliers)), None)
    trace.append(_result("suppliers_deny", Outcome.REJECT if denied else None,
                         f"the supplier is on the deny list ({denied})" if denied else "not denied",
                         suppliers=list(context.suppliers), matched=denied))
    allowed = policy.allowed(proposal.exception_type, proposal.category)
    permitted = allowed is None or action in allowed or proposal.action is Action.NONE
    trace.append(_result("allowed_actions", None if permitted else Outcome.REJECT,
                         f"{action} is allowed for {proposal.exception_type}" if permitted
                         else f"{action} is not allowed for {proposal.exception_type} (allowed: {allowed})",
                         exception_type=proposal.exception_type, category=proposal.category, action=action,
                         allowed=allowed))
    threshold = policy.min_confidence.threshold(proposal.exception_type, proposal.category)
    confident = proposal.confidence >= threshold
    trace.append(_result("min_confidence", None if confident else Outcome.HOLD,
                         f"confidence {proposal.confidence:.2f} {'>=' if confident else '<'} {threshold:.2f}",
                         confidence=proposal.confidence, threshold=threshold, category=proposal.category))
    unlinked = proposal.record is None and policy.hold_unlinked
    why = f" ({'; '.join(context.link_problems)})" if context.link_problems else ""
    record = None if proposal.record is None else f"{proposal.record.model}:{proposal.record.name}"
    trace.append(_result("hold_unlinked", Outcome.HOLD if unlinked else None,
                         f"no Odoo record is linked{why}: a person must link it" if unlinked else "linked",
                         record=record, link_problems=list(context.link_problems)))
    if policy.suppliers.allow:
        listed = next((e for e in policy.suppliers.allow if supplier_matches(e, context.suppliers)), None)
        trace.append(_result("suppliers_allow", None if listed else Outcome.HOLD,
                             f"the supplier is on the allow list ({listed})" if listed
                             else "the supplier is not on the allow list: a person decides",
                             suppliers=list(context.suppliers), matched=listed))
    amount_results, escalation = _amount_rules(proposal, policy)
    trace.extend(amount_results)
    assignee = escalation or proposal.assignee

    key = activity_key(proposal)
    is_update = key is not None and key in context.open_activity_keys
    trace.append(_result("one_open_activity", None,
                         f"updates the open activity {key}" if is_update
                         else "no open activity for this record and type: a new one", key=key, update=is_update))
    supplier = context.suppliers[0] if context.suppliers else None
    keys = cap_keys(record=record, assignee=assignee or proposal.owner, supplier=supplier)
    trace.extend(_caps(policy, keys, context.counts, is_update))
    deadline_result, deadline = _deadline(proposal, policy, context.today)
    trace.append(deadline_result)

    deciding = max((r for r in trace if r.outcome is not None), key=lambda r: STRENGTH[r.outcome], default=None)
    outcome = deciding.outcome if deciding else Outcome.APPROVE
    return Decision(outcome=outcome, rule=deciding.rule if deciding else "approved", trace=tuple(trace),
                    policy_hash=policy.hash, is_update=is_update, assignee=assignee, deadline=deadline)

