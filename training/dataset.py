"""The labelled dataset: the seed corpus in ``training/data/emails/*.jsonl``.

Each row: id, lang, writer, hard, hard_tags, subject, body, from, date, category,
priority, fields. The evaluation split is a frozen list of ids (``data/eval_ids.txt``), stratified by
category and language: one email in five of every (category, language) group. ``python -m
training.dataset --assign`` places emails added since (it never moves one already placed);
training never sees the held-out emails.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triage.domain import CATEGORIES
from triage.models.text import model_text

CORPUS_DIR = Path(__file__).parent / "data" / "emails"
SPLIT_FILE = Path(__file__).parent / "data" / "eval_ids.txt"
EVAL_SHARE = 5  # one email in five is held out


@dataclass
class Example:
    id: str
    text: str
    category: str
    priority: int
    lang: str
    row: dict[str, Any]


def load_corpus(directory: Path = CORPUS_DIR) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: invalid JSON: {exc}") from exc
            if row.get("category") not in CATEGORIES:
                raise ValueError(f"{path.name}:{number}: unknown category {row.get('category')!r}")
            rows.append(row)
    ids = [r["id"] for r in rows]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate ids in the corpus")
    return rows


def _rank(email_id: str) -> int:
    return int(hashlib.sha256(email_id.encode()).hexdigest(), 16)


def eval_ids(path: Path = SPLIT_FILE) -> frozenset[str]:
    if not path.is_file():
        raise ValueError(f"{path} is missing: run python -m training.dataset --assign")
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


def assign(rows: list[dict[str, Any]], held: frozenset[str], placed: frozenset[str]) -> set[str]:
    """The evaluation ids after placing the rows not yet ``placed``: within each (category,
    language) group, new emails go to evaluation (in hash order) until the group's share of
    held-out emails reaches one in five. Emails already placed keep their side."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["category"], row.get("lang", "en")), []).append(row)
    result = set(held)
    for members in groups.values():
        wanted = round(len(members) / EVAL_SHARE)
        have = sum(r["id"] in result for r in members)
        for row in sorted((r for r in members if r["id"] not in placed), key=lambda r: _rank(r["id"])):
            if have >= wanted:
                break
            result.add(row["id"])
            have += 1
    return result


def to_example(row: dict[str, Any]) -> Example:
    return Example(
        id=row["id"],
        text=model_text(row["subject"], row["body"]),
        category=row["category"],
        priority=int(row["priority"]),
        lang=row.get("lang", "en"),
        row=row,
    )


def split(rows: list[dict[str, Any]]) -> tuple[list[Example], list[Example]]:
    """(train, eval) examples."""
    examples = [to_example(r) for r in rows]
    held = eval_ids()
    return [e for e in examples if e.id not in held], [e for e in examples if e.id in held]


def main(argv: list[str] | None = None) -> int:
    import argparse
    from collections import Counter

    parser = argparse.ArgumentParser(prog="python -m training.dataset", description="The corpus and its split.")
    parser.add_argument("--assign", action="store_true",
                        help="place emails added since the split was frozen and rewrite data/eval_ids.txt")
    args = parser.parse_args(argv)
    rows = load_corpus()
    held = eval_ids() if SPLIT_FILE.is_file() else frozenset()
    placed_file = SPLIT_FILE.with_name("split_placed.txt")
    placed = frozenset(placed_file.read_text().split()) if placed_file.is_file() else frozenset()
    if args.assign:
        held = frozenset(assign(rows, held, placed))
        header = "# held-out evaluation emails; training never sees them (python -m training.dataset --assign)\n"
        SPLIT_FILE.write_text(header + "".join(f"{i}\n" for i in sorted(held)), encoding="utf-8")
        placed_file.write_text("".join(f"{r['id']}\n" for r in sorted(rows, key=lambda r: r["id"])), encoding="utf-8")
    by_category = Counter(r["category"] for r in rows if r["id"] in held)
    print(f"{len(rows)} emails, {len(held)} held out ({len(held) / len(rows):.0%})")
    for category, n in sorted(by_category.items()):
        print(f"  {category:20} {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
