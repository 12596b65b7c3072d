"""A supplier's PDF invoice through the whole flow against the Odoo stand-in (real odoorpc,
every recorded version): read without a template, linked to its PO by reference and to the
vendor by the printed name, its lines compared with the PO lines and receipts."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from tests.conftest import odoo_standin
from triage import pipeline
from triage.config import LimitSettings
from triage.ingest.files import from_pdf
from triage.store import session_scope
from triage.store.tables import AssessmentRow, ProposalRow, SignalRow

pytestmark = pytest.mark.integration

odoo = odoo_standin(["16.0", "17.0", "18.0"], demo_data=True)


def invoice_pdf(lines: list[tuple[str, str, float, float]], *, number: str = "RE-2026-4417", po: str = "P00008",
                currency: str = "EUR") -> bytes:
    """An invoice from the demo vendor Wood Corner: (code, description, quantity, unit price)."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, "Wood Corner", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, "Industriestrasse 4, 70565 Stuttgart", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, "INVOICE", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for label, value in (("Invoice No.:", number), ("Invoice date:", "12.11.2026"), ("Your order:", po)):
        pdf.cell(35, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    widths = (30, 70, 20, 30, 30)
    for width, title in zip(widths, ("Item", "Description", "Qty", "Unit price", "Amount"), strict=True):
        pdf.cell(width, 7, title, border="B", align="R" if title in ("Qty", "Unit price", "Amount") else "L")
    pdf.ln()
    untaxed = 0.0
    for code, description, quantity, price in lines:
        amount = round(quantity * price, 2)
        untaxed += amount
        for width, value, align in zip(widths, (code, description, f"{quantity:g}", f"{price:,.2f}", f"{amount:,.2f}"),
                                       ("L", "L", "R", "R", "R"), strict=True):
            pdf.cell(width, 7, value, align=align)
        pdf.ln()
    tax = round(untaxed * 0.19, 2)
    pdf.ln(4)
    for label, value in (("Subtotal", untaxed), ("VAT 19%", tax), (f"Total {currency}", untaxed + tax)):
        pdf.cell(150, 6, label, align="R")
        pdf.cell(30, 6, f"{value:,.2f}", align="R", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _run(odoo_flow, odoo, data: bytes):
    engine, services = odoo_flow(odoo)
    with session_scope(engine) as session:
        result = pipeline.ingest(session, from_pdf(data, "invoice.pdf", LimitSettings()), services)
    with session_scope(engine) as session:
        signal = session.get(SignalRow, result.signal_id)
        assessment = session.query(AssessmentRow).filter_by(signal_id=signal.id).one()
        proposal = session.query(ProposalRow).filter_by(assessment_id=assessment.id).one()
        return result, signal.meta, signal.fields, assessment.category, assessment.findings, proposal


def test_an_invoice_above_the_po_price_and_ahead_of_the_receipt_is_a_bill_mismatch(odoo, odoo_flow):
    data = invoice_pdf([("FURN_7777", "Office Chair", 20, 61.60), ("E-COM06", "Corner Desk Right Sit", 5, 500.00)])
    result, meta, fields, category, findings, proposal = _run(odoo_flow, odoo, data)
    document = meta["document"]
    assert (document["fields"]["document_number"], document["fields"]["po_refs"]) == ("RE-2026-4417", ["P00008"])
    assert document["fields"]["amount_total"] == pytest.approx((1232.0 + 2500.0) * 1.19, abs=0.01)
    assert meta["links"]["vendor"]["name"] == "Wood Corner" and meta["links"]["vendor"]["via"] == "supplier name"
    assert [o["name"] for o in meta["links"]["orders"]] == ["P00008"]
    assert fields["invoice_refs"][0] == "RE-2026-4417" and "P00008" in fields["po_refs"]
    assert category == "invoice_discrepancy"
    codes = {f["code"] for f in findings}
    assert "price_variance" in codes  # 61.60 billed against 55.00 on the PO
    price = next(f for f in findings if f["code"] == "price_variance")
    assert price["numbers"]["bill_price"] == 61.6 and price["numbers"]["po_price"] == 55.0
    assert not any(f["code"] == "price_variance" and "Corner Desk" in f["message"] for f in findings)
    assert proposal.action == "review_bill_mismatch" and proposal.record_name == "P00008"
    assert "Finding:" in proposal.note


def test_an_invoice_in_another_currency_than_its_po(odoo, odoo_flow, gateway):
    [order] = gateway.search_read("purchase.order", [["name", "=", "P00009"]], ["currency_id"])
    other = "CHF" if order["currency_id"][1] != "CHF" else "EUR"
    data = invoice_pdf([("E-COM09", "Large Desk", 20, 500.00)], number="RE-2026-4419", po="P00009", currency=other)
    *_, category, findings, _ = _run(odoo_flow, odoo, data)
    assert category == "invoice_discrepancy" and "currency_mismatch" in {f["code"] for f in findings}


def test_an_invoice_that_matches_its_po_is_no_discrepancy(odoo, odoo_flow, gateway):
    [order] = gateway.search_read("purchase.order", [["name", "=", "P00009"]], ["currency_id"])
    data = invoice_pdf([("E-COM09", "Large Desk", 20, 500.00)], number="RE-2026-4418", po="P00009",
                       currency=order["currency_id"][1])
    result, meta, fields, category, findings, proposal = _run(odoo_flow, odoo, data)
    assert [o["name"] for o in meta["links"]["orders"]] == ["P00009"]
    assert not any(f["code"] == "price_variance" for f in findings)
    assert category == ("invoice_discrepancy" if findings else "other")  # only receipts can differ
    if findings:
        assert {f["code"] for f in findings} <= {"billed_before_received", "quantity_over_received"}
