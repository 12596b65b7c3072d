"""Fields from a supplier's text: PO refs, invoice refs, the new date, amounts, tracking, SKUs.

Pure functions over text (subject and body including quoted history, per the labelling
rules). Labels in en, de, fr, es, nl, it and pt; number formats ``1.234,56``, ``1,234.56``,
``1 234,56``; dates as ISO, ``dd.mm.yyyy``, written months in seven languages and calendar
weeks (resolved to their ISO Monday).
"""

from __future__ import annotations

import datetime as dt
import math
import re

from triage.domain import Fields, Money

# --- PO references ---------------------------------------------------------------------------

_ODOO_PO = re.compile(r"(?<![A-Za-z0-9/-])(P\d{5})(?![\w/-])")
_DASHED_PO = re.compile(r"(?<![\w/-])(PO-\d{4}-\d{3,6})(?![\w-])", re.I)
_PO_LABEL = re.compile(
    r"(?:\bP\.?O\.?|\bpurchase order|\byour order|\bour PO|\bIhre[rn]? Bestellung|\bBestell(?:ung|nummer|-Nr\.?)"
    r"|\bvotre commande|\bbon de commande|\bsu pedido|\bnuestro pedido|\borden de compra|\buw bestelling"
    r"|\binkooporder|\bbestelnummer|\bvostro ordine|\bordine d'acquisto|\bordine n|\bseu pedido"
    r"|\bpedido de compra|\bencomenda)"
    r"\s*+(?:n[or]?\.?|nr\.?|no\.?|n°|nº|num(?:ber|ero|éro)?|#|:)?\s*+[:#]?\s*+"  # possessive: blanks go
    r"([A-Z]{0,4}-?\d[\w/-]{3,})",  # to the first \s* anyway, and sharing a long run out between them is cubic
    re.I,
)


def po_refs(text: str) -> list[str]:
    found: list[str] = []
    for pattern in (_ODOO_PO, _DASHED_PO):
        found += [m.group(1) for m in pattern.finditer(text)]
    for m in _PO_LABEL.finditer(text):
        ref = m.group(1).rstrip(".,;:-/")
        if _ODOO_PO.fullmatch(ref) or _DASHED_PO.fullmatch(ref) or re.fullmatch(r"\d{5,10}", ref):
            found.append(ref)
    return _unique(found)


# --- invoice references ----------------------------------------------------------------------

_INVOICE_LABEL = re.compile(
    r"(?<![\w/-])(?:invoices?|inv\.?|credit[ -]notes?|credit[ -]memos?|debit[ -]notes?|pro[ -]?forma(?: invoice)?|PI"
    r"|commercial invoice|(?:Handels|Storno|Schluss|Abschlags)?rechnung(?:en|snummer|s-Nr\.?)?|Gutschrift(?:snummer)?"
    r"|Lastschrift|Belastungsanzeige|factures?|avoirs?|facturas?|abono|notas? de cr[ée]dito|notas? de d[ée]bito"
    r"|factu(?:u|ur)r(?:nummer)?|facturen|creditnota|fatture|fattura|note? di (?:credito|addebito)|faturas?|nota fiscal)"
    r"(?:\s+(?:commerciale?|comercial|accompagnatoria|rectificativa|corregida|corrigida|substitutiva|corrected"
    r"|d'acompte|de anticipo|di acconto))?"
    r"(?![\w-])\s*[:#]?\s*(?:(?:n\.?\s?[°º]|num(?:ber|ero|éro)?s?|nr\.?|no\.?|n[or]\.?|n\.)(?![A-Za-z])|#)?\s*[:#]?\s*",
    re.I,
)
_INVOICE_TOKEN = re.compile(r"(?:[A-Z]{1,5}[-/ ]?){0,3}\d[\w/.-]*[\w]")
_INVOICE_SHAPE = re.compile(
    r"(?<![\w/-])((?:[A-Z]{1,5}-){0,2}(?:INV|RE|CN|GS|FA|FC|NC|FT|FV)[-/]?(?:[A-Z]{1,4}[-/])?\d{2,6}(?:[-/]\d+){0,2})(?![\w-])"
)


