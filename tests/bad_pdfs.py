"""Bad and hostile PDFs for the tests, made on the spot: each is what a real file of its kind
looks like to a PDF reader (an encrypted file, a page tree without pages, a scan without a
text layer, a content stream that takes long to interpret, a decompression bomb)."""

import re
import zlib

from fpdf import FPDF


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


def fix_xref(data: bytes) -> bytes:
    """Recompute the offsets after editing an object in place."""
    body = data[: data.index(b"xref\n")]
    offsets = [m.start() for m in re.finditer(rb"(?m)^\d+ 0 obj\n", body)]
    xref = len(body)
    table = b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    return body + table + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)




def text_pdf(text: str = "Invoice 123") -> bytes:
    return _fpdf(text)


def drawing_only() -> bytes:
    """A page with a drawing and no text: what a scan looks like to a text reader."""
    return _fpdf(None)


def encrypted() -> bytes:
    return _fpdf(owner_password="owner", user_password="secret")


def slow(ops: int = 400_000) -> bytes:
    """A page of ``ops`` one-character text objects: seconds of interpretation."""
    return handmade(b"".join(b"BT /F1 1 Tf %d %d Td (x) Tj ET\n" % (i % 500, i // 500) for i in range(ops)),
                    compress=True)


def bomb(megabytes: int = 600) -> bytes:
    """A page whose content stream inflates from under 1 MB to ``megabytes`` of spaces."""
    deflate = zlib.compressobj(9)
    stream = b"".join(deflate.compress(b" " * (1 << 20)) for _ in range(megabytes)) + deflate.flush()
    data = handmade(b"", pages=1).replace(b"/Length 0 >>\nstream\n\nendstream",
                                           b"/Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
                                           + b"\nendstream")
    return fix_xref(data)
