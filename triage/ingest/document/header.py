"""Header fields found by their labels: the value after a label on its line, else in the cell
under it (a row of labels over a row of values) or over it (values printed above their
labels), else by the shape documents give them.

Every field yields scored candidates; ``checks.py`` settles the amounts together and turns
scores into confidences.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from triage.ingest.document.labels import CUSTOMER_WORDS, DOC_NOUN, LEGAL_FORM, LabelHit, label_hits, noun_type
from triage.ingest.document.layout import Line
from triage.ingest.document.values import Amount, DateHit, find_amounts, find_dates
from triage.ingest.extract import po_refs as text_po_refs
from triage.ingest.identifiers import compact, vat_numbers

# How much a value under its label (or over it) is trusted against one beside it.
SAME_LINE, BELOW, ABOVE = 1.0, 0.85, 0.75


@dataclass
class Candidate:
    value: Any
    score: float
    line: int
    how: str
    ambiguous: bool = False


# IBANs and VAT numbers: a country code, then digits and letters in groups.
_ACCOUNT = re.compile(r"\b[A-Z]{2}\d{2}(?:[ .]?[A-Z0-9]{2,4}){2,8}\b|\b[A-Z]{2,3}[ .-]?\d{3}[ .]?\d{3}[ .]?\d{2,3}(?:[ .]?[A-Z0-9]{1,3})?\b")


@dataclass
class Page:
    """What the header readers share: the lines, their labels, the document's conventions."""

    lines: list[Line]
    decimal: str | None
    month_first: bool | None

    def __post_init__(self) -> None:
        self.labels = [label_hits(line.text) for line in self.lines]
        self.dates = [find_dates(line.text, self.month_first) for line in self.lines]
        self.item_lines: set[int] = set()  # rows of the line-item table: their money is not a total
        self.customer_cells = _customer_blocks(self.lines, self.labels)

    def amounts(self, i: int) -> list[Amount]:
        """Money on a line: dates, IBANs and VAT numbers are not read as numbers."""
        text = self.lines[i].text
        skip = [(d.start, d.end) for d in self.dates[i]] + [m.span() for m in _ACCOUNT.finditer(text)]
        return find_amounts(text, self.decimal, skip=skip)


def _customer_blocks(lines: list[Line], labels: list[list[LabelHit]]) -> set[tuple[int, int]]:
    """(line, cell) of the customer's blocks: a "Bill to" / "Rechnungsadresse" heading and
    the cells aligned under it, down to the first gap."""
    cells: set[tuple[int, int]] = set()
    for i, hits in enumerate(labels):
        for hit in (h for h in hits if h.kind == "customer"):
            own = lines[i].cell_at(hit.start)
            x0 = lines[i].cells[own].x0
            cells.add((i, own))
            previous = lines[i]  # the block's last line: lines beside it (another column) do not end it
            for j in range(i + 1, min(i + 12, len(lines))):
                line = lines[j]
                if line.page != previous.page or line.top - previous.bottom > 2.6 * line.height:
                    break
                aligned = [k for k, cell in enumerate(line.cells) if abs(cell.x0 - x0) <= 1.5 * line.size]
                cells.update((j, k) for k in aligned)
                previous = line if aligned else previous
    return cells


_ID = re.compile(r"[#:.\s-]*(?:n\s?[°º.]\s*)?((?:[A-Z]{1,3} (?=[A-Z]?\d[\w/.-]*/))?[A-Za-z0-9][\w/.\-]*[A-Za-z0-9]|\d)")


def _id_value(text: str) -> str | None:
    m = _ID.match(text)
    if not m:
        return None
    value = m.group(1).rstrip(".-/")
    if not any(c.isdigit() for c in value) or len(value) < 3 or find_dates(value):
        return None
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}", value):  # an amount
        return None
    return value


def _after(page: Page, i: int, hit: LabelHit) -> tuple[str, int]:
    """The text after a label up to the next label on the line, and its offset."""
    nexts = [h.start for h in page.labels[i] if h.start >= hit.end]
    end = min(nexts) if nexts else len(page.lines[i].text)
    return page.lines[i].text[hit.end:end], hit.end


