"""Values checked against each other before they are trusted.

The three amounts are chosen together: among the labelled candidates the combination where
untaxed plus tax makes the total wins, and a missing one is taken from the others only when
the document prints it. Line subtotals are checked against quantity x unit price (less a
discount), and their sum against the untaxed total. A value that fails its check keeps a low
confidence and a flag; so does an ambiguous date or decimal separator.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field

from triage.ingest.document.header import Candidate
from triage.ingest.document.lines import Item
from triage.ingest.document.values import Amount, adds_up

CONSISTENT = 1.5  # the bonus a combination gets when untaxed + tax = total


def close(a: float, b: float, tolerance: float = 0.011) -> bool:
    return abs(a - b) <= tolerance


@dataclass
class Settled:
    values: dict[str, float | None] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    flags: list[dict] = field(default_factory=list)
    currency: str | None = None


def best(candidates: list[Candidate]) -> tuple[Candidate | None, float]:
    """The best-supported value and its confidence: a value found several ways gains a little."""
    if not candidates:
        return None, 0.0
    groups: dict = defaultdict(list)
    for c in candidates:
        groups[c.value].append(c)
    ranked = sorted(groups.values(), key=lambda g: (-(max(c.score for c in g) + 0.1 * (len(g) - 1)), min(c.line for c in g)))
    group = ranked[0]
    top = max(group, key=lambda c: c.score)
    confidence = min(0.99, 0.9 * min(top.score, 1.0) + 0.05 * (len(group) - 1))
    return top, round(confidence, 2)


def settle_amounts(total: list[Candidate], untaxed: list[Candidate], tax: list[Candidate],
                   printed: set[float], lines_sum: float | None) -> Settled:
    """Choose total, untaxed and tax together (``printed``: every amount the document shows)."""
    options = {name: _distinct(cands) + [None] for name, cands in (("t", total), ("u", untaxed), ("x", tax))}
    options["x"] += _sums(tax)
    best_score, choice = float("-inf"), (None, None, None)
    for t, u, x in itertools.product(options["t"], options["u"], options["x"]):
        score = sum(c.score for c in (t, u, x) if c is not None)
        tv, uv, xv = (c.value.value if c else None for c in (t, u, x))
        if None not in (tv, uv, xv):
            score += CONSISTENT if close(uv + xv, tv) else -0.5
        if tv is not None and uv is not None and xv is None and not close(tv, uv) and tv - uv not in printed:
            score -= 0.2
        if lines_sum is not None and uv is not None and close(lines_sum, uv, 0.02):
            score += 0.5
        if score > best_score:
            best_score, choice = score, (t, u, x)
    t, u, x = choice
    out = Settled()
    values = {"amount_total": t.value.value if t else None, "amount_untaxed": u.value.value if u else None,
              "amount_tax": x.value.value if x else None}
    conf = {"amount_total": t.score if t else 0.0, "amount_untaxed": u.score if u else 0.0,
            "amount_tax": x.score if x else 0.0}
    tv, uv, xv = values["amount_total"], values["amount_untaxed"], values["amount_tax"]
    derived = {}
    if tv is not None and xv is not None and uv is None and _printed(tv - xv, printed):
        derived["amount_untaxed"] = round(tv - xv, 2)
    if uv is not None and xv is not None and tv is None and _printed(uv + xv, printed):
        derived["amount_total"] = round(uv + xv, 2)
    if tv is not None and uv is not None and xv is None and _printed(tv - uv, printed):
        derived["amount_tax"] = round(tv - uv, 2)
    for name, value in derived.items():
        values[name], conf[name] = value, 0.75
    tv, uv, xv = values["amount_total"], values["amount_untaxed"], values["amount_tax"]
    consistent = None not in (tv, uv, xv) and close(uv + xv, tv)
    for name in values:
        if values[name] is None:
            conf[name] = 0.0
        elif consistent:
            conf[name] = max(conf[name], 0.97)
        else:
            conf[name] = min(0.9 * min(conf[name], 1.0), 0.85)
    if None not in (tv, uv, xv) and not consistent:
        out.flags.append({"field": "amount_total", "code": "totals_mismatch"})
        conf["amount_total"] = min(conf["amount_total"], 0.4)
    for name, cand in (("amount_total", t), ("amount_untaxed", u), ("amount_tax", x)):
        if cand is not None and cand.ambiguous and values[name] == cand.value.value:
            out.flags.append({"field": name, "code": "ambiguous_decimal"})
            conf[name] = min(conf[name], 0.5)
    out.values, out.confidence = values, {k: round(v, 2) for k, v in conf.items()}
    currencies = [c.value.currency for c in (t, u, x) if c is not None and c.value.currency]
    out.currency = currencies[0] if currencies else None
    return out


def _distinct(candidates: list[Candidate]) -> list[Candidate]:
    by_value: dict[float, Candidate] = {}
    for c in candidates:
        key = c.value.value
        if key not in by_value or c.score > by_value[key].score:
            by_value[key] = c
    return sorted(by_value.values(), key=lambda c: -c.score)[:8]


def _sums(tax: list[Candidate]) -> list[Candidate]:
    """Two or three tax lines in a row (7% and 19%) as one tax amount."""
    by_line = sorted({c.line: c for c in tax}.values(), key=lambda c: c.line)
    out = []
    for size in (2, 3):
        for start in range(len(by_line) - size + 1):
            group = by_line[start:start + size]
            if group[-1].line - group[0].line == size - 1:
                value = round(sum(c.value.value for c in group), 2)
                out.append(Candidate(Amount(group[0].value.start, group[-1].value.end, value, False, group[0].value.currency),
                                     min(c.score for c in group) * 0.9, group[-1].line, "sum:amount_tax"))
    return out


def _printed(value: float, printed: set[float]) -> bool:
    return any(close(value, p) for p in printed)


def check_lines(items: list[Item], untaxed: float | None, total: float | None) -> tuple[list[dict], bool | None]:
    """Flags for lines whose arithmetic fails, and whether the lines add up to the untaxed
    total (or to the total, for prices with tax); None when there is nothing to compare."""
    flags: list[dict] = []
    for k, item in enumerate(items):
        if None in (item.quantity, item.unit_price, item.subtotal):
            continue
        if not adds_up(item.quantity, item.unit_price, item.subtotal, item.discount or 0.0):
            flags.append({"field": f"lines[{k}].subtotal", "code": "line_arithmetic"})
        for name in item.ambiguous:
            flags.append({"field": f"lines[{k}].{name}", "code": "ambiguous_decimal"})
    subtotals = [item.subtotal for item in items]
    if not items or None in subtotals:
        return flags, None
    total_of_lines = sum(subtotals)
    matches = any(v is not None and close(total_of_lines, v, 0.02 + 0.005 * len(items)) for v in (untaxed, total))
    if not matches and (untaxed is not None or total is not None):
        flags.append({"field": "amount_untaxed", "code": "lines_mismatch"})
    return flags, matches if (untaxed is not None or total is not None) else None
