"""What the models read of an email: the subject and the newest message, nothing quoted."""

from __future__ import annotations

from triage.ingest.reply import split_reply

MAX_MODEL_CHARS = 4000


def model_text(subject: str, body: str) -> str:
    newest = split_reply(body).newest
    return f"{subject.strip()}\n{newest}"[:MAX_MODEL_CHARS]
