"""The exception queries: what Odoo already knows is wrong, read with explicit fields, in pages.

- ``late_receipts``: confirmed PO lines whose planned date has passed and that are not fully
  received, one exception per purchase order, with what priority needs in its details: the need
  date (the earliest planned date of its late lines), the quantity short, per line the stock on
  hand and forecast, and ``stock_out`` when a late product's forecast is at or below zero (there
  is no consumption rate in these queries, so no days of cover are made up); and, as a Finding,
  a slip unusual for the supplier (``lead_time_anomaly`` over its ``receipt_history``). Stock is
  read once per round for all late products, the history once per supplier;
- ``unconfirmed_orders``: POs sent or waiting for approval for longer than ``days``;
- ``overdue_transfers``: incoming transfers whose scheduled date has passed, not done;
- ``bill_exceptions``: vendor bills, draft or posted and not paid, whose lines do not match
  their PO lines and receipts (``models/anomaly.py``: price and quantity variance, billed before
  received, lines on no PO) or that look like a duplicate of another bill of the supplier;
- and what ``late_receipts`` adds from: ``receipt_history`` (a supplier's done receipts as
  promised-versus-actual ``Slip``s) and ``stock_levels`` (on hand and forecast).

Each ``OdooException`` carries the record's ``write_date``, so its key (``model:id:write_date``,
the identity ARCHITECTURE.md gives Odoo signals, plus the exception type) changes exactly when
the record does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from triage.domain import Finding, Signal, Source
from triage.ingest import Intake
from triage.models.anomaly import (
    Bill,
    BillLine,
    OrderLine,
    Slip,
    Tolerances,
    duplicate_bills,
    lead_time_anomaly,
    line_variances,
)
from triage.odoo import OdooGateway, pages

ODOO_DATETIME = "%Y-%m-%d %H:%M:%S"
# The taxonomy category each exception type is assessed as (the policy's allowed actions are per category).
EXCEPTION_CATEGORY = {
    "late_receipt": "delivery_delay",
    "unconfirmed_po": "delivery_delay",
    "overdue_transfer": "delivery_delay",
    "bill_mismatch": "invoice_discrepancy",
    "duplicate_bill": "invoice_discrepancy",
}
UNPAID = ["not_paid", "partial"]


@dataclass(frozen=True)
class OdooException:
    exception_type: str  # late_receipt | unconfirmed_po | overdue_transfer | bill_mismatch | duplicate_bill
    model: str
    record_id: int
    name: str
    write_date: str
    partner: str | None
    summary: str
    details: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()

    @property
    def key(self) -> str:
        """``model:id:write_date`` and the exception type: one record snapshot can show two
        exceptions (a bill that does not match and repeats a reference), each its own signal."""
        return f"{self.model}:{self.record_id}:{self.write_date}:{self.exception_type}"


def to_intake(exception: OdooException, now: dt.datetime) -> Intake:
    """The Signal of an exception, keyed ``odoo:model:id:write_date:type``: the same record
    unchanged is the same signal (stored once); a change in Odoo makes a new one."""
    data = asdict(exception)
    data["findings"] = [asdict(f) for f in exception.findings]
    raw = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()
    lines = [exception.summary, *(f.message for f in exception.findings)]
    signal = Signal(key=f"odoo:{exception.key}", source=Source.ODOO, received_at=now, subject=exception.summary,
                    text="\n".join(lines), sender=exception.partner or "",
                    doc_type=f"odoo-exception:{exception.exception_type}", meta={"odoo_exception": data})
    return Intake(signal, raw, f"odoo-{exception.model}-{exception.record_id}-{hashlib.sha256(raw).hexdigest()[:8]}.json")


def _name(value) -> str | None:
    """The display name of a many2one value (``[id, name]`` or false)."""
    return value[1] if isinstance(value, list) and len(value) > 1 else None


def _id(value) -> int | None:
    """The id of a many2one value (``[id, name]``, a plain id in webhooks, or false)."""
    if isinstance(value, list) and value:
        return value[0]
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value[:10]) if value else None


def late_receipts(gateway: OdooGateway, now: dt.datetime, tolerances: Tolerances = Tolerances(),
                  order_ids: list[int] | None = None) -> list[OdooException]:
    """One exception per PO with late lines; its details carry the impact priority weighs and its
    findings a slip unusual for the supplier. Stock and history are read per round, not per order,
    so a round costs the same few requests however many orders are late."""
    fields = ["order_id", "product_id", "name", "product_qty", "qty_received", "date_planned", "partner_id"]
    late: dict[int, list[dict]] = {}
    domain = [["state", "in", ["purchase", "done"]], ["date_planned", "<", now.strftime(ODOO_DATETIME)],
              *_only("order_id", order_ids)]
    for line in pages(gateway, "purchase.order.line", domain, fields):
        if float(line.get("qty_received") or 0) < float(line.get("product_qty") or 0):
            late.setdefault(_id(line["order_id"]), []).append(line)
    if not late:
        return []
    orders = {o["id"]: o for o in gateway.read("purchase.order", sorted(late), ["name", "partner_id", "write_date",
                                                                                "user_id", "amount_total",
                                                                                "currency_id"])}
    products = [_id(line.get("product_id")) for lines in late.values() for line in lines]
    levels = stock_levels(gateway, [p for p in products if p is not None])  # one read for the round
    histories: dict[int, list[Slip]] = {}  # one receipt history per supplier for the round
    out = []
    for order_id, lines in sorted(late.items()):
        order = orders.get(order_id)
        if order is None:
            continue
        need = min(_day(line["date_planned"]) for line in lines)
        days = (now.date() - need).days
        short = [_late_line(line, levels.get(_id(line.get("product_id")))) for line in lines]
        supplier = _id(order.get("partner_id"))
        finding = None
        if supplier is not None:
            if supplier not in histories:
                histories[supplier] = receipt_history(gateway, supplier)
            # still not here: today is the earliest it can arrive, so the slip is at least this long
            finding = lead_time_anomaly(Slip(promised=need, actual=now.date()), histories[supplier], tolerances)
        out.append(OdooException(
            exception_type="late_receipt", model="purchase.order", record_id=order_id, name=order["name"],
            write_date=order["write_date"], partner=_name(order.get("partner_id")),
            summary=f"{order['name']}: {len(lines)} line(s) not received, up to {days} days after the planned date",
            details={"days_late": days, "lines": short, "amount_total": order.get("amount_total"),
                     "buyer_id": _id(order.get("user_id")), "currency": _name(order.get("currency_id")),
                     "need_date": need.isoformat(), "qty_short": sum(line["short"] for line in short),
                     "stock_out": any(line["forecast"] is not None and line["forecast"] <= 0 for line in short)},
            findings=(finding,) if finding else (),
        ))
    return out


def _late_line(line: dict, level: StockLevel | None) -> dict:
    """A late line for the details (and the proposal note, which reads product, ordered, received,
    planned); on hand and forecast are None when Odoo returned no stock for the product or does
    not keep stock of it (a consumable or a service)."""
    ordered, received = float(line.get("product_qty") or 0), float(line.get("qty_received") or 0)
    return {"product": _name(line["product_id"]) or line.get("name"), "ordered": line["product_qty"],
            "received": line["qty_received"], "planned": line["date_planned"][:10], "short": ordered - received,
            "on_hand": level.on_hand if level and level.storable else None,
            "forecast": level.forecast if level and level.storable else None}


def unconfirmed_orders(gateway: OdooGateway, now: dt.datetime, days: int = 3,
                       ids: list[int] | None = None) -> list[OdooException]:
    cutoff = (now - dt.timedelta(days=days)).strftime(ODOO_DATETIME)
    domain = [["state", "in", ["sent", "to approve"]], ["date_order", "<", cutoff], *_only("id", ids)]
    fields = ["name", "partner_id", "state", "date_order", "write_date", "amount_total", "user_id", "currency_id"]
    out = []
    for order in pages(gateway, "purchase.order", domain, fields):
        waited = (now.date() - _day(order["date_order"])).days
        out.append(OdooException(
            exception_type="unconfirmed_po", model="purchase.order", record_id=order["id"], name=order["name"],
            write_date=order["write_date"], partner=_name(order.get("partner_id")),
            summary=f"{order['name']}: {order['state'].replace('_', ' ')} {waited} days ago, not confirmed",
            details={"days_waiting": waited, "state": order["state"], "amount_total": order.get("amount_total"),
                     "buyer_id": _id(order.get("user_id")), "currency": _name(order.get("currency_id"))},
        ))
    return out


def overdue_transfers(gateway: OdooGateway, now: dt.datetime, ids: list[int] | None = None) -> list[OdooException]:
    domain = [["picking_type_code", "=", "incoming"], ["scheduled_date", "<", now.strftime(ODOO_DATETIME)],
              *_only("id", ids),
              ["state", "not in", ["done", "cancel", "draft"]]]
    fields = ["name", "partner_id", "origin", "scheduled_date", "state", "write_date"]
    out = []
    for picking in pages(gateway, "stock.picking", domain, fields):
        days = (now.date() - _day(picking["scheduled_date"])).days
        out.append(OdooException(
            exception_type="overdue_transfer", model="stock.picking", record_id=picking["id"], name=picking["name"],
            write_date=picking["write_date"], partner=_name(picking.get("partner_id")),
            summary=f"{picking['name']} ({picking.get('origin') or 'no origin'}): {days} days overdue",
            details={"days_overdue": days, "origin": picking.get("origin") or None, "state": picking["state"]},
        ))
    return out


def _bill(row: dict, lines: list[dict]) -> Bill:
    return Bill(name=row["name"], supplier=str(_id(row.get("partner_id"))), reference=row.get("ref") or None,
                date=_day(row.get("invoice_date") or row.get("date")) or dt.date.min,
                total=float(row.get("amount_total") or 0), currency=_name(row.get("currency_id")) or "",
                lines=tuple(BillLine(product=_name(line.get("product_id")) or line.get("name") or "?",
                                     quantity=float(line.get("quantity") or 0),
                                     price_unit=float(line.get("price_unit") or 0),
                                     order_line_id=_id(line.get("purchase_line_id"))) for line in lines),
                id=row["id"])


ORDER_LINE_FIELDS = ["order_id", "product_id", "name", "product_qty", "qty_received", "price_unit", "currency_id"]


def order_line(row: dict) -> OrderLine:
    """A ``purchase.order.line`` row (read with ``ORDER_LINE_FIELDS``) as the detectors take it."""
    return OrderLine(id=row["id"], order=_name(row.get("order_id")) or "?",
                     product=_name(row.get("product_id")) or row.get("name") or "?",
                     qty_ordered=float(row.get("product_qty") or 0), qty_received=float(row.get("qty_received") or 0),
                     price_unit=float(row.get("price_unit") or 0), currency=_name(row.get("currency_id")) or "")


def bill_exceptions(gateway: OdooGateway, tolerances: Tolerances = Tolerances(),
                    ids: list[int] | None = None) -> list[OdooException]:
    domain = [["move_type", "=", "in_invoice"], ["state", "in", ["draft", "posted"]], *_only("id", ids),
              ["payment_state", "in", UNPAID]]
    fields = ["name", "ref", "partner_id", "invoice_date", "date", "amount_total", "currency_id", "write_date", "state"]
    rows = list(pages(gateway, "account.move", domain, fields))
    if not rows:
        return []
    lines: dict[int, list[dict]] = {}
    line_fields = ["move_id", "product_id", "name", "quantity", "price_unit", "purchase_line_id", "display_type"]
    for line in pages(gateway, "account.move.line", [["move_id", "in", [r["id"] for r in rows]]], line_fields):
        if line.get("display_type") in (None, False, "product"):
            lines.setdefault(_id(line["move_id"]), []).append(line)
    po_line_ids = sorted({_id(line.get("purchase_line_id")) for group in lines.values() for line in group} - {None})
    po_lines = {line["id"]: order_line(line) for line in gateway.read("purchase.order.line", po_line_ids,
                                                                      ORDER_LINE_FIELDS)}
    bills = [_bill(row, lines.get(row["id"], [])) for row in rows]
    partners = sorted({_id(row.get("partner_id")) for row in rows} - {None})
    history_domain = [["move_type", "=", "in_invoice"], ["partner_id", "in", partners], ["state", "!=", "cancel"]]
    history = [_bill(row, []) for row in pages(gateway, "account.move", history_domain, fields)]  # paid ones too
    out = []
    for row, bill in zip(rows, bills, strict=True):
        linked = [po_lines[line.order_line_id] for line in bill.lines if line.order_line_id in po_lines]
        variances = [f for f in line_variances(bill, linked, tolerances) if linked or f.code != "bill_line_without_po"]
        duplicates = duplicate_bills(bill, history, tolerances)
        for kind, findings in (("duplicate_bill", duplicates), ("bill_mismatch", variances)):
            if findings:
                out.append(OdooException(
                    exception_type=kind, model="account.move", record_id=row["id"], name=row["name"],
                    write_date=row["write_date"], partner=_name(row.get("partner_id")),
                    summary=f"{row['name']} ({row.get('ref') or 'no reference'}): {findings[0].message}",
                    details={"reference": row.get("ref") or None, "amount_total": bill.total,
                             "currency": bill.currency or None,
                             "orders": sorted({line.order for line in linked})},
                    findings=tuple(findings),
                ))
    return out


def exceptions(gateway: OdooGateway, now: dt.datetime, *, tolerances: Tolerances = Tolerances(),
               unconfirmed_days: int = 3, only: dict[str, list[int]] | None = None) -> list[OdooException]:
    """Every query's exceptions, in a stable order; ``only`` (model -> record ids, from webhook
    hints) runs just the queries about those records."""
    if only is None:
        return [*late_receipts(gateway, now, tolerances), *unconfirmed_orders(gateway, now, unconfirmed_days),
                *overdue_transfers(gateway, now), *bill_exceptions(gateway, tolerances)]
    found: list[OdooException] = []
    if only.get("purchase.order"):
        orders = only["purchase.order"]
        found += [*late_receipts(gateway, now, tolerances, orders), *unconfirmed_orders(gateway, now, unconfirmed_days,
                                                                                        orders)]
    if only.get("stock.picking"):
        found += overdue_transfers(gateway, now, only["stock.picking"])
    if only.get("account.move"):
        found += bill_exceptions(gateway, tolerances, only["account.move"])
    return found


def _only(field_name: str, ids: list[int] | None) -> list:
    """A domain term restricting a query to some records (none: no restriction)."""
    return [[field_name, "in", sorted(set(ids))]] if ids is not None else []


def receipt_history(gateway: OdooGateway, partner_id: int, *, limit: int = 50) -> list[Slip]:
    """The supplier's latest done receipts, oldest first: promised (the receipt's deadline, else its
    scheduled date) against the day it was done."""
    domain = [["picking_type_code", "=", "incoming"], ["state", "=", "done"], ["partner_id", "=", partner_id]]
    rows = gateway.search_read("stock.picking", domain, ["date_deadline", "scheduled_date", "date_done"],
                               order="date_done desc", limit=limit)
    slips = []
    for row in rows:
        promised, actual = _day(row.get("date_deadline") or row.get("scheduled_date")), _day(row.get("date_done"))
        if promised and actual:
            slips.append(Slip(promised=promised, actual=actual))
    return slips[::-1]


@dataclass(frozen=True)
class StockLevel:
    product_id: int
    on_hand: float
    forecast: float
    storable: bool = True  # consumables and services always show 0: never a stock-out


def stock_levels(gateway: OdooGateway, product_ids: list[int]) -> dict[int, StockLevel]:
    """On-hand and forecast quantity per product (for stock cover in priority). Odoo 18 marks a
    storable product by ``is_storable``; 16 and 17 by the type ``product``."""
    storable_field = "is_storable" if gateway.version[0] >= 18 else "type"
    rows = gateway.read("product.product", sorted(set(product_ids)),
                        ["qty_available", "virtual_available", storable_field])
    return {row["id"]: StockLevel(row["id"], float(row.get("qty_available") or 0),
                                  float(row.get("virtual_available") or 0),
                                  row.get(storable_field) in (True, "product")) for row in rows}