def invoice_refs(text: str, pos: list[str] | None = None) -> list[str]:
    """Invoice, credit-note, debit-note and proforma numbers; ``pos`` (our PO refs, when
    already found) are never invoice refs."""
    found: list[tuple[int, str]] = []
    for m in _INVOICE_LABEL.finditer(text):
        rest = text[m.end() : m.end() + 200].split("\n", 1)[0]
        first_shape = None
        for piece in _LIST_SPLIT.split(rest):
            token = _INVOICE_TOKEN.match(piece.strip())
            if not token:
                break
            ref = token.group(0).rstrip(".,;:-/")
            if (sum(c.isdigit() for c in ref) < 3 or re.fullmatch(r"(19|20)\d\d", ref) or _looks_like_date(ref)
                    or re.match(rf"(?:{_CODES})\b", ref)):
                break
            if first_shape is not None and _shape(ref) != first_shape:  # a list holds refs of one shape
                break
            first_shape = _shape(ref)
            found.append((m.end(), ref))
    found += [(m.start(), m.group(1)) for m in _INVOICE_SHAPE.finditer(text)]
    found.sort()
    ours = set(po_refs(text) if pos is None else pos)
    return _unique(f for _, f in found if f not in ours)


def _shape(token: str) -> str:
    return re.sub(r"\d+", "9", re.sub(r"[A-Za-z]+", "A", token))


