#!/usr/bin/env python3
"""Generate the two demo PDFs in triage/demo/samples/.

- invoice_INV-2026-0815.pdf     vendor invoice, Kugellager Schmidt GmbH, PO P00412
- credit_note_CN-2026-0042.pdf  credit note, Verpackung Meyer AG, PO P00418

The text is real (selectable) PDF text and the line items are a ruled table, so
pdfplumber extracts both. The output is deterministic: the creation date (the
document date, 08:00 UTC) and the producer are fixed, so a rerun with the same fpdf2 version writes identical
bytes.

Usage:  python scripts/make_sample_pdfs.py [--out DIR]
Needs:  fpdf2 (pip install fpdf2)
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "triage" / "demo" / "samples"

CENT = Decimal("0.01")

BUYER = [
    "Nordwind Distribution GmbH",
    "Purchasing / Accounts Payable",
    "Hafenstrasse 21",
    "20457 Hamburg, Germany",
    "VAT ID DE811234567",
]


@dataclass(frozen=True)
class Line:
    sku: str
    description: str
    quantity: int
    unit: str
    unit_price: Decimal

    @property
    def subtotal(self) -> Decimal:
        return (self.unit_price * self.quantity).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Document:
    filename: str
    title: str
    supplier: list[str]  # name first, then address lines
    vat: str
    number_label: str
    number: str
    date: str
    due_date: str | None
    po: str
    extra_refs: list[tuple[str, str]]
    lines: list[Line]
    tax_rate: Decimal
    note: list[str]
    footer: list[str]
    currency: str = "EUR"

    @property
    def untaxed(self) -> Decimal:
        return sum((line.subtotal for line in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return (self.untaxed * self.tax_rate / 100).quantize(CENT, ROUND_HALF_UP)

    @property
    def total(self) -> Decimal:
        return self.untaxed + self.tax


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


INVOICE = Document(
    filename="invoice_INV-2026-0815.pdf",
    title="INVOICE",
    supplier=[
        "Kugellager Schmidt GmbH",
        "Industriestrasse 14",
        "97421 Schweinfurt, Germany",
        "Phone +49 9721 555 400  |  buchhaltung@kugellager-schmidt.example",
    ],
    vat="DE123456789",
    number_label="Invoice number",
    number="INV-2026-0815",
    date="2026-11-03",
    due_date="2026-12-03",
    po="P00412",
    extra_refs=[("Delivery note", "LS-26-10277"), ("Customer number", "K-10482")],
    lines=[
        Line("KS-6204-2RS", "Deep groove ball bearing 6204-2RS", 200, "pcs", Decimal("3.45")),
        Line("KS-6305-ZZ", "Deep groove ball bearing 6305-ZZ", 150, "pcs", Decimal("5.80")),
        Line("KS-NU206-ECP", "Cylindrical roller bearing NU206-ECP", 40, "pcs", Decimal("27.35")),
    ],
    tax_rate=Decimal("19"),
    note=["Payment terms: 30 days net, without deduction."],
    footer=[
        "Kugellager Schmidt GmbH  |  Amtsgericht Schweinfurt HRB 4711  |  Managing director: Klaus Schmidt",
        "Bank: Commerzbank AG  |  IBAN DE89 3704 0044 0532 0130 00  |  BIC COBADEFFXXX",
    ],
)

CREDIT_NOTE = Document(
    filename="credit_note_CN-2026-0042.pdf",
    title="CREDIT NOTE",
    supplier=[
        "Verpackung Meyer AG",
        "Kartonweg 3",
        "33602 Bielefeld, Germany",
        "Phone +49 521 555 7700  |  debitoren@verpackung-meyer.example",
    ],
    vat="DE298765431",
    number_label="Credit note number",
    number="CN-2026-0042",
    date="2026-11-05",
    due_date=None,
    po="P00418",
    extra_refs=[("Original invoice", "RE-2026-1187"), ("Customer number", "20993")],
    lines=[
        Line(
            "VM-FK-1208",
            "Folding box 1200x800x600, damaged",
            50,
            "pcs",
            Decimal("12.40"),
        ),
    ],
    tax_rate=Decimal("19"),
    note=[
        "Credit for 50 folding boxes returned damaged in transit (return RMA-26-118).",
        "The amount will be offset against your next payment.",
    ],
    footer=[
        "Verpackung Meyer AG  |  Amtsgericht Bielefeld HRB 39012  |  Board: Sabine Meyer",
        "Bank: Volksbank Bielefeld  |  IBAN DE62 4806 0036 0012 3456 78  |  BIC GENODEM1BIE",
    ],
)


def render(doc: Document, out_dir: Path) -> Path:
    pdf = FPDF(format="A4", unit="mm")
    # fixed, so reruns write identical bytes: 08:00 UTC on the document date
    pdf.set_creation_date(dt.datetime.fromisoformat(doc.date).replace(hour=8, tzinfo=dt.timezone.utc))
    pdf.set_producer("fpdf2")
    pdf.set_creator("triage scripts/make_sample_pdfs.py")
    pdf.set_author(doc.supplier[0])
    pdf.set_title(f"{doc.title.title()} {doc.number}")
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_margins(18, 18, 18)
    pdf.add_page()

    # Supplier letterhead
    pdf.set_font("Helvetica", "B", 16)
    pdf.cell(0, 8, doc.supplier[0], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    for text in doc.supplier[1:]:
        pdf.cell(0, 4.5, text, new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 4.5, f"VAT ID {doc.vat}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    # Buyer address (left) and document facts (right)
    top = pdf.get_y()
    pdf.set_font("Helvetica", "", 10)
    for text in BUYER:
        pdf.cell(90, 5, text, new_x="LMARGIN", new_y="NEXT")
    left_bottom = pdf.get_y()

    facts = [(doc.number_label, doc.number), ("Date", doc.date)]
    if doc.due_date:
        facts.append(("Due date", doc.due_date))
    facts.append(("Your order (PO)", doc.po))
    facts.extend(doc.extra_refs)
    facts.append(("Currency", doc.currency))
    pdf.set_y(top)
    for label, value in facts:
        pdf.set_x(115)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(38, 5, f"{label}:")
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(0, 5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)

    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, f"{doc.title} {doc.number}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.cell(0, 6, f"Reference: your purchase order {doc.po}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)

    # Line items: a ruled table (pdfplumber finds it from the cell borders)
    pdf.set_font("Helvetica", "", 9)
    headings = ("SKU", "Description", "Qty", "Unit", f"Unit price ({doc.currency})", f"Subtotal ({doc.currency})")
    with pdf.table(
        col_widths=(28, 64, 14, 12, 28, 28),
        text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
        headings_style=FontFace(emphasis="BOLD", fill_color=(225, 225, 225)),
        line_height=6,
        first_row_as_headings=True,
    ) as table:
        table.row(headings)
        for line in doc.lines:
            table.row(
                (
                    line.sku,
                    line.description,
                    str(line.quantity),
                    line.unit,
                    money(line.unit_price),
                    money(line.subtotal),
                )
            )
    pdf.ln(4)

    # Totals, right-aligned under the table
    totals = [
        ("Untaxed amount", doc.untaxed, ""),
        (f"VAT {doc.tax_rate}%", doc.tax, ""),
        ("Total" if doc.title == "INVOICE" else "Total credit", doc.total, "B"),
    ]
    for label, value, style in totals:
        pdf.set_x(104)
        pdf.set_font("Helvetica", style, 10)
        pdf.cell(50, 6, label)
        pdf.cell(20, 6, doc.currency, align="R")
        pdf.cell(0, 6, money(value), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)

    pdf.set_font("Helvetica", "", 9)
    for text in doc.note:
        pdf.cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")

    pdf.set_y(-30)
    pdf.set_font("Helvetica", "", 7.5)
    for text in doc.footer:
        pdf.cell(0, 4, text, align="C", new_x="LMARGIN", new_y="NEXT")

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / doc.filename
    pdf.output(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")
    args = parser.parse_args()
    for doc in (INVOICE, CREDIT_NOTE):
        path = render(doc, args.out)
        print(f"{path}  untaxed {money(doc.untaxed)}  tax {money(doc.tax)}  total {money(doc.total)} {doc.currency}")


if __name__ == "__main__":
    main()
