"""Amounts and dates as documents print them, with what is ambiguous about them.

Numbers: ``1.234,56``, ``1,234.56``, ``1 234,56``, ``1'234.50``, ``-12,00``, ``12,00-``. A lone separator before exactly three digits (``1,234``) is a thousands separator
or a decimal point depending on the document's convention (``decimal_convention``); without
one it is read as thousands and reported ambiguous.

Dates: ISO, ``d.m.y`` / ``d/m/y`` / ``d-m-y`` (two- or four-digit years) and written months in
seven languages (``3 March 2026``, ``March 3, 2026``, ``3. März 2026``, ``3 de marzo de 2026``,
``20-Mar-2023``). Numeric dates are day first unless the document shows month first (a second
part above 12); a date whose day and month could swap, with no such evidence, is ambiguous.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass

from triage.ingest.extract import MONTHS

# Abbreviations documents print beyond the email extractor's month names.
_MORE_MONTHS = {
    1: "janv ene gen", 2: "févr fevr fév fev", 3: "mrt mär märz", 4: "avr abr", 5: "mag", 6: "giu",
    7: "juil lug", 8: "ago", 9: "set", 10: "ott out", 11: "", 12: "déc dic",
}
MONTH_OF = {name: num for table in (MONTHS, _MORE_MONTHS) for num, names in table.items() for name in names.split()}
_MONTH = "|".join(sorted(map(re.escape, MONTH_OF), key=len, reverse=True))

_YEAR = r"(\d{4}|\d{2})"
_ISO = re.compile(r"(?<![\d.,/-])(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d/-]|[.,]\d)")
_NUMERIC = re.compile(rf"(?<![\d.,/-])(\d{{1,2}})\s?([./-])\s?(\d{{1,2}})\s?\2\s?{_YEAR}(?![\d/-]|[.,]\d)")
_DAY_MONTH = re.compile(
    rf"(?<![\w.])(\d{{1,2}})(?:\.|st|nd|rd|th|er|º|°)?[\s-]*(?:de\s+)?({_MONTH})\.?[\s-]*(?:de\s+)?(\d{{4}}|\d{{2}}(?![\d.,]))",
    re.I)
_MONTH_DAY = re.compile(rf"(?<![\w.])({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\s*,?\s*(\d{{4}})(?!\d)", re.I)


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    value: dt.date
    ambiguous: bool = False  # day and month could be swapped and nothing in the document says which


@dataclass(frozen=True)
class Amount:
    start: int
    end: int
    value: float
    ambiguous: bool = False  # "1,234": thousands or decimals, and the document does not say
    currency: str | None = None


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def month_first(text: str) -> bool | None:
    """The document's numeric date order from its own evidence: True when some date is only
    valid month first (04/13/2026), False when some is only valid day first, None when none
    says (or the document contradicts itself)."""
    firsts = {("d" if int(m.group(1)) > 12 >= int(m.group(3)) else "m" if int(m.group(3)) > 12 >= int(m.group(1)) else "")
              for m in _NUMERIC.finditer(text)} - {""}
    return None if len(firsts) != 1 else firsts == {"m"}


def find_dates(text: str, order: bool | None = None) -> list[DateHit]:
    """Every full date (with a year) in ``text``; ``order`` is the document's ``month_first``."""
    hits: list[DateHit] = []
    taken: list[tuple[int, int]] = []

    def add(m: re.Match, value: dt.date | None, ambiguous: bool = False) -> None:
        if value is None or any(s < m.end() and m.start() < e for s, e in taken):
            return
        taken.append((m.start(), m.end()))
        hits.append(DateHit(m.start(), m.end(), value, ambiguous))

    for m in _ISO.finditer(text):
        add(m, _date(int(m.group(1)), int(m.group(2)), int(m.group(3))))
    for m in _DAY_MONTH.finditer(text):
        add(m, _date(_year(m.group(3)), MONTH_OF[m.group(2).lower()], int(m.group(1))))
    for m in _MONTH_DAY.finditer(text):
        add(m, _date(_year(m.group(3)), MONTH_OF[m.group(1).lower()], int(m.group(2))))
    for m in _NUMERIC.finditer(text):
        a, b, year = int(m.group(1)), int(m.group(3)), _year(m.group(4))
        if a > 12 or b > 12:
            add(m, _date(year, a, b) if b > 12 else _date(year, b, a))
        else:
            add(m, _date(year, a, b) if order else _date(year, b, a), ambiguous=order is None and a != b)
    return sorted(hits, key=lambda h: h.start)


# --- amounts ---------------------------------------------------------------------------------

_CURRENCY_WORDS = {
    "€": "EUR", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR", "$": "USD", "US$": "USD", "USD": "USD", "£": "GBP",
    "GBP": "GBP", "CHF": "CHF", "SFR": "CHF", "FR.": "CHF", "¥": "JPY", "JPY": "JPY", "₹": "INR", "RS": "INR",
    "RS.": "INR", "INR": "INR", "PLN": "PLN", "ZŁ": "PLN", "CZK": "CZK", "KČ": "CZK", "SEK": "SEK", "DKK": "DKK",
    "NOK": "NOK", "HUF": "HUF", "RON": "RON", "CAD": "CAD", "AUD": "AUD", "CNY": "CNY", "RMB": "CNY", "TRY": "TRY",
    "MXN": "MXN", "BRL": "BRL", "R$": "BRL", "ZAR": "ZAR", "NZD": "NZD", "SGD": "SGD", "HKD": "HKD",
}
CURRENCY = (r"(?:US\$|R\$|[€$£¥₹]|\b(?:EUR|USD|GBP|CHF|JPY|INR|PLN|CZK|SEK|DKK|NOK|HUF|RON|CAD|AUD|CNY|RMB|TRY|MXN"
            r"|BRL|ZAR|NZD|SGD|HKD|SFR|Rs\.?)(?![A-Za-z]))")