def _looks_like_date(token: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d\d-\d\d", token))


# --- amounts ---------------------------------------------------------------------------------

_SYMBOLS = {"€": "EUR", "$": "USD", "US$": "USD", "£": "GBP", "¥": "JPY", "CHF": "CHF", "Fr.": "CHF"}
_CODES = "EUR|USD|GBP|CHF|PLN|CZK|SEK|DKK|NOK|HUF|RON|JPY|CNY|RMB|CAD|AUD|TRY|INR"
# At most 12 groups (10^39): a longer run of digit groups was read from each of its groups in turn (quadratic).
_NUMBER = r"\d{1,3}(?:[.,\u00a0 ’']\d{3}){1,12}(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?"
_CURRENCY = rf"(?:{_CODES}|US\$|€|\$|£|¥|CHF)"
_AMOUNT_BEFORE = re.compile(rf"(?<![\w.])({_CURRENCY})\s?(-?)({_NUMBER})(?![\d%]|\s?%)")
_AMOUNT_AFTER = re.compile(rf"(?<![\w.,])(-?)({_NUMBER})\s?({_CURRENCY})(?![A-Za-z])")


def parse_number(token: str) -> float | None:
    """``1.234,56`` / ``1,234.56`` / ``1 234,56`` / ``12,5`` -> float.

    A lone separator followed by exactly three digits after at most three digits (``1,500``,
    ``1.500``) is read as a thousands separator: money is rarely written to three decimals.
    """
    t = re.sub(r"[\u00a0 ’']", "", token)
    if "," in t and "." in t:
        decimal = "," if t.rfind(",") > t.rfind(".") else "."
        t = t.replace("." if decimal == "," else ",", "").replace(decimal, ".")
    else:
        sep = "," if "," in t else "." if "." in t else None
        if sep:
            parts = t.split(sep)
            head, tail = parts[0], parts[-1]
            if len(parts) > 2 or (len(tail) == 3 and 1 <= len(head) <= 3 and head != "0"):
                t = t.replace(sep, "")
            else:
                t = t.replace(sep, ".")
    try:
        value = float(t)
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # 400 digits are no amount (and inf is no JSON)


def amounts(text: str) -> list[Money]:
    found: list[tuple[int, Money]] = []
    for m in _AMOUNT_BEFORE.finditer(text):
        value = parse_number(m.group(3))
        if value is not None:
            found.append((m.start(), Money(-value if m.group(2) else value, _currency(m.group(1)))))
    for m in _AMOUNT_AFTER.finditer(text):
        value = parse_number(m.group(2))
        if value is not None:
            found.append((m.start(), Money(-value if m.group(1) else value, _currency(m.group(3)))))
    found.sort(key=lambda item: item[0])
    return _unique(money for _, money in found)


def _currency(token: str) -> str:
    token = token.strip()
    return "CNY" if token == "RMB" else _SYMBOLS.get(token, token.upper())


# --- tracking numbers ------------------------------------------------------------------------

_TRACKING_SHAPES = [
    re.compile(r"\b(1Z[0-9A-Z]{16})\b"),  # UPS
    re.compile(r"\b([A-Z]{3}U\s?\d{7})\b"),  # ISO 6346 container
    re.compile(r"\b([A-Z]{2}\d{9}[A-Z]{2})\b"),  # UPU S10 (postal parcels)
]
_TRACKING_LABEL = re.compile(
    r"(?:\bAWB|\bair ?waybill|\btracking(?: number| no\.?| id| code| link)?|\btrack(?:ing)? ?& ?trace|\bB/L|\bBL"
    r"|\bbill of lading|\bHBL|\bMBL|\bHAWB|\bMAWB|\bCMR|\bconsignment(?: note)?(?: no\.?| number)?|\bwaybill"
    r"|\bparcel(?: number| no\.?)?|\bSendungs(?:nummer|-Nr\.?)|\bSendungsverfolgung|\bPaketnummer(?:n)?|\bFrachtbrief(?:nummer)?"
    r"|\bnum[ée]ro d[e'](?:\s?exp[ée]dition|\s?suivi|\s?envoi)|\bsuivi|\blettre de voiture"
    r"|\bn[úu]mero de (?:seguimiento|env[íi]o|expedici[óo]n)|\bseguimiento|\bcarta de porte"
    r"|\bvrachtbrief(?:nummer)?|\bvolgnummer|\bzendingnummer|\btrack-?and-?trace"
    r"|\bnumero (?:di )?spedizione|\btracciamento|\blettera di vettura"
    r"|\bguia de transporte|\brastreamento|\bc[óo]digo de rastreio"
    r"|\bn[°º] d[e'](?:\s?exp[ée]dition|\s?suivi|\s?envoi)|\bsegnacollo|\bbooking(?: no\.?| number| ref\.?)?"
    r"|\b(?:DHL|DPD|UPS|GLS|TNT|FedEx|SEUR|BRT|Parcelforce|Schenker|DSV|Geodis)(?: (?:Express|Freight|Ground|PRO))*)"
    r"(?:\s+(?:is|ist|est|es|è|é|:))?\s*(?:n[or]\.?|n\.|nr\.?|n°|nº|number|#)?\s*[:#]?\s*",
    re.I,
)
_TRACKING_TOKENS = (
    re.compile(r"(?:[A-Z]{1,4} )?(?:[A-Z]{1,11}-){0,3}[A-Z]{0,11}\d[\dA-Z/-]{2,28}[\dA-Z]"),
    re.compile(r"\d{1,5}(?:[ -]\d{2,5}){1,5}"),  # digits in groups: "5047 7712 309", "045-2281 6630"
)


def _tracking_token(piece: str) -> str | None:
    """The longest identifier at the start of ``piece``."""
    found = [m.group(0) for pattern in _TRACKING_TOKENS if (m := pattern.match(piece))]
    return max(found, key=len) if found else None
_LIST_SPLIT = re.compile(r"\s*(?:,|;|/ | and | und | et | y | e | en )\s*")


def tracking_numbers(text: str) -> list[str]:
    found: list[tuple[int, str]] = []
    for pattern in _TRACKING_SHAPES:
        found += [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    for m in _TRACKING_LABEL.finditer(text):
        rest = text[m.end() : m.end() + 200].split("\n", 1)[0]
        for piece in _LIST_SPLIT.split(rest):
            piece = piece.strip().rstrip(".,;:)")
            token = _tracking_token(piece)
            if not token or sum(c.isdigit() for c in token) < 5:
                break
            found.append((m.end(), re.sub(r"^(?:CMR|AWB|HAWB|MAWB|HBL|MBL|BL|DHL|DPD|UPS|GLS|TNT|BRT) ", "", token.strip())))
    found.sort()
    return _unique(t for _, t in found)


# --- SKUs ------------------------------------------------------------------------------------

_SKU_LABEL = re.compile(
    r"(?:\bSKU|\bArt(?:ikel)?\.?-?\s?Nr\.?|\bArtikel(?:nummer)?|\bitem(?: no\.?| code| number)?|\bpart(?: no\.?| number)"
    r"|\bP/N|\bmaterial(?: no\.?)?|\br[ée]f(?:[ée]rence)?\.?|\bc[óo]digo|\bcodice(?: articolo)?|\bartikelnummer"
    r"|\barticle(?: no\.?)?|\bart\.)"
    r"\s*+(?:no\.?|nr\.?|n°|#)?\s*+[:#]?\s*+([A-Z0-9][A-Z0-9./-]{2,}[A-Z0-9])",  # possessive: as _PO_LABEL
    re.I,
)
_SKU_SHAPE = re.compile(r"(?<![\w/-])([A-Z]{2,5}-[A-Z0-9]+(?:[-./][A-Z0-9]+)*)(?![\w/-])")
_NOT_SKU = re.compile(r"^(DIN|ISO|EN|ASTM|IEC|UN|PO|INV|RE|CN|GS|FA|FC|NC|VAT|IBAN|BIC|SO|AB|LS|ALB|DN|CW|KW)(-|$)", re.I)


def sku_refs(text: str, taken: set[str] | None = None) -> list[str]:
    """Article codes; ``taken`` (refs already found as PO, invoice or tracking numbers) are not SKUs."""
    labelled = [m.group(1).rstrip(".") for m in _SKU_LABEL.finditer(text)]
    shaped = [m.group(1) for m in _SKU_SHAPE.finditer(text) if not re.fullmatch(r"[\d.,/-]+", m.group(1))]
    if taken is None:
        pos = po_refs(text)
        taken = set(pos) | set(invoice_refs(text, pos)) | set(tracking_numbers(text))
    return _unique(
        f for f in labelled + shaped if f not in taken and not _NOT_SKU.match(f) and any(c.isdigit() for c in f)
    )


# --- dates -----------------------------------------------------------------------------------

MONTHS = {
    1: "january jan januar janvier enero januari gennaio janeiro jän",
    2: "february feb februar février fevrier febrero februari febbraio fevereiro",
    3: "march mar märz maerz mars marzo maart março",
    4: "april apr avril abril aprile",
    5: "may mai mayo mei maggio maio",
    6: "june jun juni juin junio giugno junho",
    7: "july jul juli juillet julio luglio julho",
    8: "august aug août aout agosto augustus",
    9: "september sep sept septembre septiembre settembre setembro",
    10: "october oct oktober octobre octubre ottobre outubro okt",
    11: "november nov novembre noviembre novembro",
    12: "december dec dezember décembre decembre diciembre dicembre dezembro dez",
}
_MONTH_OF = {name: num for num, names in MONTHS.items() for name in names.split()}
_MONTH_RE = "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True))

_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](20\d\d|\d\d)\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(?:\.|st|nd|rd|th|er|º)?\s*(?:de\s+)?({_MONTH_RE})\.?(?:\s+(?:de\s+)?(20\d\d))?\b", re.I)
_MONTH_DAY = re.compile(rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(20\d\d))?\b", re.I)
_WEEK = re.compile(
    r"\b(?:KW|CW|WK|week|calendar week|Kalenderwoche|semaine|semana|settimana|semana|wk\.?)\s*(\d{1,2})(?:[/ ](20\d\d))?\b",
    re.I,
)
_QUOTE_HEADER = re.compile(
    r"^(?:>?[^\S\n]*)(?:(?:on|am|le|el|op|il|em)\b.{0,200}(?:wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu).*"
    r"|(?:sent|date|datum|gesendet|envoyé|enviado|verzonden|inviato|data)\s*:.*)$",
    re.I | re.M,
)

# Categories whose dates are mostly effective, due or invoice dates: only dates shortly after
# an arrival word count (a dunning letter's goods held until payment still have an arrival date).
CUED_CATEGORIES = {"price_change", "cancellation", "quality_issue", "payment_reminder", "invoice_discrepancy", "other"}

# Where month/day is the numeric convention: English-writing senders in these UTC offsets
# (North America); Latin American senders in the same offsets write day/month in Spanish and
# Portuguese.
_MONTH_FIRST_OFFSETS = (-10.0, -3.5)


def month_first_sender(sent_at: dt.datetime | None, language: str | None) -> bool:
    """Does this sender write numeric dates month first (04/07/2026 = 7 April)?"""
    if sent_at is None or sent_at.utcoffset() is None or language not in (None, "en"):
        return False
    hours = sent_at.utcoffset().total_seconds() / 3600
    return _MONTH_FIRST_OFFSETS[0] <= hours <= _MONTH_FIRST_OFFSETS[1]


def _numeric_order(text: str, month_first: bool) -> bool:
    """The text's own evidence wins (13/04 is day first, 04/13 month first); else the sender's."""
    firsts = [(int(m.group(1)), int(m.group(2))) for m in _NUMERIC_DATE.finditer(text)]
    if any(a > 12 >= b for a, b in firsts):
        return False
    if any(b > 12 >= a for a, b in firsts):
        return True
    return month_first

# A yearless date this many days before the email is a past reference, not next year's.
_ROLLOVER_DAYS = 90

_WEEKDAYS = {
    0: "monday montag lundi lunes maandag lunedì lunedi segunda-feira segunda",
    1: "tuesday dienstag mardi martes dinsdag martedì martedi terça-feira terça terca",
    2: "wednesday mittwoch mercredi miércoles miercoles woensdag mercoledì mercoledi quarta-feira quarta",
    3: "thursday donnerstag jeudi jueves donderdag giovedì giovedi quinta-feira quinta",
    4: "friday freitag vendredi viernes vrijdag venerdì venerdi sexta-feira sexta",
}
_WEEKDAY_OF = {name: num for num, names in _WEEKDAYS.items() for name in names.split()}
_WEEKDAY = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _WEEKDAY_OF), key=len, reverse=True)) + r")\b", re.I)
_TOMORROW = re.compile(r"\b(tomorrow|morgen|demain|mañana|manana|domani|amanhã|amanha)\b", re.I)


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def dated_mentions(text: str, sent: dt.date | None, month_first: bool = False) -> list[tuple[int, dt.date]]:
    """Every date the text mentions with its position (quote headers blanked), resolved
    against the email's date; numeric dates month first when the sender writes so."""
    text = _QUOTE_HEADER.sub(lambda m: " " * len(m.group(0)), text)
    month_first = _numeric_order(text, month_first)
    if sent is not None and not 1 < sent.year < 9999:  # a forged Date header: no room to step a date from it
        sent = None
    ref = sent or dt.date.today()
    found: list[tuple[int, dt.date]] = []

    def add(pos: int, year: int | None, month: int, day: int) -> None:
        if year is not None and year < 100:
            year += 2000
        d = _safe_date(year or ref.year, month, day)
        if d and year is None and sent and d < sent - dt.timedelta(days=_ROLLOVER_DAYS):
            d = _safe_date(ref.year + 1, month, day)  # a yearless date well before the email rolls over
        if d:
            found.append((pos, d))

    for m in _ISO_DATE.finditer(text):
        add(m.start(), int(m.group(1)), int(m.group(2)), int(m.group(3)))
    for m in _NUMERIC_DATE.finditer(text):
        first, second = int(m.group(1)), int(m.group(2))
        add(m.start(), int(m.group(3)), *((first, second) if month_first else (second, first)))
    for m in _DAY_MONTH.finditer(text):
        add(m.start(), int(m.group(3)) if m.group(3) else None, _MONTH_OF[m.group(2).lower()], int(m.group(1)))
    for m in _MONTH_DAY.finditer(text):
        add(m.start(), int(m.group(3)) if m.group(3) else None, _MONTH_OF[m.group(1).lower()], int(m.group(2)))
    for m in _WEEK.finditer(text):
        week = int(m.group(1))
        year = int(m.group(2)) if m.group(2) else ref.year
        if 1 <= week <= 53:
            try:
                monday = dt.date.fromisocalendar(year, week, 1)
            except ValueError:
                continue
            if not m.group(2) and sent and monday < sent - dt.timedelta(days=_ROLLOVER_DAYS):
                monday = dt.date.fromisocalendar(year + 1, week, 1)
            found.append((m.start(), monday))
    if sent:
        for m in _TOMORROW.finditer(text):
            found.append((m.start(), sent + dt.timedelta(days=1)))
        for m in _WEEKDAY.finditer(text):  # "ETA Thursday": the next such day after the email
            ahead = (_WEEKDAY_OF[m.group(1).lower()] - sent.weekday()) % 7 or 7
            found.append((m.start(), sent + dt.timedelta(days=ahead)))
    return sorted(found)


