"""Email rows -> classify output rows (``triage classify`` and ``POST /v1/classify``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from triage.domain import Fields
from triage.ingest.extract import extract_fields, month_first_sender
from triage.ingest.language import detect_language
from triage.ingest.mime import parse_date
from triage.ingest.reply import split_reply
from triage.models.bundle import ModelBundle, Prediction
from triage.models.priority import prioritise
from triage.models.text import join_newest


def row_problem(row: Any) -> str | None:
    """Why a row cannot be classified, or None."""
    if not isinstance(row, dict):
        return "an email row must be a JSON object"
    missing = [k for k in ("subject", "body") if not isinstance(row.get(k), str)]
    return f"an email row needs string field(s): {', '.join(missing)}" if missing else None


def email_fields(subject: str, body: str, sent_at: dt.datetime | None, category: str,
                 language: str | None = None) -> Fields:
    """Fields of an email row over subject and body (quoted history included), numeric dates
    read in the sender's convention (``language``: of the newest message; detected if None)."""
    if language is None:
        language = detect_language(f"{subject}\n{split_reply(body).newest}")[0]
    return extract_fields(f"{subject}\n{body}", sent_at.date() if sent_at else None, category,
                          month_first=month_first_sender(sent_at, language))


def explanation(prediction: Prediction, priority_reasons: list[str]) -> dict[str, Any]:
    """The explanation object of a classify row (and the API's)."""
    top = dict(sorted(prediction.scores.items(), key=lambda kv: kv[1], reverse=True)[:3])
    detail = prediction.explanation.as_dict() if prediction.explanation else {"terms": [], "cues": [], "nearest": []}
    summary = "; ".join(f"{c} {p:.2f}" for c, p in top.items())
    if prediction.explanation and prediction.explanation.summary():
        summary += f" | {prediction.explanation.summary()}"
    if prediction.low_confidence:
        summary = f"LOW CONFIDENCE | {summary}"
    return {"summary": summary, "scores": top, **detail, "priority_reasons": list(priority_reasons)}


def classify_rows(model: ModelBundle, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One output row per valid input row, in order; the model runs once over the batch."""
    newest = [split_reply(r["body"]).newest for r in rows]
    predictions = model.predict([join_newest(r["subject"], n) for r, n in zip(rows, newest, strict=True)])
    out = []
    for index, (row, latest, prediction) in enumerate(zip(rows, newest, predictions, strict=True)):
        sent_at = parse_date(str(row["date"])) if row.get("date") else None
        sent = sent_at.date() if sent_at else None
        text = f"{row['subject']}\n{latest}"
        language = detect_language(text)[0]
        fields = email_fields(row["subject"], row["body"], sent_at, prediction.category, language)
        prio = prioritise(prediction.category, text, fields, sent)
        out.append({
            "id": row.get("id", index),
            "category": prediction.category,
            "confidence": prediction.confidence,
            "low_confidence": prediction.low_confidence,
            "priority": prio.priority,
            "language": language,
            "fields": fields.as_dict(),
            "explanation": explanation(prediction, prio.reasons),
        })
    return out
