"""Priority P1..P4 with a score, following the rubric of ARCHITECTURE.md.

P1 act today (stock-out, customer impact, safety recall, the supplier cannot supply an open
order, a second postponement or a delay of months, account on stop, a large increase days
away); P2 within 1-2 days (a delay of about two weeks or more, a partial needing a decision,
an increase within about four weeks, a quality check, an invoice dispute); P3 routine this
week; P4 informational.

A first, transparent rubric: a base per category, moved by the measured delay and by
urgency words in seven languages. The score is in [0, 1], higher is more urgent; the
priority is the score's band. The findings issue adds order value, stock cover and supplier
history from Odoo.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from triage.cues import BANK_CHANGE
from triage.domain import Fields

BASE = {
    "delivery_delay": 2,
    "partial_shipment": 3,
    "price_change": 3,
    "invoice_discrepancy": 2,
    "order_confirmation": 4,
    "cancellation": 1,
    "quality_issue": 2,
    "payment_reminder": 3,
    "shipping_notice": 4,
    "other": 4,
}

# The supplier asks us to decide something (a partial needing a decision is P2).
_DECISION = re.compile(
    r"(?<!\w)(?:please (confirm|advise|let us know|decide)|let us know|do you (want|wish|accept|agree)|would you"
    r"|shall we|whether you|your decision|bitte (teilen|best[äa]tigen|geben)|ob sie|merci de (nous )?(confirmer|indiquer)"
    r"|souhaitez|acceptez|por favor (confirm|ind[íi]quen)|si (desea|acepta)|laat (ons )?weten|graag uw|wilt u"
    r"|vi preghiamo di (confermare|comunicare)|se (desiderate|accettate)|por favor (confirmem|informem)|se aceitam)",
    re.I,
)
# The supplier already corrects it: a credit note issued or a corrected invoice sent.
_ALREADY_CORRECTED = re.compile(
    r"(?<!\w)(?:credit note (is )?(attached|issued|enclosed|follows)|we (have )?(issued|attached|enclosed) a credit"
    r"|corrected invoice|gutschrift (anbei|erstellt|beigef)|korrigierte rechnung|avoir (ci-joint|en pi[èe]ce jointe|[ée]mis)"
    r"|facture corrig|nota de cr[ée]dito (adjunta|emitida)|factura (corregida|rectificativa)|creditnota (bijgevoegd|in bijlage)"
    r"|gecorrigeerde factuur|nota di credito (allegata|emessa)|fattura corrett|nota de cr[ée]dito (em anexo|emitida)"
    r"|fatura corrigida)",
    re.I,
)
_DECREASE = re.compile(r"(?<!\w)(?:decrease|reduc|lower price|price cut|senk|baisse|r[ée]duction|reducci|rebaj|verlag"
                       r"|riduzion|diminui|redu[çc])", re.I)
_AS_REQUESTED = re.compile(r"(?<!\w)(?:as (you )?requested|at your request|your (cancellation )?request|wie gew[üu]nscht"
                           r"|auf ihren wunsch|[àa] votre demande|seg[úu]n (lo )?solicitado|a petici[óo]n|op uw verzoek"
                           r"|come (da voi )?richiesto|su vostra richiesta|conforme solicitado|a vosso pedido)", re.I)

_CRITICAL = re.compile(
    r"(?<!\w)(?:stock[- ]?out|line[- ]down|production (stop|standstill)|out of stock|safety|recall|r[üu]ckruf|rappel"
    r"|retirada|terugroep|richiamo|recolha|account (is )?on (stop|hold)|credit (stop|hold)|Liefersperre"
    r"|final (notice|reminder)|letzte mahnung|dernier rappel|mise en demeure|[úu]ltimo aviso|laatste aanmaning"
    r"|ultimo sollecito|legal action|inkasso|debt collection|insolv|force majeure|again\b|second (delay|postpone)"
    r"|erneut|nochmals|à nouveau|de nuevo|opnieuw|di nuovo|novamente|customer (order|project)|urgent|dringend|urgente)",
    re.I,
)

@dataclass(frozen=True)
class Priority:
    priority: int
    score: float
    reasons: tuple[str, ...]


def prioritise(category: str, text: str, fields: Fields, sent: dt.date | None) -> Priority:
    level = BASE.get(category, 3)
    reasons = [f"{category} starts at P{level}"]

    def move(new_level: int, reason: str) -> None:
        nonlocal level
        level = new_level
        reasons.append(reason)

    days = (fields.new_date - sent).days if fields.new_date and sent else None
    if category == "delivery_delay" and days is not None:
        if days >= 60:
            move(1, f"new date {days} days out")
        elif days < 10:
            move(3, f"new date only {days} days out")
    if category == "partial_shipment":
        if _DECISION.search(text):
            move(2, "the supplier asks for a decision")
        elif days is not None and days >= 21:
            move(2, f"the rest follows in {days} days")
    if category == "invoice_discrepancy" and _ALREADY_CORRECTED.search(text):
        move(3, "the supplier already corrects it")
    if category == "price_change" and _DECREASE.search(text):
        move(4, "a price decrease")
    if category == "cancellation" and _AS_REQUESTED.search(text):
        move(4, "confirms a cancellation we asked for")
    if category == "other" and BANK_CHANGE.search(text):
        move(2, "bank details change: must be verified")
    critical = _CRITICAL.search(text) if category not in ("order_confirmation", "shipping_notice", "other") else None
    if critical and level > 1:
        move(level - 1, f"urgency: '{critical.group(0)}'")
    score = round(1.0 - (level - 1) / 3 + (0.1 if len(reasons) > 1 else 0.0), 3)
    return Priority(priority=level, score=min(score, 1.0), reasons=tuple(reasons))
