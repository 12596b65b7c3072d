"""Bad PDFs: each is refused with its quarantine reason, and a reader that overruns its time or
memory is stopped in its child process while the caller goes on."""

import time

import pytest

from tests.bad_pdfs import bomb, drawing_only, encrypted, handmade, slow, text_pdf
from triage.config import LimitSettings
from triage.errors import QuarantinedInput
from triage.ingest.files import from_pdf
from triage.ingest.pdf import read_pdf


def _reason(data: bytes, **limits) -> str:
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(data, max_pages=limits.pop("max_pages", 10), **limits)
    return info.value.reason


def test_a_handmade_pdf_reads():
    document = read_pdf(handmade(b"BT /F1 12 Tf 72 720 Td (Invoice No. 4711) Tj ET"), max_pages=10)
    assert document.fields["document_number"] == "4711" and document.pages == 1


def test_encrypted():
    assert _reason(encrypted()) == "pdf_encrypted"


@pytest.mark.parametrize("data", [b"hello", b"%PDF-1.7\n garbage without objects", text_pdf()[:300]])
def test_corrupt(data):
    assert _reason(data) == "pdf_corrupt"


def test_zero_pages():
    assert _reason(handmade(None)) == "pdf_corrupt"


def test_no_text_layer_needs_ocr():
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(drawing_only(), max_pages=10)
    assert info.value.reason == "pdf_no_text" and "OCR" in info.value.message


def test_more_pages_than_the_limit():
    assert _reason(handmade(b"BT /F1 12 Tf 72 720 Td (x) Tj ET", pages=3), max_pages=2) == "pdf_too_many_pages"


def test_a_file_above_the_size_limit_is_not_read():
    intake = from_pdf(text_pdf(), "big.pdf", LimitSettings(attachment_bytes=100))
    assert intake.quarantine.reason == "oversized"


def test_a_slow_pdf_is_stopped_after_the_time_limit():
    started = time.monotonic()
    assert _reason(slow(), seconds=1.0) == "pdf_timeout"
    assert time.monotonic() - started < 10


def test_a_decompression_bomb_is_stopped_at_the_memory_limit():
    data = bomb(600)  # 600 MB of spaces in under 1 MB
    assert len(data) < 1_000_000
    assert _reason(data, memory_mb=300) == "pdf_memory"


def test_the_reader_goes_on_after_a_stopped_child():
    with pytest.raises(QuarantinedInput):
        read_pdf(slow(), max_pages=10, seconds=0.5)
    assert read_pdf(text_pdf("Invoice No. 9901"), max_pages=10).fields["document_number"] == "9901"
