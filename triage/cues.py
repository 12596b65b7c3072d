"""Language cues (en, de, fr, es, nl, it, pt) that more than one stage reads."""

from __future__ import annotations

import re

BANK_CHANGE = re.compile(
    r"(new|changed?|updated?)\s+(bank|account|IBAN)|bank\s*(details|account)\s+(have\s+|has\s+)?(changed|updated)"
    r"|neue[rn]?\s+(Bankverbindung|IBAN|Konto)|Bankverbindung\s+(hat\s+sich\s+)?ge[äa]ndert"
    r"|nouvel(le)?s?\s+(IBAN|coordonn[ée]es bancaires|RIB|compte)|changement\s+de\s+(RIB|coordonn[ée]es bancaires)"
    r"|nuev[oa]s?\s+(IBAN|datos bancarios|cuenta)|cambio\s+de\s+(cuenta|datos bancarios)"
    r"|nieuwe?\s+(IBAN|bankgegevens|rekening)|wijziging\s+(van\s+)?(bankgegevens|rekeningnummer)"
    r"|nuov[oe]\s+(IBAN|coordinate bancarie|conto)|variazione\s+(delle\s+)?coordinate bancarie"
    r"|nov[oa]s?\s+(IBAN|dados banc[áa]rios|conta)|altera[çc][ãa]o\s+(dos\s+|de\s+)?dados banc[áa]rios",
    re.I,
)

DUPLICATE = re.compile(
    r"duplicate|double[- ]?(billed|invoic|charg|pay)|twice|doppelt|en double|duplicad|dubbel|duplicat", re.I
)
