"""The labelled dataset: the seed corpus in ``training/data/emails/*.jsonl``.

Each row: id, lang, writer, hard, hard_tags, subject, body, from, date, category,
priority, fields. The evaluation split is fixed per email id (a hash, so adding emails never
moves an old one between splits) and stratified by category in expectation; training never
sees it.
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


def is_eval(email_id: str) -> bool:
    return int(hashlib.sha256(email_id.encode()).hexdigest(), 16) % EVAL_SHARE == 0


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
    return [e for e in examples if not is_eval(e.id)], [e for e in examples if is_eval(e.id)]
