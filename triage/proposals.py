"""The action catalog: a case's assessment -> the proposed action for a person.

Pure: takes the assessment, the fields and the case's record; returns a Proposal with
its target record, assignee, deadline (in working days, in the company's time zone),
summary, note and the evidence behind it.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from triage.cues import BANK_CHANGE, DUPLICATE
from triage.domain import Action, Assessment, Fields, Proposal, RecordRef
from triage.links import Link, Links

_BY_CATEGORY = {
    "delivery_delay": Action.REVIEW_NEW_DATE,
    "partial_shipment": Action.DECIDE_BACKORDER,
    "price_change": Action.REVIEW_PRICE_CHANGE,
    "invoice_discrepancy": Action.REVIEW_BILL_MISMATCH,
    "order_confirmation": Action.NONE,
    "cancellation": Action.FIND_ALTERNATIVE_SOURCE,
    "quality_issue": Action.OPEN_QUALITY_CLAIM,
    "payment_reminder": Action.CHECK_PAYMENT_STATUS,
    "shipping_notice": Action.NONE,
    "other": Action.NONE,
}

_SUMMARIES = {
    Action.CHASE_SUPPLIER: "Chase supplier for a date",
    Action.REVIEW_NEW_DATE: "Review new delivery date",
    Action.DECIDE_BACKORDER: "Decide on backorder",
    Action.REVIEW_PRICE_CHANGE: "Review price change",
    Action.REVIEW_BILL_MISMATCH: "Review bill mismatch (hold payment)",
    Action.CHECK_DUPLICATE_BILL: "Check duplicate bill",
    Action.OPEN_QUALITY_CLAIM: "Open quality claim",
    Action.FIND_ALTERNATIVE_SOURCE: "Find alternative source",
    Action.CHECK_PAYMENT_STATUS: "Check payment status",
    Action.VERIFY_BANK_DETAILS: "Verify new bank details by phone",
    Action.NONE: "No action",
}

# Working days to the deadline per priority: P1 today, P2 next working day, P3 this week, P4 next week.
_LEAD_DAYS = {1: 0, 2: 1, 3: 3, 4: 5}


def choose_action(category: str, text: str, fields: Fields) -> Action:
    if category == "other" and BANK_CHANGE.search(text):
        return Action.VERIFY_BANK_DETAILS
    if category == "invoice_discrepancy" and DUPLICATE.search(text):
        return Action.CHECK_DUPLICATE_BILL
    if category == "delivery_delay" and fields.new_date is None:
        return Action.CHASE_SUPPLIER
    return _BY_CATEGORY.get(category, Action.NONE)


_MONEY = ("invoice_discrepancy", "payment_reminder")


def target_record(category: str, action: Action, fields: Fields, supplier: str | None,
                  links: Links | None = None) -> RecordRef | None:
    """The Odoo record the activity goes on: the vendor for bank details, the bill for money
    matters, else the PO. With ``links`` (Odoo was asked) only records Odoo confirmed count:
    an unknown or ambiguous reference leaves the proposal unlinked, for a person."""
    if links is not None:
        if action is Action.VERIFY_BANK_DETAILS:
            return _ref(links.vendor) if links.vendor else None
        if category in _MONEY and links.bills:
            return _ref(links.bills[0])
        return _ref(links.orders[0]) if links.orders else None
    if action is Action.VERIFY_BANK_DETAILS and supplier:
        return RecordRef("res.partner", supplier)
    if category in _MONEY and fields.invoice_refs:
        return RecordRef("account.move", fields.invoice_refs[0])
    if fields.po_refs:
        return RecordRef("purchase.order", fields.po_refs[0])
    return None


def _ref(link: Link) -> RecordRef:
    return RecordRef(link.model, link.name, link.id)


def link_lines(links: Links | None) -> list[str]:
    """What linking found, for the note a buyer reads."""
    if links is None:
        return []
    found = [f"{link.name} ({link.via} {link.ref})" if link.ref and link.ref != link.name
             else f"{link.name} ({link.via})"
             for link in ([links.vendor] if links.vendor else []) + links.orders + links.bills]
    return [
        f"Linked in Odoo: {'; '.join(found)}" if found else "",
        f"Not found in Odoo: {', '.join(links.unknown)}" if links.unknown else "",
        *(f"Ambiguous: {a}" for a in links.ambiguous),
        *(f"Check: {n}" for n in links.notes),
    ]


def add_working_days(start: dt.date, days: int) -> dt.date:
    day = start
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    for _ in range(days):
        day += dt.timedelta(days=1)
        while day.weekday() >= 5:
            day += dt.timedelta(days=1)
    return day


def deadline(priority: int, now: dt.datetime, timezone: str) -> dt.date:
    today = now.astimezone(ZoneInfo(timezone)).date()
    return add_working_days(today, _LEAD_DAYS.get(priority, 3))


def _evidence(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


_DATE_FIRST = {"delivery_delay", "partial_shipment", "order_confirmation", "shipping_notice"}


def _headline(category: str, fields: Fields) -> str:
    """The one figure a buyer reads first: the new date for timing matters, else the largest amount."""
    if fields.new_date and category in _DATE_FIRST:
        return f"new date {fields.new_date.isoformat()}"
    if fields.amounts:
        largest = max(fields.amounts, key=lambda m: abs(m.value))
        return f"{largest.value:,.2f} {largest.currency}"
    return ""


def propose(
    *,
    case_key: str,
    assessment: Assessment,
    fields: Fields,
    newest_text: str,
    subject: str,
    supplier: str | None,
    now: dt.datetime,
    timezone: str,
    ap_user: str | None = None,
    links: Links | None = None,
) -> Proposal:
    action = choose_action(assessment.category, f"{subject}\n{newest_text}", fields)
    record = target_record(assessment.category, action, fields, supplier, links)
    label = assessment.category.replace("_", " ")
    on = f" on {record.name}" if record else ""
    detail = []
    if fields.new_date:
        detail.append(f"new date {fields.new_date.isoformat()}")
    if fields.amounts:
        detail.append(", ".join(f"{m.value:,.2f} {m.currency}" for m in fields.amounts[:3]))
    headline = _headline(assessment.category, fields)
    summary = f"{_SUMMARIES[action]}{on}" + (f" ({headline})" if headline else "")
    note_lines = [
        f"{label.capitalize()} (confidence {assessment.confidence:.0%}, priority P{assessment.priority}).",
        f"Subject: {subject}" if subject else "",
        f"From: {supplier}" if supplier else "",
        *(f"Found: {d}" for d in detail),
        *(f"Finding: {f.message}" for f in assessment.findings),
        f"PO refs: {', '.join(fields.po_refs)}" if fields.po_refs else "",
        f"Invoice refs: {', '.join(fields.invoice_refs)}" if fields.invoice_refs else "",
        *link_lines(links),
    ]
    largest = max(fields.amounts, key=lambda m: abs(m.value), default=None)
    owner = next((link.user_id for link in (links.orders if links else []) if record is not None
                  and link.model == record.model and link.id == record.id and link.user_id), None)
    return Proposal(
        case_key=case_key,
        exception_type=assessment.category,
        action=action,
        record=record,
        assignee=ap_user if record is not None and record.model == "account.move" else None,
        deadline=deadline(assessment.priority, now, timezone),
        summary=summary[:200],
        note="\n".join(line for line in note_lines if line),
        category=assessment.category,
        confidence=assessment.confidence,
        priority=assessment.priority,
        amount=largest.value if largest else None,
        currency=largest.currency if largest else None,
        supplier=supplier,
        owner=f"user:{owner}" if owner else None,
        evidence=[_evidence(newest_text)] if newest_text.strip() else [],
    )


_BY_EXCEPTION = {
    "late_receipt": Action.CHASE_SUPPLIER,
    "unconfirmed_po": Action.CHASE_SUPPLIER,
    "overdue_transfer": Action.CHASE_SUPPLIER,
    "bill_mismatch": Action.REVIEW_BILL_MISMATCH,
    "duplicate_bill": Action.CHECK_DUPLICATE_BILL,
}


def propose_exception(*, exception_type: str, assessment: Assessment, record: RecordRef, summary_line: str,
                      details: dict, supplier: str | None, now: dt.datetime, timezone: str,
                      ap_user: str | None = None) -> Proposal:
    """The proposal for an exception Odoo already shows (a late receipt, a bill that does not match)."""
    action = _BY_EXCEPTION[exception_type]
    label = exception_type.replace("_", " ")
    note_lines = [
        f"{label.capitalize()} found in Odoo (priority P{assessment.priority}).",
        summary_line,
        f"Supplier: {supplier}" if supplier else "",
        *(f"Finding: {f.message}" for f in assessment.findings),
        *(f"Line: {line['product']}: ordered {line['ordered']:g}, received {line['received']:g}, planned "
          f"{line['planned']}" for line in details.get("lines") or []),
    ]
    return Proposal(
        case_key="",
        exception_type=exception_type,
        action=action,
        record=record,
        assignee=ap_user if record.model == "account.move" else None,
        deadline=deadline(assessment.priority, now, timezone),
        summary=f"{_SUMMARIES[action]} on {record.name} ({label})"[:200],
        note="\n".join(line for line in note_lines if line),
        category=assessment.category,
        confidence=assessment.confidence,
        priority=assessment.priority,
        amount=details.get("amount_total"),
        currency=details.get("currency"),
        supplier=supplier,
        owner=f"user:{details['buyer_id']}" if details.get("buyer_id") and record.model == "purchase.order" else None,
        evidence=[f.message for f in assessment.findings][:5],
    )
