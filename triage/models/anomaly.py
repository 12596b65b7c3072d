"""Anomaly detectors: measured Findings from bills, purchase-order lines, receipts and a
supplier's delivery history. Pure functions over plain data; the Odoo gateway fills them.

- ``line_variances``: each bill line against its PO line: unit price (percent and absolute
  tolerances, both must be exceeded), quantity billed against quantity received (billed
  before received when nothing arrived yet) and against quantity ordered, currency.
- ``duplicate_bills``: another bill of the same supplier with the same reference (compared
  without case, spaces, dashes or leading zeros), or with the same total within a few days.
- ``bank_details_change``: the IBANs an email announcing new bank details gives, against the
  vendor's accounts in Odoo.
- ``lead_time_anomaly``: the latest slip (actual or newly promised date minus the promised
  date) against the supplier's history of slips, as a robust z-score (median and MAD,
  Iglewicz and Hoaglin's modified z; 3.5 is their outlier limit).

Every Finding carries its numbers and a sentence a buyer understands.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from triage.domain import Finding


@dataclass(frozen=True)
class Tolerances:
    """When a difference is a finding. Both price limits must be exceeded (a 3% variance on a
    0.20 item is noise; so is 5.00 on a 10,000 line)."""

    price_pct: float = 2.0  # percent of the PO unit price
    price_abs: float = 5.0  # company currency, over the billed quantity of the line
    qty_abs: float = 0.0  # units billed beyond what was received or ordered
    duplicate_days: int = 7  # same amount within this many days counts as a possible duplicate
    lead_time_z: float = 3.5  # modified z-score above which a slip is unusual
    lead_time_min_days: int = 3  # smaller slips are never findings
    lead_time_history: int = 5  # receipts needed before a supplier has a "usual"


@dataclass(frozen=True)
class OrderLine:
    """A purchase-order line as Odoo holds it (``purchase.order.line``)."""

    id: int
    order: str
    product: str
    qty_ordered: float
    qty_received: float
    price_unit: float
    currency: str = "EUR"


@dataclass(frozen=True)
class BillLine:
    """A vendor-bill line (``account.move.line``) with the PO line it bills, when linked."""

    product: str
    quantity: float
    price_unit: float
    order_line_id: int | None = None


@dataclass(frozen=True)
class Bill:
    """A vendor bill (``account.move``, ``in_invoice``)."""

    name: str
    supplier: str
    reference: str | None
    date: dt.date
    total: float
    currency: str = "EUR"
    lines: tuple[BillLine, ...] = ()
    id: int | None = None


@dataclass(frozen=True)
class Slip:
    """One receipt of a supplier: the date promised and the date it came (or is now promised)."""

    promised: dt.date
    actual: dt.date

    @property
    def days(self) -> int:
        return (self.actual - self.promised).days


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _qty(value: float) -> str:
    return f"{value:g}"


def line_variances(bill: Bill, order_lines: Iterable[OrderLine], tolerances: Tolerances = Tolerances()) -> list[Finding]:
    """Findings for the bill's lines against their PO lines (matched by PO line id, else by
    product when exactly one PO line has it)."""
    lines = list(order_lines)
    by_id = {line.id: line for line in lines}
    by_product: dict[str, list[OrderLine]] = {}
    for line in lines:
        by_product.setdefault(line.product, []).append(line)
    findings: list[Finding] = []
    billed: dict[int, float] = {}
    matched: dict[int, OrderLine] = {}
    for bill_line in bill.lines:
        order_line = by_id.get(bill_line.order_line_id) if bill_line.order_line_id is not None else None
        if order_line is None and len(by_product.get(bill_line.product, [])) == 1:
            order_line = by_product[bill_line.product][0]
        if order_line is None:
            findings.append(Finding(
                code="bill_line_without_po",
                message=f"{bill.name} bills {_qty(bill_line.quantity)} x {bill_line.product}, which is on no PO line",
                numbers={"quantity": bill_line.quantity, "price_unit": bill_line.price_unit},
            ))
            continue
        billed[order_line.id] = billed.get(order_line.id, 0.0) + bill_line.quantity
        matched[order_line.id] = order_line
        findings.extend(_price_variance(bill, bill_line, order_line, tolerances))
    for line_id, quantity in billed.items():
        findings.extend(_quantity_variance(bill, matched[line_id], quantity, tolerances))
    currencies = {line.currency for line in matched.values() if line.currency}  # unknown ones are not compared
    if currencies and bill.currency and bill.currency not in currencies:
        findings.append(Finding(
            code="currency_mismatch",
            message=f"{bill.name} is in {bill.currency}, its purchase order in {', '.join(sorted(currencies))}",
            numbers={},
        ))
    return findings


def _price_variance(bill: Bill, bill_line: BillLine, order_line: OrderLine, tol: Tolerances) -> list[Finding]:
    if order_line.price_unit <= 0:
        return []
    difference = bill_line.price_unit - order_line.price_unit
    percent = difference / order_line.price_unit * 100
    amount = difference * bill_line.quantity
    if abs(percent) <= tol.price_pct or abs(amount) <= tol.price_abs:
        return []
    direction = "above" if difference > 0 else "below"
    return [Finding(
        code="price_variance",
        message=(f"{bill_line.product}: billed at {_money(bill_line.price_unit, bill.currency)}, "
                 f"{abs(percent):.1f}% {direction} the PO price of {_money(order_line.price_unit, order_line.currency)} "
                 f"on {order_line.order} ({'+' if amount > 0 else '-'}{_money(abs(amount), bill.currency)} "
                 f"over {_qty(bill_line.quantity)} units)"),
        numbers={"variance_pct": round(percent, 2), "variance_amount": round(amount, 2),
                 "bill_price": bill_line.price_unit, "po_price": order_line.price_unit,
                 "quantity": bill_line.quantity},
    )]


def _quantity_variance(bill: Bill, order_line: OrderLine, quantity: float, tol: Tolerances) -> list[Finding]:
    numbers = {"billed": quantity, "received": order_line.qty_received, "ordered": order_line.qty_ordered}
    if order_line.qty_received <= 0 < quantity:
        return [Finding(
            code="billed_before_received",
            message=(f"{bill.name} bills {_qty(quantity)} x {order_line.product} on {order_line.order}; "
                     "nothing has been received yet"),
            numbers=numbers,
        )]
    findings = []
    if quantity - order_line.qty_received > tol.qty_abs:
        findings.append(Finding(
            code="quantity_over_received",
            message=(f"{bill.name} bills {_qty(quantity)} x {order_line.product}; only "
                     f"{_qty(order_line.qty_received)} received on {order_line.order} "
                     f"({_qty(quantity - order_line.qty_received)} more than arrived)"),
            numbers={**numbers, "excess": quantity - order_line.qty_received},
        ))
    if quantity - order_line.qty_ordered > tol.qty_abs:
        findings.append(Finding(
            code="quantity_over_ordered",
            message=(f"{bill.name} bills {_qty(quantity)} x {order_line.product}; "
                     f"{order_line.order} ordered {_qty(order_line.qty_ordered)}"),
            numbers={**numbers, "excess": quantity - order_line.qty_ordered},
        ))
    return findings


def reference_key(reference: str | None) -> str:
    compact = re.sub(r"[\s\-_/.#]", "", (reference or "").casefold())
    return re.sub(r"(?<!\d)0+(?=\d)", "", compact)


def duplicate_bills(bill: Bill, others: Iterable[Bill], tolerances: Tolerances = Tolerances()) -> list[Finding]:
    """Possible duplicates of ``bill`` among the supplier's other bills."""
    findings = []
    key = reference_key(bill.reference)
    for other in others:
        if other.supplier != bill.supplier or (other.id is not None and other.id == bill.id) or other.name == bill.name:
            continue
        days = abs((other.date - bill.date).days)
        if key and reference_key(other.reference) == key:
            findings.append(Finding(
                code="duplicate_reference",
                message=(f"{bill.name} has the supplier reference {bill.reference!r}, already on {other.name} "
                         f"of {other.date.isoformat()} ({_money(other.total, other.currency)})"),
                numbers={"other_bill_id": float(other.id or 0), "days_apart": float(days), "total": bill.total},
            ))
        elif (other.currency == bill.currency and abs(other.total - bill.total) < 0.005
              and days <= tolerances.duplicate_days):
            findings.append(Finding(
                code="duplicate_amount",
                message=(f"{bill.name} is for {_money(bill.total, bill.currency)}, the same amount as {other.name} "
                         f"{days} day{'s' if days != 1 else ''} apart"),
                numbers={"other_bill_id": float(other.id or 0), "days_apart": float(days), "total": bill.total},
            ))
    return findings


