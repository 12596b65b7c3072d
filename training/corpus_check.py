"""Check labelled email rows before they join the seed corpus, and report near-duplicates.

    python -m training.corpus_check NEW.jsonl [...]   # check new rows against the corpus
    python -m training.corpus_check                   # near-duplicate report for the corpus

A row is refused when its shape is wrong, a labelled reference, tracking number or SKU does
not appear in its text, a date is not ISO, or it shares more than ``MAX_JACCARD`` of its
word set with any other email (a template with swapped words teaches the model the template).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from datetime import date, datetime
from itertools import combinations
from pathlib import Path
from typing import Any, Iterable

from training.dataset import load_corpus
from triage.domain import CATEGORIES

FIELD_KEYS = ("po_refs", "invoice_refs", "new_date", "amounts", "tracking_numbers", "sku_refs")
LANGS = ("en", "de", "fr", "es", "nl", "it", "pt")
HARD_TAGS = {
    "negation", "late_confirmation", "mixed_topics", "reply_chain_topic_change", "auto_reply",
    "disguised_price", "partial_in_shipping_notice", "third_party", "reversal",
}
MAX_JACCARD = 0.6  # word-set overlap between any two emails
SHINGLE = 5  # characters per shingle for the second similarity measure


def words(row: dict[str, Any]) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", f"{row['subject']} {row['body']}".lower()))


def shingles(row: dict[str, Any]) -> frozenset[str]:
    text = re.sub(r"\s+", " ", f"{row['subject']} {row['body']}".lower())
    return frozenset(text[i:i + SHINGLE] for i in range(max(1, len(text) - SHINGLE + 1)))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _squash(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text).lower()


def problems(row: dict[str, Any]) -> list[str]:
    """What is wrong with one row (empty when it is fine)."""
    found: list[str] = []
    for key in ("id", "lang", "writer", "subject", "body", "from", "date", "category", "priority"):
        if not row.get(key) and row.get(key) != 0:
            found.append(f"missing {key}")
    if found:
        return found
    if row["category"] not in CATEGORIES:
        found.append(f"unknown category {row['category']!r}")
    if row["lang"] not in LANGS:
        found.append(f"lang must be one of {LANGS}")
    if row["priority"] not in (1, 2, 3, 4):
        found.append("priority must be 1-4")
    if not isinstance(row.get("hard"), bool):
        found.append("hard must be true or false")
    tags = row.get("hard_tags", [])
    if set(tags) - HARD_TAGS:
        found.append(f"unknown hard_tags {sorted(set(tags) - HARD_TAGS)}")
    if row.get("hard") and not tags:
        found.append("a hard email names its hard_tags")
    try:
        datetime.fromisoformat(row["date"])
    except (TypeError, ValueError):
        found.append(f"date {row['date']!r} is not ISO 8601 with a time")
    fields = row.get("fields")
    if not isinstance(fields, dict) or set(fields) != set(FIELD_KEYS):
        return found + [f"fields must have exactly {FIELD_KEYS}"]
    text = f"{row['subject']}\n{row['body']}"
    squashed = _squash(text)
    for key in ("po_refs", "invoice_refs", "tracking_numbers", "sku_refs"):
        for value in fields[key]:
            if value not in text and _squash(value) not in squashed:
                found.append(f"{key} {value!r} does not appear in the text")
    if fields["new_date"] is not None:
        try:
            date.fromisoformat(fields["new_date"])
        except (TypeError, ValueError):
            found.append(f"new_date {fields['new_date']!r} is not YYYY-MM-DD")
    for amount in fields["amounts"]:
        if (not isinstance(amount, dict) or not isinstance(amount.get("value"), (int, float))
                or not re.fullmatch(r"[A-Z]{3}", str(amount.get("currency")))):
            found.append(f"amount {amount!r} is not {{value: number, currency: ISO 4217}}")
    if row.get("golden"):
        empty = [k for k in FIELD_KEYS if not fields[k]]
        if empty:
            found.append(f"a golden email fills every field; empty: {empty}")
    return found


def closest_pairs(rows: list[dict[str, Any]], top: int = 5,
                  among: Iterable[dict[str, Any]] | None = None) -> list[tuple[float, float, str, str]]:
    """The most similar pairs: (word Jaccard, 5-char shingle Jaccard, id, id), worst first.

    With ``among``, only pairs with at least one row from it are compared.
    """
    w = {r["id"]: words(r) for r in rows}
    focus = {r["id"] for r in among} if among is not None else None
    scored = []
    for (x, a), (y, b) in combinations(w.items(), 2):
        if focus is not None and x not in focus and y not in focus:
            continue
        scored.append((jaccard(a, b), x, y))
    scored.sort(reverse=True)
    by_id = {r["id"]: r for r in rows}
    return [(j, jaccard(shingles(by_id[x]), shingles(by_id[y])), x, y) for j, x, y in scored[:top]]


def _read(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: invalid JSON: {exc}") from exc
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="new JSONL rows to check")
    parser.add_argument("--top", type=int, default=5, help="how many closest pairs to show")
    args = parser.parse_args(argv)
    corpus = load_corpus()
    new = [row for path in args.files for row in _read(path)]
    known = {r["id"] for r in corpus}
    failed = 0
    for row in new:
        issues = problems(row)
        if row.get("id") in known:
            issues.append("id already in the corpus")
        for issue in issues:
            print(f"{row.get('id', '?')}: {issue}")
        failed += bool(issues)
    ids = [r.get("id") for r in new]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        print(f"{dup}: id used twice in the new rows")
        failed += 1
    rows = [r for r in corpus if r["id"] not in set(ids)] + [r for r in new if "subject" in r]
    pairs = closest_pairs(rows, args.top, among=new if new else None)
    print(f"{len(rows)} emails; closest pairs (word Jaccard / 5-char shingle Jaccard), "
          f"limit {MAX_JACCARD:.2f} on words:")
    for j, s, x, y in pairs:
        flag = "  TOO CLOSE" if j > MAX_JACCARD else ""
        print(f"  {j:.2f} / {s:.2f}  {x}  {y}{flag}")
        failed += j > MAX_JACCARD
    if new:
        print(f"{len(new)} new row(s): {'all fine' if not failed else f'{failed} problem(s)'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