def _under(page: Page, i: int, hit: LabelHit, step: int = 1) -> tuple[int, int, int] | None:
    """(line, start, end) of the cell under a label (``step=-1``: over it) in the next two
    lines of the same page: the cell nearest the label's cell among those whose own nearest
    cell on the label's line is the label's."""
    line = page.lines[i]
    own = line.cell_at(hit.start)

    def centre(cell) -> float:
        return (cell.x0 + cell.x1) / 2

    for j in range(i + step, i + 3 * step, step):
        if not 0 <= j < len(page.lines):
            break
        other = page.lines[j]
        gap = other.top - line.bottom if step > 0 else line.top - other.bottom
        if other.page != line.page or gap > 2.5 * line.height:
            break
        offsets = other.cell_starts
        mine = [k for k, cell in enumerate(other.cells)
                if min(range(len(line.cells)), key=lambda c: _distance(line.cells[c], cell)) == own]
        if mine:
            k = min(mine, key=lambda k: abs(centre(other.cells[k]) - centre(line.cells[own])))
            start, end = offsets[k], offsets[k] + len(other.cells[k].text)
            if any(h.start < end and start < h.end for h in page.labels[j]):
                continue  # another heading (a second row of labels): look one line further
            return j, start, end
    return None


def _distance(a, b) -> float:
    """Horizontal distance of two cells: 0 when they overlap, else the gap; ties by centre."""
    gap = max(a.x0 - b.x1, b.x0 - a.x1, 0.0)
    return gap + 0.001 * abs((a.x0 + a.x1) / 2 - (b.x0 + b.x1) / 2)


def _alone(page: Page, i: int, hit: LabelHit) -> bool:
    """Is the label the whole of its cell (a column or grid heading)?"""
    line = page.lines[i]
    cell = line.cells[line.cell_at(hit.start)]
    return len(cell.text.strip(" :#")) <= hit.end - hit.start + 2


def labelled(page: Page, kinds: tuple[str, ...], read, *, score: float = 1.0) -> list[Candidate]:
    """Candidates for the labels of ``kinds``: ``read(line, text, offset)`` returns (value,
    ambiguous) or None for the text after the label, then for the cell under it, then over it
    (when the label is a heading: alone in its cell, or nothing after it)."""
    out: list[Candidate] = []
    for i, hits in enumerate(page.labels):
        for hit in hits:
            if hit.kind not in kinds:
                continue
            text, offset = _after(page, i, hit)
            found = read(i, text, offset)
            own_cell = page.lines[i].cells[page.lines[i].cell_at(hit.start)].text
            if found is not None:
                sentence = len(own_cell.split()) > 8  # "... de fecha 27/02/2026" inside a sentence
                out.append(Candidate(found[0], score * SAME_LINE * (0.5 if sentence else 1.0), i, f"label:{hit.kind}",
                                     found[1]))
                continue
            if (text.strip(" :#") and not _alone(page, i, hit)) or "%" in own_cell:
                continue  # a label inside other words, or a rate column ("% IVA"): nothing under it is its value
            for step, how, weight in ((1, "below", BELOW), (-1, "above", ABOVE)):
                cell = _under(page, i, hit, step)
                if cell is None:
                    continue
                j, a, b = cell
                found = read(j, page.lines[j].text[a:b], a)
                if found is not None:
                    out.append(Candidate(found[0], score * weight, j, f"{how}:{hit.kind}", found[1]))
                    break
    return out


# --- the fields ------------------------------------------------------------------------------

_TITLE_NOUN = re.compile(rf"(?<![\w-])(?:{DOC_NOUN})\b\.?\s*:?\s*", re.I)
_HASH_LINE = re.compile(r"^\s*#\s*")