def dates(text: str, sent: dt.date | None, month_first: bool = False) -> list[dt.date]:
    return [d for _, d in dated_mentions(text, sent, month_first)]


_ARRIVAL_CUE = re.compile(
    r"deliver|arriv|ETA|ship|dispatch|despatch|load|collect|ready|avail|lieferung|liefer|versand|eintreff|ankunft"
    r"|zustell|livr|exp[ée]di|arriv|disponib|entrega|env[íi]o|llegad|despach|lever|verzend|aankomst|beschikbaar"
    r"|consegn|spedi|arrivo|disponibil|chegad|envio|expedi",
    re.I,
)
_CUE_WINDOW = 80


def new_date(text: str, sent: dt.date | None, *, need_cue: bool = False, month_first: bool = False) -> dt.date | None:
    """The latest date on or after the email's date (arrival, dispatch or availability).

    With ``need_cue`` (emails whose dates are mostly effective or due dates, such as price
    changes) only dates shortly after an arrival word count.
    """
    mentions = dated_mentions(text, sent, month_first)
    if need_cue:
        cues = [m.end() for m in _ARRIVAL_CUE.finditer(text)]
        mentions = [(pos, d) for pos, d in mentions if any(0 <= pos - c <= _CUE_WINDOW for c in cues)]
    candidates = [d for _, d in mentions if sent is None or d >= sent]
    return max(candidates) if candidates else None


# --- all fields ------------------------------------------------------------------------------


def extract_fields(text: str, sent: dt.date | None, category: str | None = None, *,
                   month_first: bool = False) -> Fields:
    """All fields of one signal's text; ``category`` (when known) gates the new date, and
    ``month_first`` (``month_first_sender``) reads numeric dates the US way.
    Each reference kind is found once and handed to the kinds that must exclude it."""
    pos = po_refs(text)
    invoices = invoice_refs(text, pos)
    tracking = tracking_numbers(text)
    return Fields(
        po_refs=pos,
        invoice_refs=invoices,
        new_date=new_date(text, sent, need_cue=category in CUED_CATEGORIES, month_first=month_first),
        amounts=amounts(text),
        tracking_numbers=tracking,
        sku_refs=sku_refs(text, set(pos) | set(invoices) | set(tracking)),
    )


def _unique(items) -> list:
    seen: set = set()
    out = []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out
