"""The words suppliers print beside the values, in en, de, fr, nl, es, it and pt.

Each label kind is one case-insensitive regex. Kinds that are not fields (``other_date``,
``vat_id``, ``customer``) exist so that the longest label wins: "Order date" is not a
document date, "VAT No." is not a tax amount.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triage.ingest.document.values import CURRENCY

_NOUNS = {
    "invoice": r"invoice|rechnung|facture|factuur|factura|fattura|fatura|nota\s+fiscal",
    "credit_note": r"credit\s?note|credit\s?memo|gutschrift|avoir|creditnota|credit\s?nota|nota\s+de\s+cr[ée]dito|abono"
                   r"|note\s+de\s+cr[ée]dit"
                   r"|nota\s+di\s+credito|factura\s+rectificativa",
    "order_confirmation": r"order\s+confirmation|order\s+acknowledge?ment|auftragsbest[äa]tigung|confirmation\s+de\s+commande"
                          r"|accus[ée]\s+de\s+r[ée]ception\s+de\s+(?:votre\s+)?commande"
                          r"|(?:(?:sales\s+)?order|quotation|ordine|commande|pedido|encomenda|auftrag|bestelling|offerte"
                          r"|presupuesto|preventivo|devis|angebot|or[çc]amento)(?=\s*#\s*[A-Z]*\d)"
                          r"|orderbevestiging|confirmaci[óo]n\s+de\s+pedido|conferma\s+d['’]\s?ordine"
                          r"|confirma[çc][ãa]o\s+de\s+encomenda",
    "delivery_note": r"delivery\s+note|packing\s+(?:slip|list)|despatch(?:\s+note)?|dispatch(?:\s+note)?|lieferschein|bon\s+de\s+livraison"
                     r"|pakbon|leveringsbon|albar[áa]n|documento\s+di\s+trasporto|d\.?d\.?t\.?|bolla\s+di\s+consegna"
                     r"|guia\s+de\s+remessa",
}
DOC_NOUN = "|".join(_NOUNS[k] for k in ("credit_note", "order_confirmation", "delivery_note", "invoice")) + r"|guia|bill|document|dokument|beleg|receipt|quittung|re[çc]u|recibo|ricevuta"
_NUM = r"(?:number|nummer|num[ée]ro|n[úu]mero|num\.?|no\.?|nr\.?|n\s?[°º]|n\.\s?[°º]|n\.|#|id)"
_OF = r"(?:\s+(?:de|da|do|di|del|of|du|d['’]))?"
_DATE = r"(?:date|datum|data|fecha)"

# The document's type from its title words; the more specific types first (a credit note
# often says "invoice" too).
def noun_type(label: str) -> str | None:
    """The document type a label's noun names ("Rechnungs-Nr." -> invoice), None for a
    generic one ("Document No.")."""
    for name, pattern in _NOUNS.items():
        if re.search(pattern, label, re.I):
            return name
    return None


DOC_TYPE_TITLES = [(name, re.compile(rf"(?<![\w-])(?:{_NOUNS[name]})(?:s|en)?(?![\w-])", re.I))
                   for name in ("credit_note", "order_confirmation", "delivery_note", "invoice")]


def _amount_words(phrase: str) -> str:
    """A phrase whose words may have a currency between them ("Montant EUR HT")."""
    return rf"\s*(?:(?:{CURRENCY})\s*)?".join(phrase.split(" "))


_TAX_WORD = r"(?:mwst|ust|vat|tax|btw|tva|iva|taxes|gst)"
_TOTAL = [
    rf"(?:total|summe|gesamt|totaal|montant|importe|totale|valor|amount)\s+(?:incl|inkl|inclusief|including|con|com|ttc)\.?"
    rf"\s+{_TAX_WORD}",
    "grand total", "total amount due", "total due", "amount due", "balance due", "total to pay", "total payable",
    "amount payable", "invoice total", "total amount", r"total incl\.?(?:uding)? (?:vat|tax)", "total",
    "gesamtbetrag", "gesamtsumme", "rechnungsbetrag", "rechnungssumme", "endbetrag", "bruttobetrag", "summe brutto",
    "gesamt brutto", "zahlbetrag", r"zu zahlen(?:der betrag)?", "gesamt", "summe",
    "total ttc", "montant ttc", "net à payer", "total à payer", "montant total", "somme à payer", "montant à payer",
    "total facture", r"totaal incl\.? btw", "totaal te betalen", "totaalbedrag", "te betalen", "factuurbedrag",
    "factuur ?totaal", "totaal", "total factura", "importe total", "total a pagar", "totale documento", "totale fattura",
    "totale da pagare", "netto a pagare", "importo totale", "totale", "valor total", "total da fatura", "total geral",
]
_UNTAXED = [
    rf"(?:total|summe|gesamt|totaal|montant|importe|totale|valor|amount)\s+(?:exkl|excl|exclusief|excluding|ohne|hors"
    rf"|sans|sin|senza|sem|before)\.?\s+{_TAX_WORD}",
    "subtotal", "sub-total", "sub total", "goods total", "goods value", "net credit", "net value", "net goods",
    "nettowarenwert", "warenwert netto", "untaxed amount", "amount untaxed", "untaxed", "net total", "total net", "net amount", r"total excl\.?(?:uding)? (?:vat|tax)",
    r"amount excl\.? (?:vat|tax)", "total before tax", "taxable amount", "nettobetrag", "nettosumme", "summe netto",
    "gesamt netto", "netto", "zwischensumme", "warenwert", "total netto", "total ht", "montant ht", "sous-total",
    "sous total", "total hors taxes?", "base ht", "net ht", "subtotaal", r"totaal excl\.? btw", "exclusief btw",
    r"excl\.? btw", r"bedrag excl\.? btw", "grondslag", "base imponible", "importe neto", "total neto", "imponibile",
    "subtotale", "totale imponibile", "totale netto", "total il[íi]quido", "base tribut[áa]vel",
    "incid[êe]ncia", "valor sem iva", "total sem iva",
]
_TAX = [
    r"v\.a\.t\.", "vat", "tax", "taxes", "sales tax", "gst", r"mwst\.?", r"ust\.?", "umsatzsteuer", "mehrwertsteuer", "tva", "btw",
    "iva", "igic", "tax amount", "vat amount", "montant tva", "total tva", "btw bedrag", "bedrag btw", "importe iva",
    "cuota iva", "imposta", "totale iva", "valor iva", "total iva", "total vat", "total tax",
]
_LABELS = {
    "document_number": [
        rf"(?:{DOC_NOUN})(?:s|s-|-)?\s*{_NUM}", rf"{_NUM}\s*{_OF}\s*(?:{DOC_NOUN})",
    ],
    "document_date": [
        rf"(?:{DOC_NOUN})(?:s|-)?\s*{_DATE}", rf"{_DATE}{_OF}\s*(?:{DOC_NOUN})", "issue date", "date of issue",
        "issued on", "ausstellungsdatum", "date d['’][ée]mission", "fecha de (?:emisi[óo]n|expedici[óo]n)",
        "data (?:di )?emissione", "data de emiss[ãa]o", "dated",
    ],
    "date": ["date", "datum", "fecha", "data"],
    "bare_number": [r"n[úu]mero", "number", "nummer", r"num[ée]ro", r"no\.", r"nr\.", r"n[°º]\.?"],
    "due_date": [
        "due date", "date due", "payment due(?: date)?", "due on", "due by", "pay by", r"payable(?:\s+\w+){0,3}\s+by",
        r"zahlbar(?:\s+\w+){0,3}\s+bis(?:\s+(?:zum|am))?", r"[àa] payer(?:\s+\w+){0,2}\s+(?:avant|le|au plus tard)",
        r"te betalen(?:\s+\w+){0,2}\s+(?:voor|vóór|uiterlijk)", r"pagar(?:\s+\w+){0,2}\s+(?:antes de|até)",
        r"pagabile entro(?:\s+il)?",
        r"f[äa]llig(?:keit|keitsdatum|\s+am)?", "zahlbar bis", "zahlungsziel", r"(?:date\s+d['’])?[ée]ch[ée]ance",
        "date limite de paiement", "à payer avant le", "vervaldatum", "vervaldag", "uiterste betaaldatum",
        "te betalen voor", r"(?:fecha\s+de\s+)?vencimiento", r"(?:data\s+(?:di\s+)?)?scadenza", r"(?:data\s+de\s+)?vencimento",
        "data limite de pagamento", "pagar até",
    ],
    "order_date": [
        "order date", r"(?:bestell|auftrags)datum", "date de (?:la )?commande", "besteldatum", "orderdatum",
        "fecha (?:de(?:l)? )?pedido", "data (?:dell['’])?ordine", "data d[ae] encomenda",
    ],
    "delivery_date": [
        "delivery date", "ship(?:ping)? date", "dispatch date", "despatch date", r"(?:liefer|versand)(?:s)?datum",
        "date de (?:livraison|exp[ée]dition)", "leverdatum", "leveringsdatum", "verzenddatum", "fecha de (?:entrega|env[íi]o)",
        "data (?:di )?(?:consegna|spedizione)", "data d[ae] (?:entrega|expedi[çc][ãa]o)",
    ],
    "other_date": [
        "service date", "period", "billing period", r"leistungs(?:s)?datum", "zeitraum", "leistungszeitraum",
        "date de prestation",
    ],
    "po": [
        r"(?:your|customer|client)\s+(?:purchase\s+)?(?:order|p\.?o\.?|ref(?:erence)?)(?:\s*(?:no\.?|number|#|nr\.?))?",
        r"purchase\s+order(?:\s*(?:no\.?|number|#|nr\.?))?", r"(?-i:P\.?O\.?)(?![-/]?\w)(?:\s*(?:no\.?|number|#|nr\.?|ref))?",
        r"cust(?:omer)?\.?\s+order\s*(?:no\.?|number|#|ref\.?)?", r"[vs]\s?/\s?(?:encomenda|pedido|ref(?:er[êe]ncia|erencia)?\.?|ordem)",
        r"ihre?\s+(?:bestellung|bestellnummer|bestell-nr\.?|auftragsnummer|zeichen|referenz)(?:\s*nr\.?)?",
        r"bestell(?:nummer|-nr\.?|ung\s+nr\.?|nr\.?)", r"votre\s+(?:commande|r[ée]f[ée]rence|bon\s+de\s+commande)(?:\s*n\s?[°º])?",
        r"bon\s+de\s+commande(?:\s*n\s?[°º])?", r"uw\s+(?:bestelling|order|referentie|ordernummer|bestelnummer|kenmerk)(?:\s*nr\.?)?",
        "inkoopordernummer", r"su\s+(?:pedido|referencia)(?:\s*n\.?\s?[ºo°]\.?)?", r"pedido\s+(?:de\s+compra|cliente)",
        r"(?:vs\.?|vostro|vostra)\s+(?:ordine|riferimento|rif\.?)(?:\s*n\.?)?", "ordine cliente",
        r"(?:sua|vossa)\s+(?:encomenda|refer[êe]ncia)(?:\s*n\.?\s?[ºo°]?\.?)?",
    ],
    "order_number": [
        r"(?:sales\s+)?order\s*(?:no\.?|number|#|nr\.?|id)", r"auftrags?-?\s?(?:nr\.?|nummer)", r"auftrag\s+nr\.?",
        r"ab-?\s?nr\.?",
        rf"{_NUM}\s*(?:de\s+)?(?:commande|(?-i:ARC))", r"(?:commande|(?-i:ARC))\s*{_NUM}".replace("{_NUM}", _NUM),
        "ordernummer", r"order\s*nr\.?", rf"(?:pedido|ordine|encomenda|confirma[çc][ãa]o|confirmaci[óo]n|conferma"
        rf"|bevestiging|best[äa]tigung)\s*{_NUM}", rf"{_NUM}\s*(?:de\s+|da\s+|del\s+)?(?:pedido|ordine|encomenda)",
    ],
    "tax_id": [
        r"(?:federal\s+)?tax\s*(?:id|number|no\.?)", r"steuer-?\s?nr\.?", "steuernummer", r"(?-i:TIN)",
        r"cod\.?\s+fisc\.?", "codice fiscale", "siret", "siren",
    ],
    "vat_id": [
        r"vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|nr\.?|id|#)", r"vat\s+reg(?:istration|\.)?", r"ust\.?-?\s?id(?:\.?-?\s?nr\.?)?",
        r"umsatzsteuer-?\s?id(?:entifikationsnummer)?", r"steuer-?\s?nr\.?", r"n[°º]\s*(?:de\s+)?tva(?:\s+intra(?:communautaire)?)?",
        r"tva\s+intra(?:communautaire)?", r"num[ée]ro\s+de\s+tva", r"btw-?\s?(?:nummer|nr\.?|id)", r"p\.?\s?iva", "partita iva",
        "nif", "cif", r"nif\s*/\s*cif", "nipc", r"contribuinte(?:\s+n\.?\s?[ºo°])?", "vat/tin", "gstin", r"uid(?:-nr\.?)?",
        r"mwst-?\s?nr\.?", r"mwst-?\s?nummer", "vat reg no",
        "vat reg",
    ],
    "amount_total": [_amount_words(p) for p in _TOTAL],
    "amount_untaxed": [_amount_words(p) for p in _UNTAXED],
    "amount_tax": [_amount_words(p) for p in _TAX],
    "customer": [
        "bill to", "ship to", "sold to", "invoice to", "deliver to", "customer", "client", "kunde", "klant", "cliente",
        "rechnungsadresse", "lieferadresse", "factuuradres", "afleveradres", "factur[ée] à", "livr[ée] à",
        "adresse de facturation", "adresse de livraison", "destinatario", "destinat[áa]rio", "billing address",
        "shipping address", "invoice address", "delivery address", "intestatario", r"spett\.?\s?le", "faturar a",
        "facturar a", "facturado a", "empf[äa]nger", "rechnungsempf[äa]nger", "lieferanschrift", "adresse client",
        "factuur aan", "leveradres",
    ],
}
_BOUND_START = r"(?<![\w\-/])"
_BOUND_END = r"(?![\w])"
# Longer alternatives first, so that an alternation finds "total ttc" rather than "total".
LABELS = {kind: re.compile(_BOUND_START + "(?:" + "|".join(sorted(patterns, key=len, reverse=True)) + ")"
                           + r"(?:(?<=[.°º#])|" + _BOUND_END + ")", re.I)
          for kind, patterns in _LABELS.items()}

# Legal forms that end a company name (case as written: "AG", not the word "ag").
LEGAL_FORM = re.compile(
    r"\b(?:GmbH|AG|KG|OHG|e\.\s?K\.|UG|B\.\s?V\.?|BV|N\.\s?V\.?|NV|S\.\s?A\.?(?:S\.?)?|SA|SAS|SARL|S\.\s?L\.?(?:U\.?)?|SL"
    r"|S\.\s?p\.\s?A\.?|SpA|S\.\s?r\.\s?l\.?|Srl|SRL|SPRL|BVBA|VOF|Lda\.?|Ltda\.?|Ltd\.?|Limited|Inc\.?|LLC|Corp\.?|Corporation"
    r"|plc|PLC|LTD"
    r"|Pvt\.?|Oy|AB|ApS|A/S|AS|sp\.\s?z\s?o\.\s?o\.?|s\.\s?r\.\s?o\.?|Co\.)(?![\w])")
# Words that mark a VAT number or a name as the customer's, not the supplier's.
CUSTOMER_WORDS = re.compile(
    r"\b(?:your|uw|ihre?|votre|vos|su|vostr[ao]|vs\.|sua|vosso|customer|client|kunde|kunden|klant|cliente|buyer"
    r"|acheteur|käufer|bill to|ship to|sold to|destinatario)\b", re.I)


@dataclass(frozen=True)
class LabelHit:
    kind: str
    start: int
    end: int


def label_hits(text: str) -> list[LabelHit]:
    """The labels in a line, overlaps resolved: the longest wins, then the earliest."""
    found = [LabelHit(kind, cell.start() + m.start(), cell.start() + m.end())
             for cell in re.finditer(r"\S+(?: \S+)*", text)  # a label never spans a column gap
             for kind, pattern in LABELS.items() for m in pattern.finditer(cell.group(0)) if m.end() > m.start()]
    found.sort(key=lambda h: (-(h.end - h.start), h.start))
    kept: list[LabelHit] = []
    for hit in found:
        if all(hit.end <= k.start or k.end <= hit.start for k in kept):
            kept.append(hit)
    return sorted(kept, key=lambda h: h.start)
