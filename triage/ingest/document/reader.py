"""A supplier document read from its layout: type, header fields, line items, confidences and
flags, in the shape of ``triage extract`` (docs/ARCHITECTURE.md). No templates: labels in
seven languages, positions, and checks of the values against each other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from triage.ingest.document import header
from triage.ingest.document.checks import best, check_lines, settle_amounts
from triage.ingest.document.labels import DOC_TYPE_TITLES
from triage.ingest.document.layout import Line, text_of
from triage.ingest.document.lines import arithmetic_items
from triage.ingest.document.lines import items as line_items
from triage.ingest.document.values import currencies, decimal_convention, month_first
from triage.ingest.language import detect_language

FIELDS = ("supplier_name", "vat", "document_number", "document_date", "due_date", "po_refs", "currency",
          "amount_untaxed", "amount_tax", "amount_total")
DOC_TYPES = ("invoice", "credit_note", "order_confirmation", "delivery_note", "other")

_LABEL_AFTER = re.compile(r"\s*(number|no\.?|nr\.?|n°|nº|num[ée]ro|nummer|date|datum|to\b|:)", re.I)
_SPACED = re.compile(r"(?<!\S)(?:[A-ZÀ-Ý] ){3,}[A-ZÀ-Ý](?!\S)")
_DECORATION = re.compile(r"\b(?:copy|kopie|copie|copia|c[óo]pia|original|duplicate|duplicata|duplicado|page|seite)\b", re.I)


def doc_type(text: str) -> str:
    """The document's type from its title: a type word that fills its cell ("CREDIT NOTE",
    "Rechnung Nr. 2026/0318") beats one inside other words ("Against invoice SI-10487"), which
    beats one used as a field label ("Invoice to", "Delivery note: LS-26-10277"); then the
    earliest."""
    found: tuple[int, int, str] | None = None
    position = 0
    for line in text[:4000].splitlines():
        line = _SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)  # "R E C H N U N G"
        for cell in line.split("  "):
            for name, pattern in DOC_TYPE_TITLES:
                for m in pattern.finditer(cell):
                    rest = _DECORATION.sub("", cell[:m.start()] + cell[m.end():])
                    rest = re.sub(r"[\W\d_]*(?:n[°º.]?|no\.?|nr\.?|#)?[\s:.#-]*[A-Z]{0,4}[\w/.-]*\d[\w/.-]*", "", rest)
                    if _LABEL_AFTER.match(cell, m.end()) and not re.match(r"\s*(?:n[°º.]|no\.?|nr\.?|#)\s*[:.]?\s*[\w/-]*\d",
                                                                          cell[m.end():], re.I):
                        rank = 2
                    else:
                        rank = 0 if not re.sub(r"[\W_]", "", rest) else 1
                    candidate = (rank, position + m.start(), name)
                    found = candidate if found is None or candidate < found else found
            position += len(cell) + 2
    return found[2] if found else "other"


def title_type(lines: list[Line]) -> str | None:
    """The type a title printed larger than the text names ("Lieferschein" in 16 pt beside an
    "Auftragsbestätigung AB-26-3312" reference in 9 pt); None when no type word stands out."""
    first = [line for line in lines if line.page == lines[0].page] if lines else []
    if not first:
        return None
    body = sorted(line.size for line in first)[len(first) // 2]
    found: list[tuple[float, str]] = []
    for line in first:
        text = line.text
        for name, pattern in DOC_TYPE_TITLES:
            for m in pattern.finditer(text):
                owners = [w for w in line.words if line.span(m.start(), m.end())[0] <= w.x0 < line.span(m.start(), m.end())[1]]
                if owners:
                    found.append((max(w.size for w in owners), name))
    if not found:
        return None
    found.sort(reverse=True)
    size, name = found[0]
    runner_up = next((s for s, n in found if n != name), 0.0)
    return name if size >= 1.2 * body and size > runner_up + 0.5 else None


@dataclass
class Document:
    doc_type: str
    fields: dict[str, Any]
    lines: list[dict]
    confidence: dict[str, float]
    flags: list[dict] = field(default_factory=list)
    pages: int = 0
    text: str = ""

    def from_ocr(self) -> None:
        """Mark a document read from OCR text: flagged, and every confidence lowered."""
        self.flags.append({"field": "text", "code": "ocr"})
        self.confidence = {k: round(v * 0.8, 2) for k, v in self.confidence.items()}

    def as_dict(self) -> dict[str, Any]:
        return {"doc_type": self.doc_type, "status": "ok", "fields": self.fields, "lines": self.lines,
                "confidence": self.confidence, "flags": self.flags}


def read(lines: list[Line], pages: int) -> Document:
    text = text_of(lines)
    language = detect_language(text[:2000])[0]
    page = header.Page(lines, decimal_convention(text), _date_order(text, language))
    fields: dict[str, Any] = dict.fromkeys(FIELDS)
    confidence: dict[str, float] = dict.fromkeys(FIELDS, 0.0)
    flags: list[dict] = []

    kind = title_type(lines) or doc_type(text)
    number, confidence["document_number"] = best(header.document_numbers(page, kind))
    fields["document_number"] = number.value if number else None
    date, confidence["document_date"] = best(header.document_dates(page, number.line if number else None, kind))
    fields["document_date"] = date.value.isoformat() if date else None
    if date is not None and date.ambiguous:
        flags.append({"field": "document_date", "code": "ambiguous_date"})
        confidence["document_date"] = min(confidence["document_date"], 0.5)
    due, confidence["due_date"] = best(header.due_dates(page, date.value if date else None, kind))
    fields["due_date"] = due.value.isoformat() if due else None
    if due is not None and due.ambiguous:
        flags.append({"field": "due_date", "code": "ambiguous_date"})
        confidence["due_date"] = min(confidence["due_date"], 0.5)
    name, confidence["supplier_name"] = best(header.supplier_names(page))
    fields["supplier_name"] = name.value if name else None
    vat, confidence["vat"] = best(header.vats(page, language, fields["supplier_name"]))
    fields["vat"] = vat.value if vat else None
    refs = header.po_references(page)
    fields["po_refs"] = list(dict.fromkeys(c.value for c in refs if c.value != fields["document_number"]))
    confidence["po_refs"] = round(max((c.score for c in refs), default=0.0) * 0.9, 2)

    items = line_items(lines, page.decimal, page.month_first) or arithmetic_items(lines, page.decimal, page.month_first)
    page.item_lines = {item.line for item in items}
    subtotals = [item.subtotal for item in items]
    lines_sum = sum(subtotals) if items and None not in subtotals else None
    printed = {a.value for i in range(len(lines)) for a in page.amounts(i)}
    settled = settle_amounts(header.amounts(page, "amount_total"), header.amounts(page, "amount_untaxed"),
                             header.amounts(page, "amount_tax"), printed, lines_sum)
    fields.update(settled.values)
    confidence.update(settled.confidence)
    flags += settled.flags
    line_flags, lines_match = check_lines(items, settled.values["amount_untaxed"], settled.values["amount_total"])
    flags += line_flags
    if lines_match:
        for name_ in ("amount_untaxed", "amount_total"):
            if fields[name_] is not None:
                confidence[name_] = max(confidence[name_], 0.9)

    priced = any(fields[k] is not None for k in ("amount_total", "amount_untaxed")) or any(
        item.unit_price is not None or item.subtotal is not None for item in items)
    fields["currency"], confidence["currency"] = _currency(settled.currency, text) if priced else (None, 0.0)
    return Document(doc_type=kind, fields=fields, lines=[item.as_dict() for item in items],
                    confidence=confidence, flags=flags, pages=pages, text=text)


def _date_order(text: str, language: str) -> bool | None:
    """Numeric dates month first? The document's own evidence (a date only valid one way),
    else its language: outside English, dates are day first; in English month first for a US
    document (dollars only, or a US address), else open (the dates are flagged ambiguous)."""
    order = month_first(text)
    if order is not None:
        return order
    if language not in ("en", "und"):
        return False
    return True if language == "en" and _american(text) else None


def _american(text: str) -> bool:
    """Dollars and no other currency, or a US address: numeric dates are month first."""
    counts = currencies(text)
    return (set(counts) == {"USD"}) or bool(re.search(r"\b(?:USA|United States|[A-Z]{2} \d{5}(?:-\d{4})?)\b", text))


def _currency(from_amounts: str | None, text: str) -> tuple[str | None, float]:
    counts = currencies(text)
    if from_amounts:
        return from_amounts, 0.9 if from_amounts != "USD" or counts.get("USD", 0) > 1 else 0.75
    if not counts:
        return None, 0.0
    code, _ = counts.most_common(1)[0]
    return code, 0.7


