"""A supplier document's content in the flow: its fields for linking, and an invoice's lines
against the lines and receipts of the purchase orders it was linked to.

The document's lines are matched to PO lines by product code (the ``[CODE]`` Odoo shows in a
product's name, or the PO line's description), else by the words of the description; a line
that matches no PO line, or several equally, is left out (and counted in the note), never
guessed. The matched lines go through ``models/anomaly.line_variances``: unit price against
the PO price, quantity billed against quantity received and ordered, currency.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from triage.domain import Fields, Finding, Money
from triage.links import Links
from triage.ingest.odoo_records import ORDER_LINE_FIELDS, order_line
from triage.models.anomaly import Bill, BillLine, OrderLine, Tolerances, line_variances
from triage.odoo import OdooGateway

_WORD = re.compile(r"[^\W_]{2,}", re.UNICODE)


def document_fields(document: dict[str, Any], text_fields: Fields) -> Fields:
    """The classify-shaped fields of a read document: its PO references and number first,
    then what the text extractor found besides; its total as the amount."""
    fields = document.get("fields") or {}
    po_refs = [*(fields.get("po_refs") or []), *text_fields.po_refs]
    number = fields.get("document_number")
    invoice_refs = [number] if number and document.get("doc_type") in ("invoice", "credit_note") else []
    amounts = text_fields.amounts
    if fields.get("amount_total") is not None:
        amounts = [Money(float(fields["amount_total"]), fields.get("currency") or ""),
                   *(m for m in amounts if m.value != fields["amount_total"])]
    return Fields(po_refs=list(dict.fromkeys(po_refs)), invoice_refs=list(dict.fromkeys([*invoice_refs,
                                                                                          *text_fields.invoice_refs])),
                  new_date=text_fields.new_date, amounts=amounts, tracking_numbers=text_fields.tracking_numbers,
                  sku_refs=list(dict.fromkeys([*(line["sku"] for line in document.get("lines") or [] if line.get("sku")),
                                               *text_fields.sku_refs])))


def order_lines(gateway: OdooGateway, order_ids: list[int]) -> list[tuple[OrderLine, str]]:
    """The product lines of the linked orders, each with its description (``name``)."""
    rows = gateway.search_read("purchase.order.line", [["order_id", "in", order_ids]],
                               [*ORDER_LINE_FIELDS, "display_type"])
    return [(order_line(row), row.get("name") or "") for row in rows
            if row.get("display_type") in (None, False)]  # not a section or a note


def _codes(text: str) -> set[str]:
    return {c.upper() for c in re.findall(r"\[([^\]]+)\]", text)}


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def match(line: dict, candidates: list[tuple[OrderLine, str]]) -> OrderLine | None:
    """The one PO line a document line bills, or None."""
    sku = (line.get("sku") or "").strip().upper()
    description = line.get("description") or ""
    if sku:
        by_code = [ol for ol, name in candidates if sku in _codes(ol.product) | _codes(name)
                   or sku in {w.upper() for w in re.split(r"\s+", f"{ol.product} {name}")}]
        if len(by_code) == 1:
            return by_code[0]
    inline = _codes(description) | {w.upper() for w in re.findall(r"\b[A-Z0-9][A-Z0-9./-]{3,}\b", description)}
    by_inline = [ol for ol, name in candidates if inline & _codes(f"{ol.product} {name}")]
    if len(by_inline) == 1:
        return by_inline[0]
    words = _words(description)
    if not words:
        return None
    scored = sorted(((len(words & (w := _words(f"{ol.product} {name}"))) / len(words | w), ol.id, ol)
                     for ol, name in candidates), key=lambda s: (-s[0], s[1]))
    if scored and scored[0][0] >= 0.5 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][2]
    return None


def line_findings(gateway: OdooGateway, document: dict[str, Any], links: Links, tolerances: Tolerances,
                  ) -> tuple[list[Finding], list[str]]:
    """Findings for an invoice's lines against its linked POs, and notes for a person."""
    lines = [line for line in document.get("lines") or [] if line.get("quantity") is not None
             and line.get("unit_price") is not None]
    if document.get("doc_type") != "invoice" or not links.orders or not lines:
        return [], []
    candidates = order_lines(gateway, [link.id for link in links.orders])
    billed: list[BillLine] = []
    unmatched = 0
    for line in lines:
        order_line = match(line, candidates)
        if order_line is None:
            unmatched += 1
            continue
        billed.append(BillLine(product=order_line.product, quantity=float(line["quantity"]),
                               price_unit=float(line["unit_price"]), order_line_id=order_line.id))
    fields = document.get("fields") or {}
    bill = Bill(name=fields.get("document_number") or "the invoice", supplier="", reference=fields.get("document_number"),
                date=dt.date.fromisoformat(fields["document_date"]) if fields.get("document_date") else dt.date.min,
                total=float(fields.get("amount_total") or 0), currency=fields.get("currency") or "",
                lines=tuple(billed))
    findings = line_variances(bill, [ol for ol, _ in candidates], tolerances) if billed else []
    notes = [f"{unmatched} of the invoice's {len(lines)} lines match no single PO line (not compared)"] if unmatched else []
    return findings, notes
