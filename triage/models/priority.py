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
    "partial_shipment": 2,
    "price_change": 3,
    "invoice_discrepancy": 2,
    "order_confirmation": 4,
    "cancellation": 1,
    "quality_issue": 2,
    "payment_reminder": 3,
    "shipping_notice": 4,
    "other": 4,
}

_CRITICAL = re.compile(
    r"stock[- ]?out|line[- ]down|production (stop|standstill)|out of stock|safety|recall|r[üu]ckruf|rappel"
    r"|retirada|terugroep|richiamo|recolha|account (is )?on (stop|hold)|credit (stop|hold)|Liefersperre"
    r"|final (notice|reminder)|letzte mahnung|dernier rappel|mise en demeure|[úu]ltimo aviso|laatste aanmaning"
    r"|ultimo sollecito|legal action|inkasso|debt collection|insolv|force majeure|again|second (delay|postpone)"
    r"|erneut|nochmals|à nouveau|de nuevo|opnieuw|di nuovo|novamente|customer (order|project)|urgent|dringend|urgente",
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
    if category in ("delivery_delay", "partial_shipment") and fields.new_date and sent:
        days = (fields.new_date - sent).days
        if days >= 60:
            level, reasons = 1, reasons + [f"new date {days} days out"]
        elif days < 10 and category == "delivery_delay":
            level, reasons = 3, reasons + [f"new date only {days} days out"]
    if category == "other" and BANK_CHANGE.search(text):
        level, reasons = 2, reasons + ["bank details change: must be verified"]
    if category not in ("order_confirmation", "shipping_notice", "other") and _CRITICAL.search(text):
        word = _CRITICAL.search(text).group(0)
        level, reasons = max(1, level - 1), reasons + [f"urgency: '{word}'"]
    score = round(1.0 - (level - 1) / 3 + (0.1 if len(reasons) > 1 else 0.0), 3)
    return Priority(priority=level, score=min(score, 1.0), reasons=tuple(reasons))
