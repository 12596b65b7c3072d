"""Email rows -> classify output rows (``triage classify`` and ``POST /v1/classify``)."""

from __future__ import annotations

from typing import Any

from triage.ingest.extract import extract_fields
from triage.ingest.mime import parse_date
from triage.ingest.reply import split_reply
from triage.models.bundle import ModelBundle
from triage.models.priority import prioritise
from triage.models.text import model_text


def row_problem(row: Any) -> str | None:
    """Why a row cannot be classified, or None."""
    if not isinstance(row, dict):
        return "an email row must be a JSON object"
    missing = [k for k in ("subject", "body") if not isinstance(row.get(k), str)]
    return f"an email row needs string field(s): {', '.join(missing)}" if missing else None


def classify_rows(model: ModelBundle, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One output row per valid input row, in order; the model runs once over the batch."""
    predictions = model.predict([model_text(r["subject"], r["body"]) for r in rows])
    out = []
    for index, (row, prediction) in enumerate(zip(rows, predictions, strict=True)):
        sent_at = parse_date(str(row["date"])) if row.get("date") else None
        sent = sent_at.date() if sent_at else None
        fields = extract_fields(f"{row['subject']}\n{row['body']}", sent, prediction.category)
        newest = f"{row['subject']}\n{split_reply(row['body']).newest}"
        prio = prioritise(prediction.category, newest, fields, sent)
        top = sorted(prediction.scores.items(), key=lambda kv: kv[1], reverse=True)[:3]
        out.append({
            "id": row.get("id", index),
            "category": prediction.category,
            "confidence": prediction.confidence,
            "priority": prio.priority,
            "fields": fields.as_dict(),
            "explanation": "; ".join(f"{c} {p:.2f}" for c, p in top) + (f" | {'; '.join(prio.reasons)}"),
        })
    return out
