"""Priority P1..P4 with a score, following the rubric of ARCHITECTURE.md.

P1 act today (stock-out, customer impact, safety recall, the supplier cannot supply an open
order, a second postponement or a delay of months, account on stop, a large increase days
away); P2 within 1-2 days (a delay of about two weeks or more, a partial needing a decision,
an increase within about four weeks, a quality check, an invoice dispute); P3 routine this
week; P4 informational.

A transparent rubric: a base per category, moved by urgency read in the text (the measured
delay, urgency words in seven languages) and by impact when Odoo knows the order (``Impact``:
order value in company currency, days late against the need date, stock cover against the
arrival, earlier postponements, a deadline). The score is in [0, 1], higher is more urgent;
the priority is its band. Every move is a reason in words, kept with the assessment.
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
class Impact:
    """What Odoo knows about the order behind a signal; every part is optional."""

    order_value: float | None = None  # company currency
    need_date: dt.date | None = None  # when we need the goods (the PO's planned date)
    qty_short: float | None = None  # units of the order not available now
    stock_cover_days: float | None = None  # days the stock on hand lasts
    earlier_slips: int = 0  # postponements of this order seen before
    deadline: dt.date | None = None  # a date set for us: a price increase takes effect, a payment is due


@dataclass(frozen=True)
class ImpactRules:
    high_value: float = 50_000.0  # an order this large moves up one level
    low_value: float = 500.0  # a delay or price change on an order this small moves down one
    late_p2_days: int = 14  # this many days after the need date: at least P2
    late_p1_days: int = 60  # ... and P1


_GOODS = ("delivery_delay", "partial_shipment")
_ACTIONABLE = ("delivery_delay", "partial_shipment", "price_change", "invoice_discrepancy", "cancellation",
               "quality_issue", "payment_reminder")


@dataclass(frozen=True)
class Priority:
    priority: int
    score: float
    reasons: tuple[str, ...]


def prioritise(category: str, text: str, fields: Fields, sent: dt.date | None, impact: Impact | None = None,
               rules: ImpactRules = ImpactRules()) -> Priority:
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
    if impact is not None:
        for new_level, reason in _weigh_impact(category, level, fields, sent, impact, rules):
            move(new_level, reason)
    score = round(1.0 - (level - 1) / 3 + (0.1 if len(reasons) > 1 else 0.0), 3)
    return Priority(priority=level, score=min(score, 1.0), reasons=tuple(reasons))


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _weigh_impact(category: str, level: int, fields: Fields, sent: dt.date | None, impact: Impact,
                  rules: ImpactRules) -> list[tuple[int, str]]:
    """Impact moves as (new level, reason); the most urgent reason ends the list; a small order
    only lowers a routine item."""
    moves: list[tuple[int, str]] = []
    goods = category in _GOODS
    arrival = fields.new_date
    if goods and arrival and impact.stock_cover_days is not None and sent is not None:
        wait = (arrival - sent).days
        if impact.stock_cover_days < wait:
            return [(1, f"stock lasts {impact.stock_cover_days:g} days, the goods arrive in {wait}")]
    if goods and arrival is None and impact.need_date and sent is not None and sent >= impact.need_date:
        overdue = (sent - impact.need_date).days  # not here yet: at least this late, arrival unknown
        if impact.stock_cover_days is not None and impact.stock_cover_days <= 0:
            return [(1, f"no stock left and the goods are {overdue} days late")]
        if overdue >= rules.late_p1_days and level > 1:
            return [(1, f"{overdue} days after the need date and still not here")]
        if overdue >= rules.late_p2_days and level > 2:
            level = 2
            moves.append((level, f"{overdue} days after the need date and still not here"))
    if category == "delivery_delay" and impact.earlier_slips >= 1 and level > 1:
        return [(1, f"postponed before ({impact.earlier_slips}x)")]
    if goods and arrival and impact.need_date:
        late = (arrival - impact.need_date).days
        if late >= rules.late_p1_days and level > 1:
            return [(1, f"{late} days after the need date")]
        if late >= rules.late_p2_days and level > 2:
            level = 2
            moves.append((level, f"{late} days after the need date"))
        elif late <= 0 and level < 3 and category == "delivery_delay":
            level = 3
            moves.append((level, f"still {-late} days before the need date"))
    if impact.deadline and sent and category in _ACTIONABLE:
        days = (impact.deadline - sent).days
        if days <= 2 and level > 2:
            level = 2
            days = max(days, 0)
            moves.append((level, f"deadline in {days} day{'' if days == 1 else 's'}"))
    if impact.order_value is not None and category in _ACTIONABLE:
        if impact.order_value >= rules.high_value and level > 1:
            level -= 1
            moves.append((level, f"order value {_money(impact.order_value)}"))
        elif impact.order_value < rules.low_value and level == 3 and category in (*_GOODS, "price_change"):
            level = 4
            moves.append((level, f"small order ({_money(impact.order_value)})"))
    return moves
