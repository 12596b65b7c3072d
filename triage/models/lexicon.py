"""Cue-word features in en, de, fr, es, nl, it and pt: how strongly a text speaks of each topic.

The embedding model is English-only and the corpus small; a short lexicon per topic, written
once for seven languages, carries the signal that generalises across writers and languages
(a German "Lieferverzug" and an Italian "ritardo" land on the same feature). Stems are
matched at word starts, case-insensitively. The classifier learns the weights.
"""

from __future__ import annotations

import re

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

CUES: dict[str, str] = {
    "delay": r"delay|late\b|later than|postpon|reschedul|push(ed)? back|new (delivery |ship(ping)? )?date|revised date"
             r"|cannot (deliver|ship|meet)|unable to (deliver|ship|meet)|backlog|slipp|verz[öo]ger|versp[äa]t|verschieb"
             r"|lieferverzug|neue[rn]? (liefer)?termin|sp[äa]ter|retard|report[ée]|d[ée]cal|nouvelle date|retras|aplaz"
             r"|demora|nueva fecha|vertrag|uitgesteld|nieuwe (lever)?datum|ritard|posticip|slitt|nuova data|atras"
             r"|adiad|nova data|prorrog",
    "partial": r"partial|part of|remain|remainder|balance of|back ?order|rest (will|of)|split|short[- ]shipped"
               r"|teilliefer|restmenge|teilweise|rest\b|partiel|reliquat|solde|reste|parcial|restante|pendiente"
               r"|deellever|gedeeltelijk|restant|parzial|residu|rimanent|saldo|remanescent",
    "price": r"price|pricing|increase|surcharge|price ?list|per kg|raise|cost increase|tariff|preis|zuschlag|teuerung"
             r"|erh[öo]hung|prix|augment|hausse|suppl[ée]ment|tarif|precio|aumento|incremento|recargo|prijs|verhoging"
             r"|toeslag|prezz|listino|supplemento|rincar|pre[çc]o|sobretaxa|tabela",
    "invoice": r"invoic|credit ?note|overcharg|billed|discrepan|mismatch|duplicate|incorrect|wrong (amount|price|quantity)"
               r"|rechnung|gutschrift|falsch|doppelt|differenz|factur|avoir|erreur|[ée]cart|abono|error|diferencia"
               r"|factuur|creditnota|verschil|fattur|nota di credito|errore|differenza|fatura|nota de cr[ée]dito|erro\b|diferen[çc]a",
    "confirm": r"confirm|acknowledg|as requested|on time|order received|best[äa]tig|auftragsbest|confirmon|confirmamos"
               r"|confirmad|bevestig|conferm|confirmam",
    "cancel": r"cancel|discontinu|no longer|end of life|obsolete|cannot supply|unable to supply|insolv|force majeure"
              r"|minimum order|storn|abgek[üu]ndigt|nicht mehr liefer|auslauf|annul|arr[êe]t|plus disponible|anul"
              r"|descatalog|ya no|geannuleerd|niet meer lever|annull|fuori produzione|non pi[ùu]|descontinu|n[ãa]o .{0,20}mais",
    "quality": r"defect|damage|broken|recall|wrong (item|article|part|goods)|non-?conform|complaint|inspection|reject"
               r"|faulty|crack|rust|contamina|mangel|defekt|besch[äa]digt|reklamation|r[üu]ckruf|falsch geliefert"
               r"|d[ée]faut|endommag|rappel|r[ée]clamation|dañad|retirada|reclamaci|beschadigd|terugroep|klacht|difett"
               r"|danneggi|richiamo|reclamo|defeito|danificad|recolha|reclama[çc]",
    "payment": r"payment|overdue|outstanding|reminder|past due|unpaid|statement|remit|dunning|on stop|zahlung|mahnung"
               r"|[üu]berf[äa]llig|offene[rn]? posten|kontoauszug|paiement|relance|impay|[ée]chu|pago|vencid|recordatorio"
               r"|betaling|herinnering|achterstallig|openstaand|vervallen|pagament|sollecit|scadut|insolut|lembrete|em atraso",
    "shipping": r"shipped|dispatch|on (its|the) way|tracking|awb|b/l|eta\b|delivery note|loaded|picked up|carrier|container"
                r"|versandt|verschickt|unterwegs|sendungsnummer|lieferschein|versandanzeige|spedition|exp[ée]di|en route"
                r"|suivi|transporteur|enviad|expedid|expedici|seguimiento|transportista|verzonden|onderweg|verzending"
                r"|vervoerder|spedit|spedizione|in viaggio|corriere|a caminho|transportadora|rastreio",
    "away": r"out of (the )?office|automatic reply|auto-?reply|abwesen|urlaub|absen|vacation|holiday|cong[ée]s"
            r"|fuera de la oficina|vacaciones|afwezig|vakantie|fuori ufficio|ferie|ausente|f[ée]rias|newsletter|webinar"
            r"|invitation|forecast|certificate|bank details|iban",
    "negation": r"no (further )?delay|not (be )?delayed|on schedule|as planned|as scheduled|unchanged|keine verz[öo]gerung"
                r"|wie geplant|termingerecht|comme pr[ée]vu|sans retard|seg[úu]n lo previsto|sin retraso|zoals gepland"
                r"|zonder vertraging|come previsto|senza ritard|conforme previsto|sem atraso",
}

_PATTERNS = {name: re.compile(rf"(?<!\w)(?:{pattern})", re.I) for name, pattern in CUES.items()}


class CueFeatures(BaseEstimator, TransformerMixin):
    """Texts -> log(1 + number of cue matches) per topic."""

    def fit(self, texts, y=None):
        return self

    def transform(self, texts) -> np.ndarray:
        return np.array(
            [[np.log1p(len(p.findall(t))) for p in _PATTERNS.values()] for t in texts], dtype=np.float32
        ).reshape(len(texts), len(_PATTERNS))

    def get_feature_names_out(self, input_features=None):
        return np.array([f"cue_{name}" for name in _PATTERNS], dtype=object)
