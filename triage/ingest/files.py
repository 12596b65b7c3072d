"""Files and request bodies -> Intakes: ``.eml`` messages, ``.pdf`` documents, ``.json`` email rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from triage.config import LimitSettings
from triage.domain import QuarantineReason, Signal, Source
from triage.errors import QuarantinedInput
from triage.ingest import Intake
from triage.ingest.mime import Headers, normalise_message_id, parse_date, parse_message, read_headers
from triage.ingest.pdf import read_pdf

log = logging.getLogger(__name__)


def utc_offset_minutes(when: dt.datetime | None) -> int | None:
    """The sender's UTC offset (stored dates are normalised; the offset tells the convention)."""
    offset = when.utcoffset() if when is not None else None
    return None if offset is None else int(offset.total_seconds() // 60)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def email_key(message_id: str | None, sha: str) -> str:
    """Mail identity: the normalised Message-ID plus the SHA-256 of the raw message."""
    return f"email:{(message_id or '-')[:300]}:{sha}"


def _email_signal(headers: Headers | None, sha: str) -> Signal:
    """An email's signal from its headers (None: unreadable), keyed by the normalised Message-ID
    and the SHA-256 of the message."""
    if headers is None:
        return Signal(key=email_key(None, sha), source=Source.EMAIL, received_at=_now())
    return Signal(key=email_key(headers.message_id, sha), source=Source.EMAIL, received_at=_now(),
                  subject=headers.subject, sender=headers.sender, sent_at=headers.date, message_id=headers.message_id,
                  thread_ids=headers.references + [i for i in headers.in_reply_to if i not in headers.references],
                  meta={"to": headers.to, "utc_offset_minutes": utc_offset_minutes(headers.date)})


def from_eml(raw: bytes, name: str, limits: LimitSettings) -> Intake:
    """A message read whole: headers, text, attachments (its PDFs as children). A message that
    cannot be read, or that breaks the parser, is quarantined with the reason, never raised."""
    sha = _sha(raw)
    intake = Intake(_email_signal(None, sha), raw, name, sha256=sha)
    if len(raw) > limits.message_bytes:
        intake.quarantine = QuarantinedInput(
            QuarantineReason.OVERSIZED, f"message is {len(raw)} bytes; the limit is {limits.message_bytes}")
        return intake
    try:
        msg = parse_message(raw)
    except QuarantinedInput as exc:
        intake.quarantine = exc
        return intake
    except Exception as exc:  # a parser bug on hostile input must not stop the loop
        log.exception("parsing %s failed", name)
        intake.quarantine = QuarantinedInput(QuarantineReason.MALFORMED_MIME, f"{type(exc).__name__}: {exc}")
        return intake
    signal = _email_signal(msg, sha)  # a ParsedMessage is its Headers and more
    signal.text = msg.text[: limits.text_chars]
    signal.attachments = [a.describe() for a in msg.attachments]
    signal.meta["defects"] = msg.defects
    children = [attached_document(a, signal, limits) for a in msg.attachments if is_pdf(a)]
    if not msg.text.strip() and not msg.subject and not children:
        return Intake(signal, raw, name, QuarantinedInput(QuarantineReason.EMPTY, "the message has no text"), sha256=sha)
    return Intake(signal, raw, name, children=children, sha256=sha)


def capture_eml(raw: bytes, name: str) -> Intake:
    """A message stored by its headers alone (the mailbox: fast, and nothing in a body can stop
    it); the flow reads the rest from the original first (``from_eml``), with the same key."""
    sha = _sha(raw)
    try:
        headers = read_headers(raw)
    except Exception as exc:  # the header reader is plain string work; still never lose the message
        log.exception("reading the headers of %s failed", name)
        return Intake(_email_signal(None, sha), raw, name,
                      QuarantinedInput(QuarantineReason.MALFORMED_MIME, f"{type(exc).__name__}: {exc}"), sha256=sha)
    return Intake(_email_signal(headers, sha), raw, name, unread=True, sha256=sha)


def is_pdf(attachment) -> bool:
    """A PDF by its type, its name or its first bytes (senders label PDFs octet-stream)."""
    return (attachment.content_type == "application/pdf" or attachment.filename.lower().endswith(".pdf")
            or attachment.data[:5] == b"%PDF-")


def attached_document(attachment, parent: Signal, limits: LimitSettings) -> Intake:
    """A PDF attached to an email as a document signal of its own (a child): it joins the
    email's case through the thread, and keeps the parent's key in its meta."""
    filename = attachment.filename  # made safe by the MIME parser (mime.safe_filename)
    child = from_pdf(attachment.data, filename, limits)
    child.signal.sender, child.signal.sent_at = parent.sender, parent.sent_at
    child.signal.thread_ids = [*([parent.message_id] if parent.message_id else []), *parent.thread_ids]
    child.signal.meta = {**child.signal.meta, "parent_key": parent.key, "filename": filename}
    return child


def read_document(raw: bytes, limits: LimitSettings):
    """A PDF read under the limits (size, pages, time, memory, OCR); raises QuarantinedInput."""
    if len(raw) > limits.attachment_bytes:
        raise QuarantinedInput(QuarantineReason.OVERSIZED, f"file is {len(raw)} bytes; the limit is {limits.attachment_bytes}")
    return read_pdf(raw, max_pages=limits.pdf_pages, seconds=limits.pdf_seconds, memory_mb=limits.pdf_memory_mb,
                    ocr_pages=limits.ocr_pages)


def from_pdf(raw: bytes, name: str, limits: LimitSettings) -> Intake:
    signal = Signal(key=f"document:{_sha(raw)}", source=Source.DOCUMENT, received_at=_now(), subject=name)
    try:
        document = read_document(raw, limits)
    except QuarantinedInput as exc:
        return Intake(signal, raw, name, exc)
    signal.text = document.text[: limits.text_chars]
    signal.doc_type = document.doc_type
    signal.meta = {"pages": document.pages, "document": document.as_dict()}
    return Intake(signal, raw, name)


def from_email_row(row: dict[str, Any], raw: bytes, name: str, source: Source = Source.API) -> Intake:
    """An email row (``{"subject", "body", "from", "date", ...}``) as posted to the API."""
    canonical = json.dumps(row, sort_keys=True, ensure_ascii=False).encode()
    signal = Signal(key=f"{source.value}:{_sha(canonical)}", source=source, received_at=_now())
    missing = [k for k in ("subject", "body") if not isinstance(row.get(k), str)]
    if missing:
        return Intake(signal, raw, name, QuarantinedInput(
            QuarantineReason.INVALID_JSON, f"email row lacks string field(s): {', '.join(missing)}"))
    signal.subject = " ".join(row["subject"].split())
    signal.text = row["body"]
    signal.sender = str(row.get("from") or "")
    signal.sent_at = parse_date(str(row["date"])) if row.get("date") else None
    signal.message_id = normalise_message_id(row.get("message_id"))
    signal.meta = {"row_id": row.get("id"), "to": row.get("to"), "utc_offset_minutes": utc_offset_minutes(signal.sent_at)}
    return Intake(signal, raw, name)


def from_json(raw: bytes, name: str, limits: LimitSettings) -> Intake:
    signal = Signal(key=f"api:{_sha(raw)}", source=Source.API, received_at=_now())
    try:
        row = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return Intake(signal, raw, name, QuarantinedInput(QuarantineReason.INVALID_JSON, f"not valid JSON: {exc}"))
    except RecursionError:  # arrays or objects nested thousands deep
        return Intake(signal, raw, name, QuarantinedInput(QuarantineReason.INVALID_JSON,
                                                          "not valid JSON: nested too deep to read"))
    if not isinstance(row, dict):
        return Intake(signal, raw, name, QuarantinedInput(
            QuarantineReason.INVALID_JSON, "expected one JSON object (an email row)"))
    return from_email_row(row, raw, name)


READERS = {".eml": from_eml, ".pdf": from_pdf, ".json": from_json}


def read_file(path: Path, limits: LimitSettings) -> Intake:
    """An Intake for one file; the suffix decides the reader."""
    raw = path.read_bytes()
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        signal = Signal(key=f"document:{_sha(raw)}", source=Source.DOCUMENT, received_at=_now(), subject=path.name)
        return Intake(signal, raw, path.name, QuarantinedInput(
            QuarantineReason.UNSUPPORTED_TYPE, f"unsupported file type {path.suffix!r}: expected .eml, .pdf or .json"))
    return reader(raw, path.name, limits)
