"""Golden files: every generated supplier document in ``tests/fixtures/pdf`` (fpdf2, 40 files)
and ``tests/fixtures/pdf_holdout`` (reportlab, 25 files by another author, first measured
blind) read by the document reader exactly as its JSON says: type, header fields and line
items, in seven languages and four document types. The reader has no template and no
per-supplier hint; what is measured on real documents it never saw is in
``benchmarks/invoices.py``."""

import json
from pathlib import Path

import pytest

from benchmarks.invoices import LINE_KEYS, same_value, score_fixtures
from triage.ingest.document.reader import FIELDS
from triage.ingest.pdf import read_in_process

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
FILES = sorted(FIXTURES.glob("pdf/*.pdf")) + sorted(FIXTURES.glob("pdf_holdout/*.pdf"))

@pytest.mark.parametrize("pdf", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_document_reads_as_its_golden_file(pdf):
    expected = json.loads(pdf.with_suffix(".json").read_text(encoding="utf-8"))
    document = read_in_process(pdf.read_bytes(), 50)
    result = document.as_dict()
    assert set(result["fields"]) == set(FIELDS) and set(result["confidence"]) == set(FIELDS)
    assert result["doc_type"] == expected["doc_type"]
    wrong = {k: (v, result["fields"][k]) for k, v in expected["fields"].items() if not same_value(v, result["fields"][k])}
    assert not wrong, f"fields (expected, got): {wrong}"
    assert len(result["lines"]) == len(expected["lines"])
    for number, (want, got) in enumerate(zip(expected["lines"], result["lines"], strict=True)):
        assert set(got) == set(LINE_KEYS)
        diff = {k: (want[k], got[k]) for k in LINE_KEYS if not same_value(want[k], got[k])}
        assert not diff, f"line {number} (expected, got): {diff}"
    for name, value in result["fields"].items():  # a value has a confidence; an absent one has none
        assert (result["confidence"][name] > 0) == (value not in (None, []))
    ambiguous = "ambiguous-date" in expected.get("traits", [])
    assert ({"field": "document_date", "code": "ambiguous_date"} in result["flags"]) == ambiguous
    assert not [f for f in result["flags"] if f["code"] != "ambiguous_date"], result["flags"]


def test_there_are_enough_documents_in_every_language_and_type():
    docs = [json.loads(p.with_suffix(".json").read_text(encoding="utf-8")) for p in FILES]
    assert len(docs) >= 60
    assert {d["language"] for d in docs} == {"en", "de", "fr", "nl", "es", "it", "pt"}
    assert {d["doc_type"] for d in docs} == {"invoice", "credit_note", "order_confirmation", "delivery_note"}


def test_the_blind_set_stays_at_its_measure():
    """``tests/fixtures/pdf_blind`` (28 ERP-style documents by a third author) was measured blind
    at 84.6% of fields and 50.9% of lines right; what it showed was then mended. It is a
    regression floor, not a golden file: fields and lines must not fall below these shares."""
    right, total, lines_right, lines_total, misses = score_fixtures(FIXTURES / "pdf_blind")
    assert total >= 250 and lines_total >= 200
    assert right / total >= 0.90, misses
    assert lines_right / lines_total >= 0.70, misses
