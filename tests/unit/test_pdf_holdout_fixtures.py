"""The PDF holdout set (tests/fixtures/pdf_holdout): files pair up, the ground truth is well formed
and adds up, the PDFs carry the ground truth's key strings, and the generator reproduces the set
byte for byte."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOLDOUT = ROOT / "tests" / "fixtures" / "pdf_holdout"
PDFS = sorted(HOLDOUT.glob("*.pdf"))
JSONS = sorted(HOLDOUT.glob("*.json"))
NAME = re.compile(
    r"^(\d\d)_(en|de|fr|nl|es|it|pt)_(invoice|credit_note|order_confirmation|delivery_note)$"
)
LANGUAGES = {"en", "de", "fr", "nl", "es", "it", "pt"}
DOC_TYPES = {"invoice", "credit_note", "order_confirmation", "delivery_note"}
FIELDS = {"supplier_name", "vat", "document_number", "document_date", "due_date", "po_refs",
          "currency", "amount_untaxed", "amount_tax", "amount_total"}
LINE_KEYS = {"sku", "description", "quantity", "unit", "unit_price", "subtotal"}
OPTIONAL_LINE_KEYS = {"discount_percent"}  # present only where the document has a discount column
TOLERANCE = 0.01 + 1e-9


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_iso_date(value) -> bool:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    date.fromisoformat(value)
    return True


def test_every_pdf_has_its_json_and_back():
    assert len(PDFS) >= 24
    assert [p.stem for p in PDFS] == [j.stem for j in JSONS]
    for pdf in PDFS:
        assert NAME.match(pdf.stem), pdf.name
        assert pdf.read_bytes().startswith(b"%PDF-"), pdf.name
    numbers = [p.stem[:2] for p in PDFS]
    assert len(numbers) == len(set(numbers)), "two documents share a number"


def test_coverage():
    docs = [load(j) for j in JSONS]
    languages = Counter(d["language"] for d in docs)
    assert set(languages) == LANGUAGES and min(languages.values()) >= 3, languages
    assert {d["doc_type"] for d in docs} == DOC_TYPES
    assert sum("multi_page" in d["traits"] for d in docs) >= 2
    currencies = {d["fields"]["currency"] for d in docs}
    assert {"EUR", "GBP", "USD"} <= currencies
    assert any("mdy_dates" in d["traits"] for d in docs)
    assert any(d["fields"]["vat"] is None and d["fields"]["currency"] for d in docs)
    negatives = [d for d in docs
                 if d["doc_type"] == "credit_note" and (d["fields"]["amount_total"] or 0) < 0]
    assert len(negatives) <= 1, "at most one credit note prints negative amounts"


@pytest.mark.parametrize("path", JSONS, ids=lambda p: p.stem)
def test_shape_and_types(path):
    doc = load(path)
    _, language, doc_type = NAME.match(path.stem).groups()
    assert set(doc) == {"doc_type", "language", "fields", "lines", "traits"}
    assert doc["doc_type"] == doc_type and doc["language"] == language

    f = doc["fields"]
    assert set(f) == FIELDS
    assert isinstance(f["supplier_name"], str) and f["supplier_name"].strip()
    assert f["vat"] is None or re.fullmatch(r"[A-Z]{2,3}[0-9A-Z]{6,14}", f["vat"]), f["vat"]
    assert isinstance(f["document_number"], str) and f["document_number"].strip()
    assert is_iso_date(f["document_date"])
    if f["due_date"] is not None:
        assert is_iso_date(f["due_date"]) and f["due_date"] >= f["document_date"]
    assert isinstance(f["po_refs"], list) and all(isinstance(r, str) and r for r in f["po_refs"])
    amounts = [f["amount_untaxed"], f["amount_tax"], f["amount_total"]]
    if doc_type == "delivery_note":
        assert f["currency"] is None and amounts == [None, None, None] and f["due_date"] is None
    else:
        assert re.fullmatch(r"[A-Z]{3}", f["currency"]), f["currency"]
        assert all(a is None or is_number(a) for a in amounts)
        assert f["amount_total"] is not None

    assert isinstance(doc["lines"], list) and doc["lines"]
    with_discount = "discount_percent" in doc["lines"][0]
    for line in doc["lines"]:
        assert LINE_KEYS <= set(line) <= LINE_KEYS | OPTIONAL_LINE_KEYS
        assert ("discount_percent" in line) == with_discount
        sku, text = line["sku"], line["description"]
        assert sku is None or (isinstance(sku, str) and sku.strip() == sku != "")
        assert isinstance(text, str) and text.strip() == text != ""
        assert "  " not in text and "\n" not in text
        assert is_number(line["quantity"]) and line["quantity"] != 0
        assert line["unit"] is None or (isinstance(line["unit"], str) and line["unit"])
        for key in ("unit_price", "subtotal"):
            assert line[key] is None or is_number(line[key])
            if doc_type == "delivery_note":
                assert line[key] is None
        if with_discount:
            assert is_number(line["discount_percent"]) and 0 <= line["discount_percent"] < 100

    traits = doc["traits"]
    assert isinstance(traits, list) and all(isinstance(t, str) and t for t in traits)
    assert traits == sorted(set(traits))


@pytest.mark.parametrize("path", JSONS, ids=lambda p: p.stem)
def test_arithmetic(path):
    doc = load(path)
    f, lines = doc["fields"], doc["lines"]
    for line in lines:
        if line["unit_price"] is not None and line["subtotal"] is not None:
            discount = line.get("discount_percent", 0)
            expected = line["quantity"] * line["unit_price"] * (1 - discount / 100)
            assert abs(expected - line["subtotal"]) <= TOLERANCE, line
    subtotals = [line["subtotal"] for line in lines]
    if f["amount_untaxed"] is not None and all(s is not None for s in subtotals):
        assert abs(sum(subtotals) - f["amount_untaxed"]) <= TOLERANCE
    if None not in (f["amount_untaxed"], f["amount_tax"], f["amount_total"]):
        assert abs(f["amount_untaxed"] + f["amount_tax"] - f["amount_total"]) <= TOLERANCE
    if doc["doc_type"] == "credit_note":
        signs = {v > 0 for v in [f["amount_untaxed"], f["amount_total"], *subtotals] if v}
        assert len(signs) == 1, "a credit note is either all positive or all negative"


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_pdf_text_carries_the_ground_truth(path):
    """A consistency check of the fixtures themselves (not of any extractor)."""
    pdfplumber = pytest.importorskip("pdfplumber")
    truth = load(path.with_suffix(".json"))
    with pdfplumber.open(path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
        assert ("multi_page" in truth["traits"]) == (len(pdf.pages) > 1)
    f = truth["fields"]
    for needle in [f["document_number"], f["supplier_name"], *f["po_refs"],
                   *(line["sku"] for line in truth["lines"] if line["sku"])]:
        assert needle in text, needle
    words = set(re.findall(r"\S+", text))
    for line in truth["lines"]:
        missing = [w for w in line["description"].split(" ") if w not in words]
        assert not missing, (line["description"], missing)
    digits = re.sub(r"[^0-9]", "", text)
    for key in ("amount_untaxed", "amount_tax", "amount_total"):
        if key == "amount_tax" and "tax_total_not_printed" in truth["traits"]:
            continue  # only the per-rate amounts are printed; the truth is their sum
        if f[key]:
            assert f"{abs(f[key]):.2f}".replace(".", "") in digits, key
    if f["vat"]:
        compact = re.sub(r"[^0-9A-Z]", "", text.upper())
        national = f["vat"][2:] if "vat_without_country_prefix" in truth["traits"] else f["vat"]
        assert national in compact, f["vat"]


def test_regenerating_gives_identical_files(tmp_path):
    command = [sys.executable, "-m", "tests.fixtures.pdf_holdout.generate", "--out", str(tmp_path)]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert len(run.stdout.strip().splitlines()) == len(PDFS) + len(JSONS)  # one line per file
    fresh = sorted(p.name for p in tmp_path.iterdir())
    assert fresh == sorted(p.name for p in PDFS + JSONS)
    for path in JSONS:
        assert load(tmp_path / path.name) == load(path), path.name
    for path in PDFS:
        fresh_bytes = (tmp_path / path.name).read_bytes()
        assert fresh_bytes == path.read_bytes(), f"{path.name} is not reproducible"
