"""An RFC 5322 message (bytes) -> headers, the readable text, and its attachments.

Plain text is preferred in multipart/alternative; HTML is converted to text otherwise.
Declared charsets that are wrong or unknown fall back to UTF-8 with replacement, then
cp1252, so a badly labelled message is still read rather than lost.

The stdlib's ``compat32`` parser does the MIME structure; the few headers triage uses are
decoded here (RFC 2047 words, raw 8-bit bytes as UTF-8 else cp1252), which is several times
faster than the ``default`` policy's header objects. ``read_headers`` reads the header block
alone: the mailbox stores a message by it (its key needs the Message-ID) and leaves the body
to the flow.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import html
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message

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
    except (TypeError, ValueError, IndexError, OverflowError):  # OverflowError: a day or year too big for C
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")  # an RFC 2047 encoded word
_WORDS_APART = re.compile(r"(?<=\?=)[ \t]+(?==\?[^?\s]+\?[bBqQ]\?)")


def _decode_word(match: re.Match) -> str:
    """One encoded word as text; a word that does not decode stays as it was written."""
    charset, encoding, payload = match.group(1).split("*")[0], match.group(2).upper(), match.group(3)
    try:
        if encoding == "B":
            data = base64.b64decode(payload + "=" * (-len(payload) % 4), validate=True)
        else:
            data = quopri.decodestring(payload.replace("_", " ").encode("ascii"), header=False)
    except (binascii.Error, ValueError):
        return match.group(0)
    return _charset_text(data, charset)
_SURROGATES = re.compile("[\udc80-\udcff]")
_OTHER_SURROGATES = re.compile("[\ud800-\udc7f\udd00-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0a-\x1f\x7f]+")


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _charset_text(data: bytes, charset: str) -> str:
    """``data`` in its declared charset; an unknown or wrong one falls back like ``_bytes_text``,
    and so does one whose codec raises UnicodeError itself ("undefined", "punycode"), a name with
    a NUL (ValueError), or a codec that makes lone surrogates ("utf-7", "unicode_escape"), which
    no store can keep."""
    try:
        text = data.decode(charset)
    except (LookupError, ValueError):  # UnicodeError is a ValueError
        return _bytes_text(data)
    return _bytes_text(data) if _SURROGATES.search(text) or _OTHER_SURROGATES.search(text) else text


def header_text(value) -> str:
    """A header value as text: RFC 2047 encoded words decoded (an unknown or wrong charset
    falls back like a body does), raw 8-bit bytes read as UTF-8 else cp1252, folding undone,
    one line: line breaks or other control characters an encoded word smuggled in (header
    injection) become a blank, so they cannot start a line anywhere the value goes."""
    return _CONTROL.sub(" ", _decoded(value)).strip()


def _decoded(value) -> str:
    """``header_text`` before control characters become blanks (a file name keeps them for
    ``safe_filename``, which replaces them)."""
    value = str(value or "")
    if "\n" in value:
        value = _FOLD.sub("", value)
    if _SURROGATES.search(value):  # 8-bit bytes in the header (compat32 keeps them as surrogates)
        # utf-8: an RFC 2231 value the stdlib decoded has text beside them, and may have other surrogates
        value = _bytes_text(_OTHER_SURROGATES.sub("\ufffd", value).encode("utf-8", "surrogateescape"))
    if "=?" in value:
        value = _WORDS_APART.sub("", value)  # blanks between two encoded words are not text
        value = _WORD.sub(_decode_word, value)
    return value


@dataclass
class Headers:
    """The headers triage reads, decoded."""

    subject: str
    sender: str
    to: str
    date: dt.datetime | None
    message_id: str | None
    in_reply_to: list[str]
    references: list[str]


@dataclass
class ParsedMessage(Headers):
    """A message read whole: its headers, the readable text, its attachments."""

    text: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)


_FOLD = re.compile(r"\r?\n(?=[ \t])")  # unfolding (RFC 5322 2.2.3): the line break goes, the blank stays
_READ = re.compile(r"^(subject|from|to|date|message-id|in-reply-to|references)[ \t]*:(.*?)\r?$", re.I | re.M)


def _header_block(raw: bytes) -> bytes:
    """Up to the first empty line (CRLF or bare LF), without scanning the body."""
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf if crlf >= 0 else len(raw))
    end = lf if lf >= 0 else crlf
    return raw if end < 0 else raw[:end]


def read_headers(raw: bytes) -> Headers:
    """The headers triage reads, from the header block alone (the body is not parsed; the first
    of a repeated header counts, as in the stdlib): the mailbox stores a message by them, and
    the full parse uses the same reading, so both make the same key."""
    values: dict[str, str] = {}
    for match in _READ.finditer(_FOLD.sub("", _header_block(raw).decode("ascii", "surrogateescape"))):
        values.setdefault(match.group(1).lower(), match.group(2))
    get = lambda name: header_text(values.get(name, ""))  # noqa: E731
    return Headers(subject=" ".join(get("subject").split()), sender=get("from"), to=get("to"),
                   date=parse_date(get("date")), message_id=normalise_message_id(get("message-id")),
                   in_reply_to=_ids(get("in-reply-to")), references=_ids(get("references")))


_BLOCK_TAGS = re.compile(r"<\s*(br|/p|/div|/tr|/li|/h\d|p|div|tr|li)\b[^>]*>", re.I)
_DROP = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_DROP_OPEN = re.compile(r"<(script|style|head)\b", re.I)
_TAG = re.compile(r"<[^>]+>")


def _drop_elements(markup: str) -> str:
    """``_DROP.sub(" ", markup)`` in linear time: an element never closed is looked for once,
    not again from every later opening (hostile HTML was quadratic: 60 KB of "<script" took
    seconds, a 25 MB message days)."""
    out, done, at, unclosed = [], 0, 0, set()
    while (opening := _DROP_OPEN.search(markup, at)) is not None:
        name = opening.group(1).lower()  # what the closing tag is compared with
        element = None if name in unclosed else _DROP.match(markup, opening.start())
        if element is None:
            unclosed.add(name)  # no closing tag after this opening: none after a later one either
            at = opening.start() + 1
            continue
        out += [markup[done:opening.start()], " "]
        done = at = element.end()
    return "".join(out) + markup[done:]


def _sub_tags(pattern: re.Pattern, replacement: str, text: str) -> str:
    """``pattern.sub`` for a tag pattern: no tag ends after the last ">", and looking for one
    there from every "<" is quadratic."""
    end = text.rfind(">") + 1
    return pattern.sub(replacement, text[:end]) + text[end:]


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body: scripts and styles dropped, blocks as line breaks."""
    text = _drop_elements(markup)
    text = _sub_tags(_BLOCK_TAGS, "\n", text)
    text = _sub_tags(_TAG, "", text)
    text = html.unescape(text)
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    return _charset_text(payload, part.get_content_charset() or "utf-8")


