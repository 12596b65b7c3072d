"""An RFC 5322 message (bytes) -> headers, the readable text, and its attachments.

Plain text is preferred in multipart/alternative; HTML is converted to text otherwise.
Declared charsets that are wrong or unknown fall back to UTF-8 with replacement, then
cp1252, so a badly labelled message is still read rather than lost.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import html
import re
from dataclasses import dataclass, field
from email.message import EmailMessage

from triage.domain import Attachment, QuarantineReason
from triage.errors import QuarantinedInput


@dataclass
class ParsedAttachment:
    filename: str
    content_type: str
    data: bytes

    def describe(self) -> Attachment:
        return Attachment(
            filename=self.filename,
            content_type=self.content_type,
            size=len(self.data),
            sha256=hashlib.sha256(self.data).hexdigest(),
        )


@dataclass
class ParsedMessage:
    subject: str
    sender: str
    to: str
    date: dt.datetime | None
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    text: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_ID = re.compile(r"<([^<>\s]+)>")


def normalise_message_id(value: str | None) -> str | None:
    """``<ABC@Example.COM>`` -> ``ABC@example.com`` (the domain part is case-insensitive)."""
    if not value:
        return None
    match = _ID.search(value)
    raw = (match.group(1) if match else value).strip().strip("<>")
    if not raw:
        return None
    local, at, domain = raw.rpartition("@")
    return f"{local}@{domain.lower()}" if at else raw


def _ids(value: str | None) -> list[str]:
    return [n for n in (normalise_message_id(m) for m in _ID.findall(value or "")) if n]


def parse_date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|p|div|tr|li)\b[^>]*>", re.I)
_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_TAG = re.compile(r"<[^>]+>")


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body: scripts and styles dropped, blocks as line breaks."""
    text = _DROP.sub(" ", markup)
    text = _BLOCK_TAGS.sub("\n", text)
    text = _TAG.sub("", text)
    text = html.unescape(text)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decode(part: EmailMessage) -> str:
    payload = part.get_payload(decode=True) or b""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset)
    except (LookupError, UnicodeDecodeError):
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            return payload.decode("cp1252", errors="replace")


def safe_filename(name: str | None, index: int | None = None) -> str:
    """Attachment names are untrusted: keep the base name, printable, no path parts."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base[:120] or ("attachment" if index is None else f"attachment-{index}")


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw message bytes; raises QuarantinedInput when there is nothing to read."""
    if not raw.strip():
        raise QuarantinedInput(QuarantineReason.EMPTY, "the message is empty")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the stdlib parser rarely raises; be explicit when it does
        raise QuarantinedInput(QuarantineReason.MALFORMED_MIME, f"cannot parse message: {exc}") from exc
    if not isinstance(msg, EmailMessage) or (not msg.keys() and not msg.get_payload()):
        raise QuarantinedInput(QuarantineReason.MALFORMED_MIME, "no headers and no body")

    def header(name: str) -> str:
        try:
            return str(msg.get(name, "") or "")
        except Exception:  # undecodable header: fall back to the raw value
            return str(msg.get_all(name, [""])[0])

    plain: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        if disposition == "attachment" or (part.get_filename() and ctype not in ("text/plain", "text/html")):
            attachments.append(
                ParsedAttachment(
                    filename=safe_filename(part.get_filename(), index),
                    content_type=ctype,
                    data=part.get_payload(decode=True) or b"",
                )
            )
        elif ctype == "text/plain":
            plain.append(_decode(part))
        elif ctype == "text/html":
            htmls.append(html_to_text(_decode(part)))

    text = "\n\n".join(t for t in plain if t.strip()) or "\n\n".join(htmls)
    return ParsedMessage(
        subject=" ".join(header("Subject").split()),
        sender=header("From"),
        to=header("To"),
        date=parse_date(header("Date")),
        message_id=normalise_message_id(header("Message-ID")),
        in_reply_to=_ids(header("In-Reply-To")),
        references=_ids(header("References")),
        text=text.replace("\r\n", "\n").strip(),
        attachments=attachments,
        defects=[type(d).__name__ for d in msg.defects],
    )
