"""Line items from the layout: a heading row names the columns (in seven languages), the rows
under it fill them by position until the totals; a table that goes on over a page break
resumes under its repeated heading. Numbers go to the numeric column nearest them, words to
the code, unit or description column they sit under; a row without numbers continues the
description of the row above.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from triage.ingest.document.labels import label_hits
from triage.ingest.document.layout import Line, Word
from triage.ingest.document.values import DateHit, adds_up, currency_code, find_dates, parse_number

_ROLES = {
    "sku": r"sku|item\s*(?:no\.?|#|code)|art(?:ikel)?\.?\s*-?\s*(?:nr|nummer|no)\.?|artikel(?:nr\.?|code|nummer)|product\s*code|code"
           r"|code\s+article|r[ée]f(?:[ée]rence)?\.?|c[óo]digo|codice|cod\.|referencia|refer[êe]ncia|part\s*(?:no\.?|number|#)"
           r"|material(?:nummer)?|ref\.",
    "description": r"description|item|article|product(?:\s+title)?|bezeichnung|beschreibung|artikel(?:bezeichnung)?|leistung"
                   r"|d[ée]signation|libell[ée]|omschrijving|artikel|descripci[óo]n|concepto|art[íi]culo|descrizione|articolo"
                   r"|descri[çc][ãa]o|artigo|produto|designa[çc][ãa]o",
    "quantity": r"qty\.?|quantity|menge|anzahl|qt[ée]\.?|quantit[ée]|nombre|aantal|hoeveelheid|cantidad|cant\.|uds\.?"
                r"|shipped|delivered|despatched|dispatched|qty\s+shipped|geliefert|liefermenge|livr[ée]e?|qt[ée]\s+livr[ée]e"
                r"|geleverd|entregad[oa]"
                r"|servid[oa]|consegnat[oa]|entregue|expedid[oa]"
                r"|q\.?\s?t[àa]\.?|quantit[àa]|qtd\.?|quantidade|qty\s+\w+",
    "unit": r"unit|uom|u\.?o\.?m\.?|unit[ée]|einheit|me|eenheid|unidad|ud\.?|unit[àa]|u\.?m\.?|unidade|un\.?",
    "unit_price": r"unit\s*price|price|rate|unit\s*cost|(?:einzel|stück)?preis|e-?preis|vk-?preis|ep|prix(?:\s+unitaire)?(?:\s+ht)?"
                  r"|p\.?\s?u\.?(?:\s+ht)?|prijs(?:\s+per\s+stuk)?|stukprijs|eenheidsprijs|precio(?:\s+unitario)?"
                  r"|prezzo(?:\s+unitario)?|pre[çc]o(?:\s+unit[áa]rio)?|p\.?\s?unit\.?|price\s+per\s+unit|unit\s+rate",
    "subtotal": r"amount|line\s+total|total|net\s+amount|ext(?:ended)?\.?\s*price|(?:gesamt|zeilen)?betrag|gesamt(?:preis)?"
                r"|summe|montant(?:\s+ht)?|total\s+ht|bedrag|totaal|importe|importo|valor|total\s+l[íi]quido|netto|net"
                r"|prijs\s+incl\.?\s+btw|subtotal|wert|gesamtwert|valore|value|line\s+value|valeur|waarde",
    "discount": r"disc(?:ount)?\.?\s*%?|rabatt\s*%?|remise(?:\s*%)?|korting(?:\s*%)?|descuento|dto\.?\s*%?|sconto(?:\s*%)?"
                r"|desconto(?:\s*%)?|desc\.\s*%?|sc\.?\s*%|rab\.?\s*%|rem\.?\s*%",
    "tax": r"tax(?:es)?(?:\s*\(?%\)?)?|vat(?:\s*%)?|mwst\.?(?:\s*%)?|ust\.?|tva(?:\s*%)?|btw(?:\s*%)?|iva(?:\s*%)?|imposte"
           r"|impuestos|impostos|steuer|taxe|belasting",
    "pos": r"pos\.?|position|line|lin\.?|regel|riga|r\.|#|nr\.?|no\.?|lfd\.?\s*nr\.?|n[°º]",
    "ordered": r"ordered|qty\s+ordered|bestellt|bestellmenge|command[ée]e?|qt[ée]\s+command[ée]e|besteld|pedid[oa]|ordinat[oa]"
               r"|encomendad[oa]|b/o|back\s?-?orders?|r[üu]ckstand|reliquat|restant|open|pendiente|residuo|pendente"
               r"|to\s+follow|outstanding|nachlieferung|[àa]\s+suivre|volgt|te\s+leveren|da\s+consegnare",
    "lot": r"lot(?:\s*/\s*serial)?(?:\s+(?:no\.?|number))?|serial\s+(?:no\.?|number)|batch(?:\s+no\.?)?|charge(?:n?-?nr\.?)?"
           r"|n[°º]\s+de\s+lot|lotto|lote|partij|seriennummer",
    "date": r"(?:ship(?:ping)?|delivery|dispatch)\s+date|delivery|termin|liefertermin|lieferdatum|lieferwoche|date\s+de\s+livraison"
            r"|livraison|leverdatum|leverweek|levering|fecha\s+(?:de\s+)?entrega|entrega|data\s+(?:di\s+)?consegna|consegna"
            r"|data\s+(?:de\s+)?entrega|prazo",
}
_ROLE_RES = {role: re.compile(rf"(?<![\w])(?:{pattern})(?![\w])", re.I) for role, pattern in _ROLES.items()}
_NUMERIC = ("quantity", "unit_price", "subtotal", "discount", "tax", "pos", "ordered")
_TEXT = ("sku", "unit", "description", "date", "lot")
# Heading words that name the description itself; the others ("Item", "Artikel") name the
# code when a description column is there too.
_STRONG_DESCRIPTION = re.compile(
    r"description|bezeichnung|beschreibung|d[ée]signation|libell[ée]|omschrijving|descripci[óo]n|concepto|descrizione"
    r"|descri[çc][ãa]o|designa[çc][ãa]o|product\s+title", re.I)
_STOP = re.compile(
    r"^\W*(?:sub\s?-?total|total|totaal|totale|gesamt|summe|zwischensumme|netto|nettobetrag|montant|sous-total|net\s+[àa]"
    r"|base\s+imponible|imponibile|subtotaal|subtotale|amount\s+due|balance|grand|tax|vat|mwst|ust|tva|btw|iva"
    r"|exclusief|excl\.|payment|zahlung|paiement|betaling|pago|pagamento|bank|iban)\b", re.I)
_CARRIED = re.compile(
    r"carried\s+forward|brought\s+forward|[üu]bertrag|report\b|[àa]\s+reporter|transporte|riporto|a\s+transportar"
    r"|van\s+vorige|naar\s+volgende", re.I)
_BRACKET_CODE = re.compile(r"^\[([^\]\s]+)\]$")
_CODE_LINE = re.compile(
    r"^(?:sku|item\s*(?:no\.?|#|code)|art(?:ikel)?\.?\s*-?\s*nr\.?|artikelnummer|r[ée]f(?:[ée]rence)?\.?|code|c[óo]digo"
    r"|codice|part\s*(?:no\.?|number))\s*[:.#]?\s*([A-Z0-9][\w./-]*)$", re.I)
_CONTINUED_WORD = re.compile(r"^\W*(?:page|seite|pagina|página|bladzijde|p\.)\s*\d", re.I)


@dataclass
class Column:
    role: str
    x0: float
    x1: float

    def distance(self, x0: float, x1: float) -> float:
        if x0 < self.x1 and self.x0 < x1:
            return 0.0
        return min(abs(x0 - self.x1), abs(self.x0 - x1))


@dataclass
class Item:
    sku: str | None = None
    description: str = ""
    quantity: float | None = None
    unit: str | None = None
    unit_price: float | None = None
    subtotal: float | None = None
    discount: float | None = None
    ambiguous: list[str] = field(default_factory=list)
    line: int = 0
    worded: bool = False  # has a word that is not a number: a row, not a line of totals
    x0: float = 0.0  # where its description starts (for joining a wrapped one)
    stray: bool = False  # words where only numbers belong

    def as_dict(self) -> dict:
        return {"sku": self.sku, "description": self.description.strip() or None, "quantity": self.quantity,
                "unit": self.unit, "unit_price": self.unit_price, "subtotal": self.subtotal}


def heading(line: Line) -> list[Column] | None:
    """The columns a heading row names, or None when the line is not a table heading."""
    if any(_number(w.text, None) is not None for w in line.words):
        return None  # a heading names columns; a line with numbers is a row
    hits = sorted(((m.start(), m.end(), role) for role, pattern in _ROLE_RES.items() for m in pattern.finditer(line.text)),
                  key=lambda h: (h[0] - h[1], h[0]))
    kept: list[tuple[int, int, str]] = []
    for start, end, role in hits:  # the longest heading word wins ("Unit price" over "Unit")
        if all(end <= k[0] or k[1] <= start for k in kept):
            kept.append((start, end, role))
    columns = [Column(role, *line.span(start, end)) for start, end, role in kept]
    described = [(c, line.text[s:e]) for c, (s, e, _) in zip(columns, kept, strict=True) if c.role == "description"]
    if len(described) > 1 and any(_STRONG_DESCRIPTION.fullmatch(t.strip()) for _, t in described):
        for column, text in described:
            if not _STRONG_DESCRIPTION.fullmatch(text.strip()):
                column.role = "sku"
    roles = {c.role for c in columns}
    has_numbers = roles & {"quantity", "unit_price", "subtotal"}
    if len(roles) >= 3 and has_numbers and roles & {"description", "sku", "quantity"} or {"quantity", "description"} <= roles:
        return _merge(columns)
    return None


def _merge(columns: list[Column]) -> list[Column]:
    """One column per role, except the ignored numeric ones (two tax columns: rate and
    amount); of two line-total headings the later is the line total."""
    out: list[Column] = []
    for column in sorted(columns, key=lambda c: c.x0):
        same = [c for c in out if c.role == column.role]
        if same and column.role == "subtotal":
            out.remove(same[0])
        elif same and column.role not in ("tax", "discount", "pos", "ordered", "date"):
            continue
        out.append(column)
    return out


def items(lines: list[Line], decimal: str | None, month_first: bool | None) -> list[Item]:
    """The rows under each table heading. A totals line (a subtotal between groups, a tax
    line) suspends the table: after it only a full row (quantity and a price) resumes it."""
    found: list[Item] = []
    columns: list[Column] | None = None
    current: Item | None = None
    previous: Line | None = None
    suspended = False
    heading_line = -1
    for i, line in enumerate(lines):
        cols = heading(line)
        if cols is not None:
            columns, current, previous, suspended, heading_line = cols, None, line, False, i
            continue
        if columns is None:
            continue
        if previous is not None and (line.page != previous.page or line.top - previous.bottom > 4 * line.height):
            columns, current = None, None  # a new page waits for the repeated heading; a wide gap ends the table
            continue
        if _CARRIED.search(line.text):  # carried to the next page ends this page's rows; brought forward does not
            if found and found[-1].line > heading_line:
                columns, current = None, None
            continue
        if _CONTINUED_WORD.match(line.text):
            continue
        row = _row(line, columns, decimal, month_first)
        full = row.quantity is not None and (row.unit_price is not None or row.subtotal is not None)
        numbers = row.quantity is not None or row.subtotal is not None or row.unit_price is not None
        if _STOP.match(line.text) or (_totals_label(line) and not _adds_up(row)):
            suspended, current = True, None  # a (sub)total: rows may follow (the next section)
        elif row.stray:  # text across the columns: the table has ended (before its first row: a heading's 2nd line)
            if found and found[-1].line > heading_line:
                columns, current = None, None
            continue
        elif (full or (not suspended and numbers)) and row.worded:
            row.line, suspended, current = i, False, row
            found.append(row)
        elif (current is not None and row.description and not numbers and "__" not in line.text
              and re.search(r"[^\W_]", row.description)
              and line.top - previous.bottom < 1.2 * line.height and abs(line.size - lines[current.line].size) < 0.6
              and not _field_label(line) and _in_text_zone(line, columns)):
            current.description = f"{current.description} {row.description}".strip()
        elif (current is not None and current.sku is None and (code := _CODE_LINE.match(line.text.strip()))
              and line.top - previous.bottom < 1.2 * line.height):
            current.sku = code.group(1)  # "SKU: NG-1000-L" under the description, often in smaller type
        previous = line
    return found


def _in_text_zone(line: Line, columns: list[Column]) -> bool:
    """Does the line sit where descriptions are (not across the page like a footer)?"""
    text = [c for c in columns if c.role in ("description", "sku")]
    if not text:
        return True
    left = min(c.x0 for c in text) - 3 * line.size
    right_of = [c.x0 for c in columns if c.role in _NUMERIC and c.x0 > max(c.x0 for c in text)]
    right = min(right_of) if right_of else float("inf")
    return all(left <= (w.x0 + w.x1) / 2 < right for w in line.words)


def arithmetic_items(lines: list[Line], decimal: str | None, month_first: bool | None) -> list[Item]:
    """Rows found without a heading (a table printed without one, a heading OCR could not
    read): a line whose numbers include quantity, unit price and subtotal with quantity x
    unit price = subtotal, and words before them; a wrapped description line under one is
    joined to it."""
    found: list[Item] = []
    current: Item | None = None
    for i, line in enumerate(lines):
        dates = find_dates(line.text, month_first)
        spans = [line.span(d.start, d.end) for d in dates]
        words = [w for w in _grouped(line.words, decimal) if not any(x0 <= w.x0 and w.x1 <= x1 for x0, x1 in spans)]
        numbers = [(k, v) for k, w in enumerate(words) if not w.text.endswith("%")
                   and (v := _number(w.text, decimal)) is not None]
        item = _arithmetic_row(words, numbers)
        if item is not None and not _STOP.match(line.text) and not _totals_label(line):
            item.line, current = i, item
            found.append(item)
            continue
        if (current is not None and line.page == lines[current.line].page and "__" not in line.text
                and line.top - lines[i - 1].bottom < 1.2 * line.height and not _field_label(line)
                and abs(line.words[0].x0 - current.x0) < 2 * line.size):
            current.description = f"{current.description} {line.text}".strip()
        else:
            current = None
    return found


def _arithmetic_row(words: list[Word], numbers: list[tuple[int, tuple[float, bool]]]) -> Item | None:
    """(quantity, unit price, subtotal) among the last four numbers of a row, in this order."""
    tail = numbers[-4:]
    for a in range(len(tail)):
        for b in range(a + 1, len(tail)):
            c = len(tail) - 1  # the subtotal is the row's last number
            if c <= b:
                continue
            (qi, (q, _)), (pi, (p, _)), (_, (sub, _)) = tail[a], tail[b], tail[c]
            if q <= 0 or sub == 0 or not adds_up(q, p, sub):
                continue
            body = words[:qi]
            if len(body) > 1 and _number(body[0].text, None) is not None:
                body = body[1:]  # a leading position number
            text = [w for w in body if not _is_symbol(w.text)]
            if not any(_number(w.text, None) is None for w in text):
                continue
            item = Item(quantity=q, unit_price=p, subtotal=sub, worded=True)
            between = [w for w in words[qi + 1:pi] if not _is_symbol(w.text)]
            if len(between) == 1 and unit_key(between[0].text) in _UNITS:
                item.unit = between[0].text
            if len(text) > 1 and re.search(r"\d", text[0].text) and re.search(r"[A-Za-z]", text[0].text):
                item.sku, text = text[0].text, text[1:]
            item.description = " ".join(w.text for w in text)
            item.x0 = text[0].x0 if text else words[0].x0
            return item
    return None


def _adds_up(row: Item) -> bool:
    return None not in (row.quantity, row.unit_price, row.subtotal) and adds_up(
        row.quantity, row.unit_price, row.subtotal, row.discount or 0.0)


_FIELD_LABELS = {"po", "document_number", "order_number", "document_date", "due_date", "vat_id", "amount_total",
                 "amount_untaxed", "amount_tax"}


def _field_label(line: Line) -> bool:
    """Does the line carry a header field's label ("Ihre Bestellung P00425 vom ...")? Then it
    is not the rest of a description."""
    return any(h.kind in _FIELD_LABELS for h in label_hits(line.text))


def _totals_label(line: Line) -> bool:
    return any(h.kind in ("amount_total", "amount_untaxed", "amount_tax") for h in label_hits(line.text))


def _row(line: Line, columns: list[Column], decimal: str | None, month_first: bool | None) -> Item:
    item = Item()
    dates: list[DateHit] = find_dates(line.text, month_first)
    words = [w for w in line.words if not any(line.span(d.start, d.end)[0] <= w.x0 and w.x1 <= line.span(d.start, d.end)[1]
                                              for d in dates)]
    words = _grouped(words, decimal)
    numbers: list[tuple[Word, float, bool]] = []
    percents: list[Word] = []
    texts: list[Word] = []
    for k, word in enumerate(words):
        if word.text == "%":
            continue
        parsed = _number(word.text, decimal)
        percent = word.text.endswith("%") or (k + 1 < len(words) and words[k + 1].text == "%")
        if parsed is None:
            texts.append(word)
        elif percent:
            percents.append(word)
        else:
            numbers.append((word, *parsed))
    numeric = [c for c in columns if c.role in _NUMERIC]
    taken: dict[str, tuple[Word, float, bool]] = {}
    reach = 3 * max((w.size for w in words), default=10.0)  # a number this far from every numeric column is text
    text_left = min((c.x0 for c in columns if c.role in ("description", "sku")), default=float("inf"))
    pairs = sorted((c.distance(w.x0, w.x1), ni, c.role) for ni, (w, _, _) in enumerate(numbers) for c in numeric
                   if c.distance(w.x0, w.x1) <= reach and (c.role != "pos" or w.x1 <= text_left + 1))
    used: set[int] = set()
    for _, ni, role in pairs:
        if ni in used or role in taken:
            continue
        taken[role] = numbers[ni]
        used.add(ni)
    for word in percents:  # a rate under a discount heading; else it is text ("100% cotton") or a tax rate
        near = [c for c in numeric if c.role in ("discount", "tax") and c.distance(word.x0, word.x1) <= reach]
        parsed = _number(word.text.rstrip("%"), decimal)
        if near and near[0].role == "discount" and "discount" not in taken and parsed is not None:
            taken["discount"] = (word, *parsed)
        elif not near:
            texts.append(word)
    first_numeric = min((c.x0 for c in numeric if c.x0 > min((t.x1 for t in columns if t.role == "description"),
                                                               default=0.0)), default=float("inf"))
    leftovers = [numbers[ni][0] for ni in range(len(numbers))  # numbers in the text, not under a numeric heading
                 if ni not in used and (numbers[ni][0].x0 + numbers[ni][0].x1) / 2 < first_numeric]
    for role in ("quantity", "unit_price", "subtotal", "discount"):
        if role in taken:
            word, value, ambiguous = taken[role]
            setattr(item, role, value)
            if ambiguous:
                item.ambiguous.append(role)
    parts: dict[str, list[Word]] = {"sku": [], "unit": [], "description": [], "date": [], "lot": []}
    text_columns = [c for c in columns if c.role in _TEXT]
    for word in sorted(texts + leftovers, key=lambda w: w.x0):
        if _is_symbol(word.text):
            continue
        role = "description"
        if text_columns:
            best = min(text_columns, key=lambda c: (c.distance(word.x0, word.x1), c.role != "description"))
            if best.distance(word.x0, word.x1) == 0 or best.role == "description":
                role = best.role
        in_numbers = (word.x0 + word.x1) / 2 > first_numeric
        unit = "quantity" in taken and _unit_word(word, taken["quantity"][0])
        if in_numbers and not unit and role == "description" and any(_unit_word(word, w) for w, _, _ in numbers):
            continue  # "12.00 Units" under an ordered column: the unit of another number
        if in_numbers and not unit and role == "description" and (not re.search(r"[^\W_]", word.text) or (
                len(word.text) <= 3 and any(c.distance(word.x0, word.x1) == 0 for c in numeric))):
            continue  # a dash in an empty column, a tax code ("22% G") beside a number: not the row's text
        if role == "description" and in_numbers and not unit:
            item.stray = True  # words across the numeric columns: a sentence or a footer, not a row
            continue
        if role == "description" and item.quantity is not None and "quantity" in taken and "unit" not in {
                c.role for c in columns} and _unit_word(word, taken["quantity"][0]):
            role = "unit"
        parts[role].append(word)
    item.worded = any(_number(w.text, decimal) is None and not _is_symbol(w.text) for w in parts["sku"] + parts["description"])
    item.sku = " ".join(w.text for w in parts["sku"]) or None
    if item.sku is None and parts["description"] and (code := _BRACKET_CODE.match(parts["description"][0].text)):
        item.sku = code.group(1)  # Odoo prints "[CODE] Name": the code stays in the description too
    item.unit = " ".join(w.text for w in parts["unit"]) or None
    item.description = " ".join(w.text for w in parts["description"])
    return item


def _grouped(words: list[Word], decimal: str | None) -> list[Word]:
    """Words of one number split at a thousands space ("1 240,00") joined again: a group of
    three digits right after one to three digits, closer than a column gap."""
    out: list[Word] = []
    for word in words:
        prev = out[-1] if out else None
        if (prev is not None and decimal == "," and re.fullmatch(r"-?\d{1,3}(?: \d{3})*", prev.text)
                and re.fullmatch(r"\d{3}(?:,\d+)?", word.text) and word.x0 - prev.x1 < 0.5 * word.size):
            out[-1] = Word(f"{prev.text} {word.text}", prev.x0, word.x1, prev.top, word.bottom, word.size, word.bold, word.page)
        else:
            out.append(word)
    return out


def _is_symbol(text: str) -> bool:
    return currency_code(text) is not None or text.lower().rstrip(".") in ("kr", "zł", "kč")


def _number(text: str, decimal: str | None) -> tuple[float, bool] | None:
    token = text.strip()
    for symbol in ("€", "$", "£", "¥", "₹"):
        token = token.replace(symbol, "")
    token = token.rstrip("%") if token.endswith("%") else token
    if not re.fullmatch(r"-?\d{1,3}(?:[.,'’ ]\d{3})*(?:[.,]\d+)?-?|-?\d+(?:[.,]\d+)?-?", token):
        return None
    negative = token.startswith("-") or token.endswith("-")
    parsed = parse_number(token.strip("-"), decimal)
    if parsed is None:
        return None
    return (-parsed[0] if negative else parsed[0]), parsed[1]


_UNITS = set("""
pc pcs piece pieces ea each unit units u un uds ud unid unidad unidades pz pza pzas pezzi pz. st st. stk stk. stück stck
pce pces pièce pièces stuk stuks kg g gr mg t to l lt ltr ml m mm cm km m2 m3 m² m³ lfm ft in yd lb lbs oz gal box boxes
ctn carton cartons pack packs pk pkt paq pair pairs pr set sets roll rolls rol doz dozen h hr hrs hour hours std uur ore
horas night nights day days tag tage jour jours dag dagen día días giorno giorni dia dias month months satz sätze paar
rolle rollen karton kartons pauschal psch pauschale flat lot lots forfait sacco sacchi caja cajas rollo rollos bolsa saco
unità unidades unités unité unidade unidades eenheden einheit einheiten stk. pz.
""".split())


def _unit_word(word: Word, quantity: Word) -> bool:
    """A unit word just right of the quantity ("1.00 kg", "1 PCS")."""
    return 0 <= word.x0 - quantity.x1 < 2 * word.size and unit_key(word.text) in _UNITS


def unit_key(text: str) -> str:
    """A unit word as the list holds it: "Unité(s)" -> "unité", "Stk." -> "stk"."""
    return re.sub(r"\(s\)$|[.,:]+$", "", text.lower())
