"""The BLIND PDF set (tests/fixtures/pdf_blind): PDFs and ground truth pair up, the ground truth
is well formed and adds up, the PDFs carry its key strings, and the generator reproduces the set
byte for byte.

These checks look at the fixtures only; they never run the extractor the set is meant to measure.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
from decimal import Decimal
from pathlib import Path

import pdfplumber
import pytest

BLIND = Path(__file__).parents[1] / "fixtures" / "pdf_blind"
LANGUAGES = {"en", "de", "fr", "nl", "es", "it", "pt"}
DOC_TYPES = {"invoice", "credit_note", "order_confirmation", "delivery_note"}
CURRENCIES = {"EUR", "GBP", "USD", "CHF", "SEK", "PLN", "DKK", "NOK", "CZK"}
NAME = re.compile(r"^(\d{2})_(en|de|fr|nl|es|it|pt)_(invoice|credit_note|order_confirmation"
                  r"|delivery_note)$")
FIELDS = {"supplier_name", "vat", "document_number", "document_date", "due_date", "po_refs",
          "currency", "amount_untaxed", "amount_tax", "amount_total"}
LINE_KEYS = {"sku", "description", "quantity", "unit", "unit_price", "subtotal"}
CENT = Decimal("0.01")

PDFS = sorted(BLIND.glob("*.pdf"))
JSONS = sorted(BLIND.glob("*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _is_num(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _dec(value) -> Decimal:
    return Decimal(str(value))


def _text(pdf_path: Path) -> str:
    with pdfplumber.open(pdf_path) as pdf:
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def _pages(pdf_path: Path) -> int:
    with pdfplumber.open(pdf_path) as pdf:
        return len(pdf.pages)


def test_every_pdf_has_its_json_and_back():
    assert PDFS, "no blind fixtures; run python -m tests.fixtures.pdf_blind.generate"
    assert {p.stem for p in PDFS} == {j.stem for j in JSONS}
    for path in PDFS:
        assert NAME.match(path.stem), path.name
        assert path.stat().st_size < 100_000, f"{path.name} is not small"


def test_set_coverage():
    docs = [_load(j) for j in JSONS]
    assert len(docs) >= 24
    languages = [d["language"] for d in docs]
    for lang in LANGUAGES:
        assert languages.count(lang) >= 3, lang
    assert {d["doc_type"] for d in docs} == DOC_TYPES
    assert sum(_pages(p) > 1 for p in PDFS) >= 2
    assert len({d["fields"]["currency"] for d in docs} - {None}) >= 4
    assert any("no_table_header" in d["traits"] for d in docs)
    numbers = [int(NAME.match(p.stem).group(1)) for p in PDFS]
    assert len(numbers) == len(set(numbers))


@pytest.mark.parametrize("path", JSONS, ids=lambda p: p.stem)
def test_ground_truth_shape(path):
    data = _load(path)
    assert set(data) == {"doc_type", "language", "fields", "lines", "traits"}
    _, lang, doc_type = NAME.match(path.stem).groups()
    assert data["language"] == lang
    assert data["doc_type"] == doc_type
    f = data["fields"]
    assert set(f) == FIELDS
    assert isinstance(f["supplier_name"], str) and f["supplier_name"].strip()
    assert f["vat"] is None or re.fullmatch(r"[A-Z]{2,3}[0-9A-Z]{8,12}", f["vat"]), f["vat"]
    assert isinstance(f["document_number"], str) and f["document_number"].strip()
    dt.date.fromisoformat(f["document_date"])
    if f["due_date"] is not None:
        assert dt.date.fromisoformat(f["due_date"]) >= dt.date.fromisoformat(f["document_date"])
    assert isinstance(f["po_refs"], list) and all(isinstance(p, str) and p for p in f["po_refs"])
    amounts = [f["amount_untaxed"], f["amount_tax"], f["amount_total"]]
    assert all(a is None or _is_num(a) for a in amounts)
    if f["currency"] is None:
        assert amounts == [None, None, None]
    else:
        assert f["currency"] in CURRENCIES
        assert f["amount_total"] is not None
    assert isinstance(data["lines"], list) and data["lines"]
    for line in data["lines"]:
        assert LINE_KEYS <= set(line) <= LINE_KEYS | {"discount_percent"}
        assert line["sku"] is None or (isinstance(line["sku"], str) and line["sku"])
        assert isinstance(line["description"], str) and line["description"].strip()
        assert "  " not in line["description"] and "\n" not in line["description"]
        assert _is_num(line["quantity"])
        assert line["unit"] is None or (isinstance(line["unit"], str) and line["unit"])
        for key in ("unit_price", "subtotal", "discount_percent"):
            assert line.get(key) is None or _is_num(line[key]), key
        if f["currency"] is None:
            assert line["unit_price"] is None and line["subtotal"] is None
    assert isinstance(data["traits"], list)
    assert all(isinstance(t, str) for t in data["traits"])


@pytest.mark.parametrize("path", JSONS, ids=lambda p: p.stem)
def test_ground_truth_adds_up(path):
    data = _load(path)
    f, lines = data["fields"], data["lines"]
    for line in lines:
        if line["unit_price"] is None or line["subtotal"] is None:
            continue
        disc = _dec(line.get("discount_percent") or 0)
        expected = _dec(line["quantity"]) * _dec(line["unit_price"]) * (100 - disc) / 100
        assert abs(expected - _dec(line["subtotal"])) <= CENT, line
    subtotals = [line["subtotal"] for line in lines]
    if f["amount_untaxed"] is not None and all(s is not None for s in subtotals):
        assert abs(sum(_dec(s) for s in subtotals) - _dec(f["amount_untaxed"])) <= CENT
    if None not in (f["amount_untaxed"], f["amount_tax"], f["amount_total"]):
        total = _dec(f["amount_untaxed"]) + _dec(f["amount_tax"])
        assert abs(total - _dec(f["amount_total"])) <= CENT


@pytest.mark.parametrize("path", PDFS, ids=lambda p: p.stem)
def test_pdf_carries_the_key_strings(path):
    """A sanity check of the generator, not an extraction: the truth's verbatim strings print."""
    data = _load(path.with_suffix(".json"))
    text = _text(path)
    f = data["fields"]
    assert f["supplier_name"] in text
    assert f["document_number"] in text
    for ref in f["po_refs"]:
        assert ref in text
    for line in data["lines"]:
        if line["sku"]:
            assert line["sku"] in text
    if "multi_page" in data["traits"]:
        assert _pages(path) > 1


def test_regenerating_gives_identical_files(tmp_path):
    generate = importlib.import_module("tests.fixtures.pdf_blind.generate")
    written = generate.generate(tmp_path, echo=False)
    assert sorted(p.name for p in written) == sorted(p.name for p in PDFS + JSONS)
    for path in JSONS:
        assert _load(tmp_path / path.name) == _load(path), path.name
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    for path in PDFS:
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