def document_numbers(page: Page, doc_type: str) -> list[Candidate]:
    """Labelled numbers ("Invoice No.", "Rechnungs-Nr."; a label naming another type, such
    as "Delivery note no." on an invoice, counts less; an order number only on an order
    confirmation), then a number after the title, then a line starting with "#"."""
    kinds = ("document_number", "order_number") if doc_type == "order_confirmation" else ("document_number",)
    out = labelled(page, kinds, lambda i, text, offset: _pair(_id_value(text)))
    bare = [c for c in labelled(page, ("bare_number",), lambda i, text, offset: _pair(_id_value(text)), score=0.75)
            if c.how.startswith(("below", "above"))]  # a grid column headed "Número" / "Number" alone
    for c in out:
        label = next((page.lines[i].text[h.start:h.end] for i in (c.line, c.line - 1, c.line + 1)
                      if 0 <= i < len(page.lines) for h in page.labels[i] if h.kind in kinds), "")
        named = noun_type(label)
        if named is not None and named != doc_type:
            c.score *= 0.5
    out += bare
    for i, line in enumerate(page.lines):
        for m in _TITLE_NOUN.finditer(line.text):
            value = _id_value(line.text[m.end():])
            if value:
                out.append(Candidate(value, 0.7, i, "title"))
            elif _alone(page, i, LabelHit("document_number", m.start(), m.end())):  # a grid heading "Invoice"
                cell = _under(page, i, LabelHit("document_number", m.start(), m.end()))
                if cell is not None and (value := _id_value(page.lines[cell[0]].text[cell[1]:cell[2]])):
                    out.append(Candidate(value, 0.6, cell[0], "below:title"))
        m = _HASH_LINE.match(line.text)
        if m and (value := _id_value(line.text[m.end():])):
            out.append(Candidate(value, 0.5, i, "hash"))
    first = [line for line in page.lines if line.page == page.lines[0].page] if page.lines else []
    body = sorted(line.size for line in first)[len(first) // 2] if first else 10.0
    for i, line in enumerate(first[:40]):  # a reference printed alone in large type: the title ("WH/OUT/00123")
        if len(line.cells) == 1 and line.size >= 1.3 * body and (value := _id_value(line.text)) == line.text.strip():
            out.append(Candidate(value, 0.5, i, "large-reference"))
    return out


def _pair(value):
    return None if value is None else (value, False)


def _first_date(page: Page, i: int, text: str, offset: int):
    for hit in page.dates[i]:
        if offset <= hit.start < offset + len(text):
            return hit.value, hit.ambiguous
    return None


# The date that is the document's own, by type: an order confirmation's order date, a
# delivery note's delivery date.
_OWN_DATE = {"order_confirmation": "order_date", "delivery_note": "delivery_date"}
_NOT_OWN = ("due_date", "order_date", "delivery_date", "other_date")


def document_dates(page: Page, number_line: int | None, doc_type: str = "invoice") -> list[Candidate]:
    out = labelled(page, ("document_date",), lambda i, t, o: _first_date(page, i, t, o))
    if doc_type in _OWN_DATE:
        out += labelled(page, (_OWN_DATE[doc_type],), lambda i, t, o: _first_date(page, i, t, o), score=0.9)
    out += labelled(page, ("date",), lambda i, t, o: _first_date(page, i, t, o), score=0.8)
    if number_line is not None:  # "Facture n° 123 du 02 juillet 2015"
        for hit in page.dates[number_line]:
            if not _labelled_otherwise(page, number_line, hit):
                out.append(Candidate(hit.value, 0.6, number_line, "number-line", hit.ambiguous))
    for i, hits in enumerate(page.dates[:40]):  # the first unlabelled date near the top
        for hit in hits:
            if not _labelled_otherwise(page, i, hit):
                out.append(Candidate(hit.value, 0.35, i, "first-date", hit.ambiguous))
                return out
    return out


def _labelled_otherwise(page: Page, i: int, date: DateHit) -> bool:
    """Does a due / order / delivery label precede this date on its line, or head its column?"""
    before = [h for h in page.labels[i] if h.end <= date.start]
    if before and before[-1].kind in _NOT_OWN:
        return True
    for j in (i - 1, i - 2):
        if j >= 0 and page.lines[j].page == page.lines[i].page:
            x0, x1 = page.lines[i].span(date.start, date.end)
            for h in page.labels[j]:
                hx0, hx1 = page.lines[j].span(h.start, h.end)
                if h.kind in _NOT_OWN and hx0 < x1 and x0 < hx1:
                    return True
    return False


_TERMS = re.compile(
    r"(\d{1,3})\s*(?:days|day|tage|tagen|jours|dagen|d[íi]as|giorni|dias)\b", re.I)
_TERMS_CONTEXT = re.compile(
    r"net|netto|payment|terms|zahlung|zahlbar|paiement|r[èe]glement|betaling|betaaltermijn|pago|pagamento|condiciones", re.I)


def due_dates(page: Page, document_date: dt.date | None, doc_type: str) -> list[Candidate]:
    """A labelled due date, else (on an invoice) the document date plus the payment terms."""
    out = labelled(page, ("due_date",), lambda i, t, o: _first_date(page, i, t, o))
    if document_date is not None and doc_type == "invoice":
        for i, line in enumerate(page.lines):
            m = _TERMS.search(line.text)
            if m and _TERMS_CONTEXT.search(line.text) and 0 < int(m.group(1)) <= 180:
                out.append(Candidate(document_date + dt.timedelta(days=int(m.group(1))), 0.5, i, "terms"))
    return out


def amounts(page: Page, kind: str) -> list[Candidate]:
    """Money after (or under) the labels of one kind: the last amount before the next label
    (``Tax 15% on $ 112.90 $ 16.94`` is 16.94), later occurrences ranked a little higher."""

    def read(i: int, text: str, offset: int):
        found = [a for a in page.amounts(i) if offset <= a.start < offset + len(text)]
        if not found:
            return None
        return found[-1], found[-1].ambiguous

    out = [c for c in labelled(page, (kind,), read) if c.line not in page.item_lines]
    last = max(len(page.lines) - 1, 1)
    for c in out:
        c.score = min(1.0, c.score * (0.95 + 0.05 * c.line / last))
    return out


_VAT_PREFIXES = "AT|BE|BG|CHE|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI"
# The country a VAT label implies, for a number printed without its prefix ("P.IVA 04128730266").
_LABEL_COUNTRY = [(re.compile(p, re.I), c) for p, c in (
    (r"p\.?\s?iva|partita", "IT"), (r"nipc|contribuinte", "PT"), (r"ust|umsatzsteuer", "DE"), (r"mwst", "CHE"),
    (r"btw", "NL"), (r"tva", "FR"), (r"cif", "ES"))]


def vats(page: Page, language: str | None = None, supplier: str | None = None) -> list[Candidate]:
    """The supplier's VAT number: EU-shaped numbers anywhere, any number after a VAT-id label;
    one in the customer's address block, or in a cell (or after a label) that names the
    customer ("Your VAT No.", "UID Kunde"), is the customer's. One in the supplier's block (under
    its name) or in a footer ranks higher. A number printed without its country gets the one
    its label implies (a NIF the document's language)."""
    out: list[Candidate] = []
    bottoms = {p: max(line.bottom for line in page.lines if line.page == p) for p in {line.page for line in page.lines}}
    for i, line in enumerate(page.lines):
        for k, (cell, start) in enumerate(zip(line.cells, line.cell_starts, strict=True)):
            offset = start + len(cell.text) + 2
            before = line.cells[k - 1].text if k else ""
            if (i, k) in page.customer_cells or CUSTOMER_WORDS.search(f"{before} {cell.text}"):
                continue
            labelled_here = [h for h in page.labels[i] if h.kind == "vat_id" and start - 2 <= h.end <= offset]
            bonus = 0.2 if line.top > 0.8 * bottoms[line.page] else 0.0
            if supplier and supplier.casefold() in _block_above(page, i, cell).casefold():
                bonus += 0.3
            for vat in vat_numbers(cell.text):
                out.append(Candidate(vat, (1.0 if labelled_here else 0.8) * 0.7 + bonus, i, "vat-shape"))
            for hit in labelled_here:
                m = re.match(r"[\s:.#]*([A-Z]{0,3}[\s.-]?\d[\d\s.\-A-Z]{6,16}\d[A-Z]?)", line.text[hit.end:offset])
                if not m:
                    continue
                value = compact(m.group(1)).replace("-", "").replace(".", "").upper()
                if sum(c.isdigit() for c in value) < 7 or any(c.value == value for c in out):
                    continue
                if not re.match(rf"(?:{_VAT_PREFIXES})(?=\w*\d)", value):  # printed without its country
                    value = _country(line.text[hit.start:hit.end], language) + value
                out.append(Candidate(value, 0.5 + bonus, i, "label:vat_id"))
    return out


def _block_above(page: Page, i: int, cell) -> str:
    """The text of the block a cell ends: the cells aligned with it on the lines just above."""
    texts = [cell.text]
    previous = page.lines[i]
    for j in range(i - 1, max(i - 8, -1), -1):
        line = page.lines[j]
        if line.page != previous.page or previous.top - line.bottom > 1.6 * line.height:
            break
        aligned = [c for c in line.cells if abs(c.x0 - cell.x0) <= 1.5 * line.size]
        if not aligned or any(len(_SENDER_SPLIT.split(c.text)) >= 2 for c in aligned):
            break  # the block's top; an envelope's sender line above an address is not part of it
        texts += [c.text for c in aligned]
        previous = line
    return " ".join(texts)


def _country(label: str, language: str | None) -> str:
    for pattern, country in _LABEL_COUNTRY:
        if pattern.search(label):
            return country
    if re.search(r"nif", label, re.I):
        return {"pt": "PT", "es": "ES"}.get(language or "", "")
    return ""


_LIST_SPLIT = re.compile(r"\s*(?:[,;&+]|\b(?:and|und|et|y|e|en)\b)\s*")


def po_references(page: Page) -> list[Candidate]:
    """The customer's order numbers: after (or under) a PO label, a list of them counts ("P.O. #
    7781-A, 7790-B"); Odoo-shaped references anywhere."""
    out = labelled(page, ("po",), lambda i, t, o: _pair(_id_value(t)), score=0.9)
    for c in list(out):
        line = page.lines[c.line].text
        at = line.find(c.value)
        rest = line[at + len(c.value):].split("  ")[0] if at >= 0 else ""
        for part in _LIST_SPLIT.split(rest)[1:]:
            value = _id_value(part)
            if value is None:
                break
            out.append(Candidate(value, c.score, c.line, c.how))
    for i, line in enumerate(page.lines):
        for ref in text_po_refs(line.text):
            out.append(Candidate(ref, 0.8, i, "po-shape"))
    return out


_SENDER_SPLIT = re.compile(r"\s+[-–·|•]\s+")
_TITLE = re.compile(rf"^\s*(?:{DOC_NOUN})\b[\s.:]*|[\s.:]*\b(?:{DOC_NOUN})\b[\s.:]*$", re.I)
_NOT_NAME = re.compile(r"@|www\.|https?:|\d{3,}|^\W*$|\b(?:page|seite|pagina|página|bladzijde|tel|fax|phone)\b", re.I)


def supplier_names(page: Page) -> list[Candidate]:
    """The supplier's name: a letterhead (the largest type near the top of the first page), a
    name with a legal form, the sender line of a window envelope ("Name - Street - Town")."""
    first = [(i, line) for i, line in enumerate(page.lines) if line.page == page.lines[0].page]
    if not first:
        return []
    body = sorted(line.size for _, line in first)[len(first) // 2]
    page_bottom = max(line.bottom for _, line in first)
    largest_top = max((max(w.size for w in cell.words) for _, line in first if line.top < page_bottom * 0.3
                       for cell in line.cells if re.sub(r"[\W_]+", "", _TITLE.sub("", cell.text))), default=body)  # titles aside
    out: list[Candidate] = []
    for i, line in first:
        customer = any(h.kind == "customer" for h in page.labels[i]) or (
            i > 0 and any(h.kind == "customer" for h in page.labels[i - 1]))
        for cell in line.cells:
            text = _TITLE.sub("", cell.text).strip(" ,:;|•*")
            text = text.split(":")[-1].strip() if ":" in text else text  # "Sold by: Name Ltd"
            parts = _SENDER_SPLIT.split(text)
            name = parts[0].strip()
            if (len(name) < 2 or _NOT_NAME.search(name) or len(name) > 60 or len(name.split()) > 6 or customer
                    or name[0].isdigit()):
                continue
            score = 0.0
            if LEGAL_FORM.search(name):
                score += 0.5
            if len(parts) >= 3 and line.top < page_bottom * 0.4:  # "Name AG - Street 40 - Town": an envelope's sender line
                score += 0.3
            cell_size = max(w.size for w in cell.words)
            if cell_size >= body * 1.3 and cell_size >= largest_top - 0.1 and line.top < page_bottom * 0.3:
                score += 0.4  # the letterhead: the largest type near the top
            if any(w.bold for w in cell.words):
                score += 0.1
            if line.top < page_bottom * 0.25:
                score += 0.15
            if score >= 0.4:
                out.append(Candidate(name, min(score, 1.0), i, "name"))
    return out
