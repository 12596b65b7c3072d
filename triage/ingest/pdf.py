"""PDF documents -> text and document type. The only module that imports pdfplumber.

A first cut: the text layer of each page (up to the page limit) and the document type from
its title words in seven languages. Encrypted, corrupt, empty or text-less files raise
``QuarantinedInput`` with their reason. The documents issue adds header fields, line items,
cross-checks and a subprocess with time and memory limits.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdfparser import PDFSyntaxError

from triage.domain import QuarantineReason
from triage.errors import QuarantinedInput

_DOC_TYPES = [
    ("credit_note", r"credit\s*note|gutschrift|avoir|nota\s+de\s+cr[ée]dito|creditnota|nota\s+di\s+credito"),
    ("order_confirmation", r"order\s+(confirmation|acknowledge?ment)|auftragsbest[äa]tigung|confirmation\s+de\s+commande"
     r"|confirmaci[óo]n\s+de\s+pedido|orderbevestiging|conferma\s+d'ordine|confirma[çc][ãa]o\s+de\s+encomenda"),
    ("delivery_note", r"delivery\s+note|packing\s+(slip|list)|lieferschein|bon\s+de\s+livraison|albar[áa]n"
     r"|pakbon|leveringsbon|documento\s+di\s+trasporto|bolla\s+di\s+consegna|guia\s+de\s+remessa"),
    ("invoice", r"invoice|rechnung|facture|factura|factuur|fattura|fatura"),
]


@dataclass
class PdfText:
    text: str
    pages: int
    doc_type: str


_LABEL_AFTER = re.compile(r"\s*(number|no\.?|nr\.?|n°|nº|num[ée]ro|nummer|date|datum|:)", re.I)


def doc_type(text: str) -> str:
    """The document's type from its title: a type word used as a title beats one used as a
    field label ("Delivery note: LS-26-10277" on an invoice is a reference, not the title)."""
    head = text[:3000]
    best: tuple[int, int, str] | None = None
    for name, pattern in _DOC_TYPES:
        for m in re.finditer(pattern, head, re.I):
            is_label = bool(_LABEL_AFTER.match(head, m.end()))
            rank = (int(is_label), m.start(), name)
            best = rank if best is None or rank < best else best
            if not is_label:
                break
    return best[2] if best else "other"


def read_pdf(data: bytes, *, max_pages: int) -> PdfText:
    """Text of a PDF's pages; raises QuarantinedInput for files that cannot be read."""
    if not data.startswith(b"%PDF"):
        raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, "not a PDF file (no %PDF header)")
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages = len(pdf.pages)
            if pages == 0:
                raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, "the PDF has no pages")
            if pages > max_pages:
                raise QuarantinedInput(
                    QuarantineReason.PDF_TOO_MANY_PAGES, f"the PDF has {pages} pages; the limit is {max_pages}"
                )
            text = "\n".join((page.extract_text() or "") for page in pdf.pages)
    except QuarantinedInput:
        raise
    except PDFPasswordIncorrect as exc:
        raise QuarantinedInput(QuarantineReason.PDF_ENCRYPTED, "the PDF is encrypted") from exc
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises many unrelated types on bad files
        if "encrypt" in str(exc).lower() or "password" in str(exc).lower():
            raise QuarantinedInput(QuarantineReason.PDF_ENCRYPTED, "the PDF is encrypted") from exc
        raise QuarantinedInput(QuarantineReason.PDF_CORRUPT, f"cannot read the PDF: {type(exc).__name__}: {exc}") from exc
    if not text.strip():
        raise QuarantinedInput(
            QuarantineReason.PDF_NO_TEXT, "the PDF has no text layer (a scan?): needs OCR, none is configured"
        )
    return PdfText(text=text, pages=pages, doc_type=doc_type(text))
