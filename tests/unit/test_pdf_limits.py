"""Bad PDFs: each is refused with its quarantine reason, and a reader that overruns its time or
memory is stopped in its child process while the caller goes on."""

import time
import zlib

import pytest
from fpdf import FPDF

from triage.config import LimitSettings
from triage.errors import QuarantinedInput
from triage.ingest.files import from_pdf
from triage.ingest.pdf import read_pdf


def handmade(content: bytes | None, *, compress: bool = False, pages: int = 1) -> bytes:
    """A minimal PDF with a correct cross-reference table: ``pages`` pages sharing one
    content stream (``None``: a page tree with no pages)."""
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages)) if content is not None else ""
    count = pages if content is not None else 0
    stream = zlib.compress(content) if compress and content is not None else (content or b"")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Length %d%s >>\nstream\n" % (len(stream), b" /Filter /FlateDecode" if compress else b"") + stream
        + b"\nendstream",
    ]
    for _ in range(count):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
                       b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _fpdf(text: str | None = "Invoice 123", **encryption) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    if text:
        pdf.cell(text=text)
    else:
        pdf.rect(20, 20, 100, 60, style="F")  # a drawing, no text: what a scan looks like to a text reader
    if encryption:
        pdf.set_encryption(**encryption)
    return bytes(pdf.output())


def _reason(data: bytes, **limits) -> str:
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(data, max_pages=limits.pop("max_pages", 10), **limits)
    return info.value.reason


def test_a_handmade_pdf_reads():
    document = read_pdf(handmade(b"BT /F1 12 Tf 72 720 Td (Invoice No. 4711) Tj ET"), max_pages=10)
    assert document.fields["document_number"] == "4711" and document.pages == 1


def test_encrypted():
    assert _reason(_fpdf(owner_password="owner", user_password="secret")) == "pdf_encrypted"


@pytest.mark.parametrize("data", [b"hello", b"%PDF-1.7\n garbage without objects", _fpdf()[:300]])
def test_corrupt(data):
    assert _reason(data) == "pdf_corrupt"


def test_zero_pages():
    assert _reason(handmade(None)) == "pdf_corrupt"


def test_no_text_layer_needs_ocr():
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(_fpdf(None), max_pages=10)
    assert info.value.reason == "pdf_no_text" and "OCR" in info.value.message


def test_more_pages_than_the_limit():
    assert _reason(handmade(b"BT /F1 12 Tf 72 720 Td (x) Tj ET", pages=3), max_pages=2) == "pdf_too_many_pages"


def test_a_file_above_the_size_limit_is_not_read():
    intake = from_pdf(_fpdf(), "big.pdf", LimitSettings(attachment_bytes=100))
    assert intake.quarantine.reason == "oversized"


def test_a_slow_pdf_is_stopped_after_the_time_limit():
    ops = b"".join(b"BT /F1 1 Tf %d %d Td (x) Tj ET\n" % (i % 500, i // 500) for i in range(400_000))
    started = time.monotonic()
    assert _reason(handmade(ops, compress=True), seconds=1.0) == "pdf_timeout"
    assert time.monotonic() - started < 10


def test_a_decompression_bomb_is_stopped_at_the_memory_limit():
    bomb = zlib.compressobj(9)
    stream = b"".join(bomb.compress(b" " * (1 << 20)) for _ in range(600)) + bomb.flush()  # 600 MB of spaces
    assert len(stream) < 1_000_000
    data = handmade(b"", pages=1).replace(b"/Length 0 >>\nstream\n\nendstream",
                                           b"/Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
                                           + b"\nendstream")
    data = _fix_xref(data)
    assert _reason(data, memory_mb=300) == "pdf_memory"


def _fix_xref(data: bytes) -> bytes:
    """Recompute the offsets after editing an object in place."""
    import re

    body = data[: data.index(b"xref\n")]
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    xref = len(body)
    table = b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + table + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)


def test_the_reader_goes_on_after_a_stopped_child():
    with pytest.raises(QuarantinedInput):
        read_pdf(handmade(b"".join(b"BT /F1 1 Tf 1 1 Td (x) Tj ET\n" for _ in range(400_000)), compress=True),
                 max_pages=10, seconds=0.5)
    assert read_pdf(_fpdf("Invoice No. 9901"), max_pages=10).fields["document_number"] == "9901"
