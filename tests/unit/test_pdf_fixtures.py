"""The synthetic supplier documents in tests/fixtures/pdf: complete, well formed, internally
consistent, varied enough, and reproducible from tests/fixtures/pdf/generate.py."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "pdf"
LANGUAGES = {"en", "de", "fr", "nl", "es", "it", "pt"}
DOC_TYPES = {"invoice", "credit_note", "order_confirmation", "delivery_note"}
FIELDS = {"supplier_name", "vat", "document_number", "document_date", "due_date", "po_refs",
          "currency", "amount_untaxed", "amount_tax", "amount_total"}
AMOUNTS = ("amount_untaxed", "amount_tax", "amount_total")
LINE_KEYS = {"sku", "description", "quantity", "unit", "unit_price", "subtotal"}
STEM = re.compile(r"^(\d{2})_([a-z]{2})_([a-z_]+)$")
PO_REF = re.compile(r"^(P\d{5}|PO-\d{4}-\d{4}|\d{10})$")
VAT = re.compile(r"^[A-Z]{2,3}[0-9A-Z]{8,12}$")
PAGE = re.compile(rb"/Type\s*/Page(?![s\w])")
TOLERANCE = 0.01


def _truths() -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(FIXTURES.glob("*.json"))}


TRUTHS = _truths()


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _pages(stem: str) -> int:
    return len(PAGE.findall((FIXTURES / f"{stem}.pdf").read_bytes()))


def test_every_pdf_has_its_json_and_vice_versa():
    pdfs = {p.stem for p in FIXTURES.glob("*.pdf")}
    assert pdfs == set(TRUTHS), pdfs ^ set(TRUTHS)
    numbers = sorted(int(STEM.match(stem).group(1)) for stem in pdfs)
    assert numbers == list(range(1, len(numbers) + 1))
    for stem in pdfs:
        data = (FIXTURES / f"{stem}.pdf").read_bytes()
        assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), stem
        assert len(data) < 20_000, f"{stem}.pdf is {len(data)} bytes"


@pytest.mark.parametrize("stem", sorted(TRUTHS))
def test_json_shape(stem):
    truth = TRUTHS[stem]
    _, lang, kind = STEM.match(stem).groups()
    assert set(truth) == {"doc_type", "language", "fields", "lines", "traits"}
    assert (truth["language"], truth["doc_type"]) == (lang, kind)
    assert lang in LANGUAGES and kind in DOC_TYPES
    f = truth["fields"]
    assert set(f) == FIELDS
    assert isinstance(f["supplier_name"], str) and f["supplier_name"].strip()
    assert f["vat"] is None or VAT.match(f["vat"]), f["vat"]
    assert isinstance(f["document_number"], str) and f["document_number"].strip()
    date = dt.date.fromisoformat(f["document_date"])
    if f["due_date"] is not None:
        assert dt.date.fromisoformat(f["due_date"]) >= date
    assert isinstance(f["po_refs"], list)
    assert all(isinstance(p, str) and PO_REF.match(p) for p in f["po_refs"]), f["po_refs"]
    priced = kind != "delivery_note"
    if priced:
        assert re.fullmatch(r"[A-Z]{3}", f["currency"])
        assert all(_is_number(f[k]) for k in AMOUNTS)
    else:  # a delivery note prints no prices, so no currency and no amounts either
        assert f["currency"] is None and all(f[k] is None for k in AMOUNTS)
    assert 1 <= len(truth["lines"]) <= 25
    for line in truth["lines"]:
        assert set(line) == LINE_KEYS
        assert line["sku"] is None or (isinstance(line["sku"], str) and line["sku"].strip())
        desc = line["description"]
        assert isinstance(desc, str) and desc == desc.strip() and "  " not in desc
        assert "\n" not in desc
        assert _is_number(line["quantity"]) and line["quantity"] != 0
        assert line["unit"] is None or (isinstance(line["unit"], str) and line["unit"].strip())
        if priced:
            assert _is_number(line["unit_price"]) and _is_number(line["subtotal"])
        else:
            assert line["unit_price"] is None and line["subtotal"] is None
    traits = truth["traits"]
    assert traits and all(isinstance(t, str) and t for t in traits)


@pytest.mark.parametrize("stem", sorted(TRUTHS))
def test_arithmetic(stem):
    truth = TRUTHS[stem]
    f, lines, traits = truth["fields"], truth["lines"], truth["traits"]
    if truth["doc_type"] == "delivery_note":
        return
    for line in lines:
        gross = line["quantity"] * line["unit_price"]
        if "discount-column" in traits:  # subtotal = qty * price * (1 - discount), 0.5 % steps
            assert gross != 0
            discount = round((1 - line["subtotal"] / gross) * 200) / 200
            assert 0 <= discount < 1, line
            assert abs(gross * (1 - discount) - line["subtotal"]) <= TOLERANCE, line
        else:
            assert abs(gross - line["subtotal"]) <= TOLERANCE, line
    assert abs(sum(line["subtotal"] for line in lines) - f["amount_untaxed"]) <= TOLERANCE
    assert abs(f["amount_untaxed"] + f["amount_tax"] - f["amount_total"]) <= TOLERANCE
    assert 0 <= f["amount_tax"] / f["amount_untaxed"] <= 0.27  # no VAT rate above 27 %
    negative = any(f[k] < 0 for k in AMOUNTS) or any(line["subtotal"] < 0 for line in lines)
    assert negative == ("negative-amounts" in traits)
    if negative:
        assert truth["doc_type"] == "credit_note"


def test_variety():
    truths = TRUTHS.values()
    assert len(TRUTHS) >= 36
    per_language = Counter(t["language"] for t in truths)
    assert set(per_language) == LANGUAGES and min(per_language.values()) >= 4, per_language
    for lang in LANGUAGES:  # every language has every document type
        assert {t["doc_type"] for t in truths if t["language"] == lang} == DOC_TYPES, lang
    traits = Counter(trait for t in truths for trait in t["traits"])
    for wanted in ("discount-column", "two-tax-rates", "ambiguous-date", "carried-forward",
                   "wrapped-descriptions", "customer-vat-present", "supplier-vat-in-footer",
                   "ruled-table", "unruled-table", "labels-below", "info-grid-labels-above",
                   "info-box-right", "letterhead-left", "letterhead-right", "letterhead-center",
                   "no-sku", "qty-after-price", "sku-after-description", "negative-amounts",
                   "currency-in-header-note", "date-format mm/dd/yyyy (US)", "no-po",
                   "multiple-po-refs"):
        assert traits[wanted], wanted
    assert traits["negative-amounts"] == 1
    assert traits["date-format mm/dd/yyyy (US)"] >= 2
    for fmt in ("1.234,56", "1 234,56", "1,234.56", "1'234.50"):
        assert traits[f"number-format {fmt}"], fmt
    currencies = {t["fields"]["currency"] for t in truths}
    assert {"EUR", "USD", "GBP", "CHF"} <= currencies
    big = [t for t in truths if abs(t["fields"]["amount_total"] or 0) >= 1000]
    assert 3 * len(big) >= len(TRUTHS)
    refs = [p for t in truths for p in t["fields"]["po_refs"]]
    assert any(p.startswith("PO-") for p in refs) and any(p.isdigit() for p in refs)


def test_multi_page_documents_match_their_page_count():
    multi = [stem for stem, t in TRUTHS.items() if "multi-page" in t["traits"]]
    assert len(multi) >= 3
    for stem, truth in TRUTHS.items():
        declared = next((int(t.split()[1]) for t in truth["traits"] if t.startswith("pages ")), 1)
        assert _pages(stem) == declared, stem


def test_regenerating_gives_identical_files(tmp_path):
    from tests.fixtures.pdf import generate

    generate.main(["--out", str(tmp_path)])
    made = {p.name for p in tmp_path.iterdir()}
    kept = {p.name for p in FIXTURES.iterdir() if p.suffix in (".pdf", ".json")}
    assert made == kept
    for name in sorted(kept):
        # JSON is the ground truth; PDFs are byte-identical too (fixed seed, creation date and
        # producer) as long as fpdf2 is the version pinned in constraints.txt.
        assert (tmp_path / name).read_bytes() == (FIXTURES / name).read_bytes(), (
            f"{name} differs: regenerate with `python -m tests.fixtures.pdf.generate`")