def safe_filename(name: str | None, index: int | None = None) -> str:
    """Attachment names are untrusted: keep the base name, printable, no path parts."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = re.sub(r"[^\w.\- ()]+", "_", base).strip(" .")
    return base[:120] or ("attachment" if index is None else f"attachment-{index}")


def _filename(part: Message) -> str | None:
    """The part's file name. An RFC 2231 name in a charset whose codec raises (``undefined``,
    ``punycode``, a name with a NUL: the stdlib lets that out) is read as its bytes are."""
    try:
        return part.get_filename()
    except (LookupError, ValueError):  # UnicodeError is a ValueError
        value = part.get_param("filename", header="content-disposition") or part.get_param("name")
        return value[2] if isinstance(value, tuple) else value


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse raw message bytes; raises QuarantinedInput when there is nothing to read."""
    if not raw.strip():
        raise QuarantinedInput(QuarantineReason.EMPTY, "the message is empty")
    try:
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception as exc:  # the stdlib parser rarely raises; be explicit when it does
        raise QuarantinedInput(QuarantineReason.MALFORMED_MIME, f"cannot parse message: {exc}") from exc
    if not msg.keys() and not msg.get_payload():
        raise QuarantinedInput(QuarantineReason.MALFORMED_MIME, "no headers and no body")
    headers = read_headers(raw)

    plain: list[str] = []
    htmls: list[str] = []
    attachments: list[ParsedAttachment] = []
    for index, part in enumerate(msg.walk()):
        if part.is_multipart():
            continue
        ctype = part.get_content_type()
        disposition = part.get_content_disposition()
        filename = _filename(part)
        filename = _decoded(filename).strip() if filename else None
        if disposition == "attachment" or (filename and ctype not in ("text/plain", "text/html")):
            attachments.append(
                ParsedAttachment(
                    filename=safe_filename(filename, index),
                    content_type=ctype,
                    data=part.get_payload(decode=True) or b"",
                )
            )
        elif ctype == "text/plain":
            plain.append(_decode(part))
        elif ctype == "text/html":
            htmls.append(html_to_text(_decode(part)))

    text = "\n\n".join(t for t in plain if t.strip()) or "\n\n".join(htmls)
    return ParsedMessage(**vars(headers), text=text.replace("\r\n", "\n").strip(), attachments=attachments,
                         defects=[type(d).__name__ for d in msg.defects])
