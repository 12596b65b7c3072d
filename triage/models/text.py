"""What the models read of an email: the subject and the newest message, nothing quoted."""

from __future__ import annotations

from triage.ingest.reply import split_reply

MAX_MODEL_CHARS = 4000


def model_text(subject: str, body: str) -> str:
    return join_newest(subject, split_reply(body).newest)


def join_newest(subject: str, newest: str) -> str:
    """The model's input when the newest message is already separated."""
    return f"{subject.strip()}\n{newest}"[:MAX_MODEL_CHARS]