def lead_time_anomaly(latest: Slip, history: Sequence[Slip], tolerances: Tolerances = Tolerances()) -> Finding | None:
    """A Finding when the latest slip is unusual for this supplier, else None.

    The modified z-score is 0.6745 * (slip - median) / MAD; a supplier that is always exactly
    on time has a MAD of 0, so the MAD is floored at one day.
    """
    slips = [s.days for s in history]
    days = latest.days
    if days < tolerances.lead_time_min_days or len(slips) < tolerances.lead_time_history:
        return None
    median = statistics.median(slips)
    mad = max(statistics.median(abs(s - median) for s in slips), 1.0)
    z = 0.6745 * (days - median) / mad
    if z < tolerances.lead_time_z:
        return None
    usual = _usual(slips)
    usual_text = "on time" if usual <= 0 else f"within {usual} day{'s' if usual != 1 else ''}"
    return Finding(
        code="lead_time_anomaly",
        message=(f"{days} days later than promised; this supplier is usually {usual_text} "
                 f"({len(slips)} earlier receipts)"),
        numbers={"slip_days": float(days), "median_slip_days": float(median), "mad_days": float(mad),
                 "robust_z": round(z, 2), "usual_days": float(usual), "history": float(len(slips))},
    )


def _usual(slips: Sequence[int]) -> int:
    """The slip that 80% of the supplier's receipts stay within (nearest rank)."""
    ordered = sorted(slips)
    rank = max(1, -(-len(ordered) * 8 // 10))  # ceil(0.8 n)
    return ordered[rank - 1]


def masked_account(account: str) -> str:
    """An account number as a buyer compares it on the phone: country, check digits, last four."""
    return f"{account[:4]} …{account[-4:]}" if len(account) > 8 else account


# Priority of a bank-details email by what the comparison found (a classic fraud: an account
# Odoo does not have is the one to verify before the next payment run).
BANK_PRIORITY = {"bank_account_not_on_file": 1, "bank_account_not_quoted": 2, "bank_vendor_unknown": 2,
                 "bank_account_on_file": 3}


def bank_details_change(quoted: Sequence[str], on_file: Sequence[str] | None, vendor: str | None) -> Finding:
    """What an email announcing new bank details says against the vendor's accounts in Odoo.

    ``quoted``: the valid IBANs in the email; ``on_file``: the vendor's account numbers (both
    compacted), None when the vendor is not known."""
    if on_file is None or vendor is None:
        given = f" It gives {', '.join(masked_account(a) for a in quoted)}." if quoted else ""
        return Finding("bank_vendor_unknown", "The sender is not a known vendor in Odoo, so its new bank details "
                       f"cannot be compared with an account on file.{given}", {"quoted": float(len(quoted))})
    new = [a for a in quoted if a not in set(on_file)]
    counts = {"quoted": float(len(quoted)), "on_file": float(len(on_file)), "new": float(len(new))}
    held = ", ".join(masked_account(a) for a in on_file) or "none"
    if new:
        return Finding("bank_account_not_on_file", f"The email gives {', '.join(masked_account(a) for a in new)}, "
                       f"an account Odoo does not have for {vendor} (on file: {held}). Verify by phone on a "
                       "number from Odoo, not from the email, before paying.", counts)
    if quoted:
        return Finding("bank_account_on_file", f"The account in the email ({', '.join(masked_account(a) for a in quoted)}) "
                       f"is one Odoo already has for {vendor}.", counts)
    return Finding("bank_account_not_quoted", f"The email announces new bank details for {vendor} without an "
                   f"account number (on file: {held}); ask for the bank's letter and verify by phone.", counts)
