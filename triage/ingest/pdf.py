"""PDF documents -> a read Document. The only module that imports pdfplumber.

``read_pdf`` runs the reading in a limited child process (``ingest/sandbox.py``): positioned
words from pdfplumber (or, for a scan, from Tesseract when installed: ``ingest/ocr.py``), then
the template-free reader (``ingest/document``). Encrypted,
corrupt, empty, text-less (``needs OCR``), too long, too slow or too hungry files raise
``QuarantinedInput`` with their reason.
"""

from __future__ import annotations

import io
import subprocess
import time

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect

from triage.domain import QuarantineReason
from triage.errors import QuarantinedInput
from triage.ingest.document.layout import Word, lines_of
from triage.ingest import ocr
from triage.ingest.document.reader import Document, doc_type, read
from triage.ingest.sandbox import run_limited

__all__ = ["Document", "doc_type", "read_pdf", "read_in_process"]

NO_TEXT = ("the PDF has no text layer (a scan?): it needs OCR, and no OCR engine is installed "
           "(install Tesseract: apt-get install tesseract-ocr) or TRIAGE_MAX_OCR_PAGES is 0")
NO_TEXT_OCR = "the PDF has no text layer and OCR found no text on its pages"


def read_pdf(data: bytes, *, max_pages: int, seconds: float = 30.0, memory_mb: int = 1024,
             ocr_pages: int = 5) -> Document:
    """The document read in a child process killed after ``seconds`` or beyond ``memory_mb``;
    a scan's first ``ocr_pages`` pages are read by OCR when Tesseract is installed."""
    if not data.startswith(b"%PDF"):
        raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, "not a PDF file (no %PDF header)")
    return run_limited(read_in_process, data, max_pages, ocr_pages, seconds * 0.95, seconds=seconds, memory_mb=memory_mb)


def read_in_process(data: bytes, max_pages: int, ocr_pages: int = 5, ocr_seconds: float = 30.0) -> Document:
    """The reading itself, without limits (the child's work; tests and benchmarks call it)."""
    started = time.monotonic()
    ocr_used = False
    if not data.startswith(b"%PDF"):
        raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, "not a PDF file (no %PDF header)")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            if pages == 0:
                raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, "the PDF has no pages")
            if pages > max_pages:
                raise QuarantinedInput(
                    QuarantineReason.PDF_TOO_MANY_PAGES, f"the PDF has {pages} pages; the limit is {max_pages}")
            words = [word for number, page in enumerate(pdf.pages) for word in _words(page, number)]
            if not any(w.text.strip() for w in words) and ocr_pages > 0 and ocr.available():
                words = _ocr(pdf.pages[:ocr_pages], started + ocr_seconds)
                ocr_used = True
    except (QuarantinedInput, MemoryError):
        raise
    except Exception as exc:  # pdfminer raises many unrelated types on bad files (pdfplumber wraps them)
        if any(isinstance(e, MemoryError) for e in _chain(exc)):
            raise MemoryError(str(exc)) from exc
        if _encrypted(exc):
            raise QuarantinedInput(QuarantineReason.PDF_ENCRYPTED, "the PDF is encrypted (a password is needed)") from exc
        raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, f"cannot read the PDF: {type(exc).__name__}: {exc}") from exc
    if not any(w.text.strip() for w in words):
        raise QuarantinedInput(QuarantineReason.PDF_NO_TEXT, NO_TEXT_OCR if ocr_used else NO_TEXT)
    document = read(lines_of(_join_spaced_capitals(words)), pages)
    if ocr_used:
        document.from_ocr()
    return document


def _ocr(pages, deadline: float) -> list[Word]:
    """Words of scanned pages: each rendered at ``ocr.DPI`` and read by Tesseract."""
    out: list[Word] = []
    for number, page in enumerate(pages):
        image = io.BytesIO()
        page.to_image(resolution=ocr.DPI).original.save(image, format="PNG")
        try:
            out += ocr.words(image.getvalue(), number, deadline)
        except (TimeoutError, subprocess.TimeoutExpired) as exc:
            raise QuarantinedInput(QuarantineReason.PDF_TIMEOUT, "OCR of the scanned pages took longer than the "
                                   "time limit") from exc
    return out


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and what it wraps (pdfplumber wraps pdfminer's errors in its args)."""
    seen = [exc, *[a for a in exc.args if isinstance(a, BaseException)], exc.__cause__, exc.__context__]
    return [e for e in seen if e is not None]


def _encrypted(exc: BaseException) -> bool:
    return any(isinstance(e, PDFPasswordIncorrect) or "encrypt" in str(e).lower() or "password" in str(e).lower()
               for e in _chain(exc))


def _words(page, number: int) -> list[Word]:
    out = []
    for w in page.extract_words(extra_attrs=["size", "fontname"]):
        out.append(Word(text=w["text"], x0=float(w["x0"]), x1=float(w["x1"]), top=float(w["top"]),
                        bottom=float(w["bottom"]), size=float(w.get("size") or 10.0),
                        bold="bold" in str(w.get("fontname", "")).lower(), page=number))
    return out


_SINGLE_LETTER_WORDS = set("AIOEYÀÉÈ")


def _join_spaced_capitals(words: list[Word]) -> list[Word]:
    """A capital set apart from the rest of its word ("F actuurnummer", a drop cap or a font
    change) is joined back when the gap is narrower than a space would be."""
    out: list[Word] = []
    for word in words:
        prev = out[-1] if out else None
        if (prev is not None and len(prev.text) == 1 and prev.text.isupper() and prev.text not in _SINGLE_LETTER_WORDS
                and word.text[:1].islower() and prev.page == word.page and abs(prev.top - word.top) < 2
                and 0 <= word.x0 - prev.x1 < 0.45 * word.size):
            out[-1] = Word(prev.text + word.text, prev.x0, word.x1, min(prev.top, word.top), max(prev.bottom, word.bottom),
                           word.size, word.bold, word.page)
        else:
            out.append(word)
    return out
