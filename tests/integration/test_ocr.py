"""A scanned supplier PDF (a page image, no text layer) read by the local Tesseract that
``make test-deps`` installs, in the reader's limited child; without Tesseract, or with OCR
turned off, the same file is quarantined ``pdf_no_text`` with a message saying what to do."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pdfplumber
import pytest
from fpdf import FPDF

from triage.errors import QuarantinedInput
from triage.ingest import ocr
from triage.ingest.pdf import read_in_process, read_pdf

pytestmark = [pytest.mark.integration, pytest.mark.slow]
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "pdf" / "01_en_invoice.pdf"


def scanned(source: Path, dpi: int = 300) -> bytes:
    """The first page of ``source`` as a grey image on an A4 page: what a scanner sends."""
    with pdfplumber.open(source) as pdf:
        image = pdf.pages[0].to_image(resolution=dpi).original.convert("L")
    png = io.BytesIO()
    image.save(png, format="PNG")
    out = FPDF(unit="pt", format=(595.28, 841.89))
    out.add_page()
    out.image(io.BytesIO(png.getvalue()), x=0, y=0, w=595.28, h=841.89)
    return bytes(out.output())


@pytest.fixture(scope="module")
def scan() -> bytes:
    return scanned(FIXTURE)


def test_a_scan_is_read_by_ocr_and_says_so(scan):
    if shutil.which("tesseract") is None:
        pytest.fail("Tesseract is not installed: run `make test-deps` (Debian's tesseract-ocr)")
    expected = json.loads(FIXTURE.with_suffix(".json").read_text(encoding="utf-8"))
    document = read_pdf(scan, max_pages=10, seconds=60, memory_mb=400)  # the memory the README says OCR needs
    assert {"field": "text", "code": "ocr"} in document.flags
    assert document.doc_type == "invoice"
    right = [k for k, v in expected["fields"].items() if document.fields[k] == v]
    assert len(right) >= 7, f"only {right} read right from the scan"  # OCR misreads a letter here and there
    rows = {(line["quantity"], line["unit_price"], line["subtotal"]) for line in expected["lines"]}
    read = [(line["quantity"], line["unit_price"], line["subtotal"]) for line in document.lines]
    assert len(read) >= 3 and set(read) <= rows  # fewer rows than printed where OCR lost a number, none wrong
    assert max(document.confidence.values()) <= 0.8  # read from pixels: never as sure as a text layer


def test_without_an_ocr_engine_a_scan_needs_ocr(scan, monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: False)
    with pytest.raises(QuarantinedInput) as info:
        read_in_process(scan, 10)
    assert info.value.reason == "pdf_no_text" and "apt-get install tesseract-ocr" in info.value.message


def test_ocr_can_be_turned_off(scan):
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(scan, max_pages=10, ocr_pages=0)
    assert info.value.reason == "pdf_no_text"


def test_ocr_that_overruns_the_time_limit_is_stopped(scan):
    if shutil.which("tesseract") is None:
        pytest.fail("Tesseract is not installed: run `make test-deps` (Debian's tesseract-ocr)")
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(scan, max_pages=10, seconds=1.0)
    assert info.value.reason == "pdf_timeout"
