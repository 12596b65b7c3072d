"""Identifiers in a supplier's text that tie it to Odoo records: IBANs, VAT numbers and the
supplier's own order references.

Pure functions. They are candidates for linking, not fields of the classify contract: a VAT
number or a supplier reference only counts once Odoo knows it (``triage/odoo_links.py``), so
these functions prefer finding a candidate too many (Odoo will not match it) to missing one.
IBANs are the exception: they are checked with ISO 13616's mod-97 check digits, because a
bank-detail change is compared with the vendor's accounts character by character.
"""

from __future__ import annotations

import re

# ISO 13616 lengths of the countries European distributors meet most; others: 15 to 34 characters.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "EE": 20,
    "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27,
    "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25,
    "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TR": 26,
}
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2})(?=[ ]?[A-Z0-9])")
_IBAN_CHAR = re.compile(r"[ ]?([A-Z0-9])")


def compact(value: str) -> str:
    """Letters and digits only, upper case: how account numbers and VAT numbers are compared."""
    return re.sub(r"[^0-9A-Z]", "", (value or "").upper())


def iban_valid(value: str) -> bool:
    """True when ``value`` (spaces allowed) has a valid ISO 13616 length and mod-97 check."""
    iban = compact(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    expected = IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def ibans(text: str) -> list[str]:
    """The valid IBANs written in ``text`` (printed in groups of four or compact), compacted.

    The characters after the country and check digits are read greedily, so a following
    "BIC COBADEFF" would be swallowed: the longest prefix of the right length that passes the
    check wins."""
    found: list[str] = []
    for start in _IBAN_START.finditer(text or ""):
        chars = [start.group(1)]
        pos = start.end()
        while len("".join(chars)) < 34:
            match = _IBAN_CHAR.match(text, pos)
            if not match:
                break
            chars.append(match.group(1))
            pos = match.end()
        candidate = "".join(chars)
        lengths = [IBAN_LENGTHS[candidate[:2]]] if candidate[:2] in IBAN_LENGTHS else range(len(candidate), 14, -1)
        for length in lengths:
            if len(candidate) >= length and iban_valid(candidate[:length]):
                if candidate[:length] not in found:
                    found.append(candidate[:length])
                break
    return found


_VAT_COUNTRIES = ("AT|BE|BG|CHE|CY|CZ|DE|DK|EE|EL|ES|FI|FR|GB|HR|HU|IE|IT|LT|LU|LV|MT|NL|NO|PL|PT|RO|SE|SI|SK|XI")
_VAT_LABEL = re.compile(
    r"(?:VAT|V\.A\.T\.|USt|UID|MwSt|Umsatzsteuer|Steuernummer|TVA|BTW|IVA|P\.?\s?IVA|Partita IVA|NIF|CIF|NIPC|"
    r"Tax|Ust\.?-?Id|Mehrwertsteuer|numéro de TVA|n° TVA|btw-nummer|ondernemingsnummer)",
    re.I,
)
_VAT = re.compile(rf"(?<![A-Za-z0-9])({_VAT_COUNTRIES})[ .-]?((?:[0-9A-Z][ .-]?){{7,13}}[0-9A-Z])(?![A-Za-z0-9])")


def vat_numbers(text: str) -> list[str]:
    """EU-style VAT numbers (country prefix and 8 to 14 characters, at least 7 digits), compacted.

    Written compact ("DE123456789") they count anywhere; spaced or dotted ("BE 0477.472.701")
    only after a VAT label in the 40 characters before. IBANs are not VAT numbers."""
    found: list[str] = []
    for match in _VAT.finditer(text or ""):
        body = compact(match.group(2))
        value = match.group(1) + body
        spaced = match.group(0) != value
        labelled = _VAT_LABEL.search(text[max(0, match.start() - 40):match.start()])
        if sum(c.isdigit() for c in body) < 7 or iban_valid(value) or (spaced and not labelled):
            continue
        if value not in found:
            found.append(value)
    return found


_SUPPLIER_REF_LABEL = re.compile(
    r"(?:\bour (?:order|ref(?:erence)?|sales order|order confirmation|confirmation)|\border confirmation|\bsales order"
    r"|\bSO\b|\bAB\b|\bAuftragsbestätigung|\bunser(?:e|er)? (?:Auftrag(?:snummer)?|Zeichen|Referenz)|\bAuftrags?-?Nr"
    r"|\bnotre (?:commande|référence|confirmation)|\bconfirmation de commande|\bnuestro (?:pedido|número de pedido)"
    r"|\bconfirmación de pedido|\bonze (?:order|referentie)|\borderbevestiging|\bnostr[oa] (?:ordine|riferimento)"
    r"|\bconferma d'ordine|\bnosso (?:pedido|número)|\bconfirmação (?:de|da) encomenda)"
    r"\s*+(?:n[or]?\.?|nr\.?|no\.?|n°|nº|num(?:ber|ero|éro)?|#|:)?\s*+[:#]?\s*+"  # possessive: as extract's
    r"([A-Z]{0,5}[-/]?\d[\w/-]{2,})",  # _PO_LABEL (a long blank run after a label was cubic)
    re.I,
)


def supplier_refs(text: str) -> list[str]:
    """References the supplier gives its own order ("our order confirmation AB-2291"): Odoo
    keeps them as the PO's vendor reference (``partner_ref``)."""
    found: list[str] = []
    for match in _SUPPLIER_REF_LABEL.finditer(text or ""):
        ref = match.group(1).rstrip(".,;:-/")
        if sum(c.isdigit() for c in ref) >= 3 and ref not in found:
            found.append(ref)
    return found