_CURRENCY = re.compile(CURRENCY)
_NUMBER = re.compile(
    rf"(?<![\w.,/:-])(?P<lead>[-−(])?\s?(?:(?P<cur>{CURRENCY})\s?)?(?P<neg>[-−])?"
    r"(?P<num>\d{1,3}(?P<g>[.,'’\u00a0\u202f ])\d{3}(?:(?P=g)\d{3})*(?:[.,]\d{1,4})?|\d+(?:[.,]\d{1,4})?)"
    r"(?P<trail>-(?!\d)|\))?(?![\w/-]|[.,]\d|\s?%)"
)
# A number followed by one of these is a measure, not money ("Poids total 18,4 kg").
_MEASURE = re.compile(
    r"\s?(?:kg|g|t|mm|cm|m|km|l|ml|m2|m3|m²|m³|lb|lbs|oz|ft|in|pcs|pc|stk|st|pz|un|units?|pieces?|colli|cartons?|h|hrs?)\b",
    re.I)


def currency_code(token: str) -> str | None:
    return _CURRENCY_WORDS.get(token.strip().upper())


def currencies(text: str) -> Counter:
    """How often each currency is named in the text (symbols and ISO codes)."""
    return Counter(code for m in _CURRENCY.finditer(text) if (code := currency_code(m.group(0))))


def decimal_convention(text: str) -> str | None:
    """The document's decimal separator, from numbers that can only be read one way
    (``1.234,56``, ``45,93``, ``12.5``); None when they disagree evenly or there are none."""
    votes: Counter = Counter()
    for m in _NUMBER.finditer(text):
        num = re.sub(r"[\u00a0\u202f '’]", "", m.group("num"))
        if "," in num and "." in num:
            votes["," if num.rfind(",") > num.rfind(".") else "."] += 1
        elif num.count(",") + num.count(".") == 1:
            sep = "," if "," in num else "."
            if len(num.split(sep)[1]) != 3:
                votes[sep] += 1
    if not votes or (len(votes) == 2 and votes[","] == votes["."]):
        return None
    return votes.most_common(1)[0][0]


def parse_number(num: str, decimal: str | None) -> tuple[float, bool] | None:
    """(value, ambiguous) of a number token under the document's decimal separator."""
    t = re.sub(r"[\u00a0\u202f '’]", "", num)
    ambiguous = False
    if "," in t and "." in t:
        dec = "," if t.rfind(",") > t.rfind(".") else "."
        t = t.replace("." if dec == "," else ",", "").replace(dec, ".")
    elif "," in t or "." in t:
        sep = "," if "," in t else "."
        head, _, tail = t.rpartition(sep)
        if t.count(sep) > 1:
            t = t.replace(sep, "")
        elif len(tail) != 3 or head in ("0", "-0"):
            t = t.replace(sep, ".")
        elif decimal == sep:
            t = t.replace(sep, ".")
        else:
            ambiguous = decimal is None
            t = t.replace(sep, "")
    try:
        value = float(t)
    except ValueError:
        return None
    return (value, ambiguous) if math.isfinite(value) else None  # hundreds of digits are no amount


def find_amounts(text: str, decimal: str | None, *, skip: list[tuple[int, int]] = ()) -> list[Amount]:
    """Numbers in ``text`` read as money (signs, separators, an adjoining currency); spans in
    ``skip`` (dates) are left out, and so are percentages."""
    found: list[Amount] = []
    for m in _NUMBER.finditer(text):
        if any(s < m.end() and m.start() < e for s, e in skip) or (not m.group("cur") and _MEASURE.match(text, m.end())):
            continue
        num = m.group("num")
        if m.group("g") == " " and decimal == "." and "," not in num:  # "1 278.61" is two columns
            num = num.split(" ")[-1]
        parsed = parse_number(num, decimal)
        if parsed is None:
            continue
        value, ambiguous = parsed
        negative = bool(m.group("neg") or m.group("lead") in ("-", "−") or m.group("trail") == "-")
        currency = currency_code(m.group("cur")) if m.group("cur") else _currency_after(text, m.end())
        found.append(Amount(m.start("num"), m.end(), -value if negative else value, ambiguous, currency))
    return found


def _currency_after(text: str, end: int) -> str | None:
    m = re.match(rf"\s?({CURRENCY})", text[end:end + 6])
    return currency_code(m.group(1)) if m else None


def adds_up(quantity: float, unit_price: float, subtotal: float, discount: float = 0.0) -> bool:
    """Quantity x unit price, less a discount in percent, makes the subtotal (within the
    rounding of a unit price to cents over the quantity)."""
    return abs(quantity * unit_price * (1 - discount / 100) - subtotal) <= 0.011 + abs(quantity) * 0.005
