"""Hostile input for the parsers of untrusted data (hypothesis): MIME messages, reply chains,
fields in a supplier's text, identifiers, PDFs and the document reader.

The contract of each: what it cannot read is quarantined (``QuarantinedInput`` with a reason
from ``QuarantineReason``) or read as well as it can; never another exception, never a hang.
The inputs are arbitrary bytes and text, and structured ones built to reach deep into each
parser: nested multiparts, bogus charsets and encodings, RFC 2047 words, reply chains, text
full of numbers, dates, currencies and references, mutated PDFs, words at random positions.
Every crash fuzzing found is kept as an ``@example``.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email.header
import html
import logging
import math
import quopri
import re
import signal
import string
import time
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from tests.bad_pdfs import handmade, text_pdf
from triage.config import LimitSettings
from triage.domain import CATEGORIES, Fields, QuarantineReason
from triage.errors import QuarantinedInput
from triage.ingest import Intake
from triage.ingest.document.layout import Word, lines_of, text_of
from triage.ingest.document.reader import DOC_TYPES, FIELDS, Document, read
from triage.ingest.extract import extract_fields
from triage.ingest.files import from_eml
from triage.ingest.identifiers import IBAN_LENGTHS, iban_valid, ibans, supplier_refs, vat_numbers
from triage.ingest.mime import (
    ParsedMessage,
    header_text,
    html_to_text,
    normalise_message_id,
    parse_date,
    parse_message,
    read_headers,
    safe_filename,
)
from triage.ingest.pdf import read_in_process
from triage.ingest.reply import ReplyParts, split_reply

REASONS = {reason.value for reason in QuarantineReason}
FIXTURES = Path(__file__).parents[1] / "fixtures" / "pdf"


def _quarantined_properly(exc: QuarantinedInput) -> None:
    assert exc.reason in REASONS, exc.reason
    assert isinstance(exc.message, str) and exc.message


def _parse(raw: bytes) -> ParsedMessage | None:
    """The message read, or None when it was quarantined with a known reason."""
    try:
        return parse_message(raw)
    except QuarantinedInput as exc:
        _quarantined_properly(exc)
        return None


def _storable(text: str) -> bool:
    """Text a store can keep: UTF-8 has no lone surrogates."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _assert_safe_name(name: str) -> None:
    assert isinstance(name, str) and name and _storable(name)
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert name not in (".", "..")
    assert name.isprintable()


def _assert_well_formed(msg: ParsedMessage) -> None:
    assert isinstance(msg.text, str) and msg.text == msg.text.strip()
    assert isinstance(msg.subject, str) and msg.subject == " ".join(msg.subject.split())
    assert isinstance(msg.sender, str) and isinstance(msg.to, str)
    assert all(_storable(t) for t in (msg.text, msg.subject, msg.sender, msg.to))
    assert msg.date is None or msg.date.tzinfo is not None
    assert msg.message_id is None or (isinstance(msg.message_id, str) and msg.message_id)
    assert all(isinstance(i, str) and i for i in msg.in_reply_to + msg.references)
    assert all(isinstance(d, str) for d in msg.defects)
    for attachment in msg.attachments:
        _assert_safe_name(attachment.filename)
        assert isinstance(attachment.data, bytes) and isinstance(attachment.content_type, str)
        attachment.describe()


@contextlib.contextmanager
def _time_limit(seconds: int, what: str):
    """A hang becomes a failure that says what hung (SIGALRM interrupts the pure-Python parsers)."""

    def _expired(signum, frame):
        raise TimeoutError(f"{what} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, _expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _elapsed(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


# --- MIME: strategies ------------------------------------------------------------------------

TOKEN_CHARS = string.ascii_letters + string.digits + "-_.+"
CHARSETS = st.one_of(
    st.sampled_from([
        "utf-8", "UTF-8", "us-ascii", "iso-8859-1", "latin-1", "cp1252", "windows-1252", "iso-8859-15", "koi8-r",
        "shift_jis", "iso-2022-jp", "gb2312", "big5", "utf-16", "utf-16-le", "utf-32", "utf-7", "idna", "punycode",
        "undefined", "unicode_escape", "raw_unicode_escape", "base64", "hex", "rot13", "zlib", "uu", "mbcs",
        "klingon", "x-unknown", "utf-8*de", "", "utf8", "ascii", "utf-8\x00", "\x00",
    ]),
    st.text(TOKEN_CHARS, max_size=12),
)
TRANSFER_ENCODINGS = st.sampled_from([None, "7bit", "8bit", "binary", "base64", "BASE64", "quoted-printable",
                                      "x-uuencode", "uuencode", "x-uue", "bogus", ""])
CONTENT_TYPES = st.sampled_from(["text/plain", "text/html", "TEXT/PLAIN", "application/pdf", "application/octet-stream",
                                 "image/png", "text/calendar", "message/delivery-status", "bogus", "text/", "/"])
NAMES = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["../../etc/passwd", "..\\..\\boot.ini", "..", ".", "/", "\\", "a/../../b.pdf", " .. ",
                     "\x00.pdf", "C:\\Windows\\x.pdf", "invoice\u2215..\u2215x.pdf", "...", "con", "a" * 300 + ".pdf",
                     ".hidden", "name\r\n.pdf", "\u202etxt.exe"]),
)


def _eol(data: bytes, eol: bytes) -> bytes:
    return re.sub(rb"\r?\n", eol.replace(b"\\", b"\\\\"), data)


@st.composite
def encoded_words(draw) -> bytes:
    """An RFC 2047 encoded word: a charset (known, bogus, a codec that is not text), B or Q
    (or neither), and a payload that decodes, does not, or decodes to bytes the charset rejects."""
    charset = draw(CHARSETS)
    encoding = draw(st.sampled_from(["B", "b", "Q", "q", "X", ""]))
    data = draw(st.one_of(st.binary(max_size=40), st.text(max_size=20).map(lambda s: s.encode("utf-8", "surrogatepass"))))
    form = draw(st.integers(0, 3))
    if form == 0:
        payload = base64.b64encode(data)
    elif form == 1:
        payload = base64.b64encode(data).rstrip(b"=")
    elif form == 2:
        payload = quopri.encodestring(data, header=True).replace(b"\n", b"")
    else:
        payload = draw(st.text(string.ascii_letters + string.digits + "+/=_?% ", max_size=30)).encode()
    return b"=?" + charset.encode("ascii", "replace") + b"?" + encoding.encode() + b"?" + payload + b"?="


HEADER_PIECES = st.one_of(
    st.text(string.printable, max_size=30).map(str.encode),
    st.text(max_size=15).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(max_size=15).map(lambda s: s.encode("cp1252", "ignore")),
    st.binary(max_size=20),
    encoded_words(),
    st.sampled_from([b"\r\n ", b"\n\t", b" ", b"=?", b"?=", b"\xff", b"<", b">", b"@", b";", b'"', b"\\"]),
)


@st.composite
def header_values(draw) -> bytes:
    return b"".join(draw(st.lists(HEADER_PIECES, max_size=6)))


@st.composite
def dates(draw) -> bytes:
    """Date headers: RFC 5322 with every field possibly absurd (huge day, year, offset), ISO, junk."""
    number = st.one_of(st.integers(0, 99), st.integers(-10**25, 10**25))
    day = draw(st.sampled_from(["Mon, ", "Fri, ", "Xyz, ", ""]))
    month = draw(st.sampled_from(["Jan", "Feb", "Dec", "Foo", "13", ""]))
    zone = draw(st.one_of(st.sampled_from(["+0000", "-1200", "+9999", "-0000", "GMT", "EST", "UT", "Z", "+99999999", ""]),
                          st.integers(-10**8, 10**8).map(lambda n: f"{n:+05d}")))
    form = draw(st.integers(0, 3))
    if form == 0:
        value = (f"{day}{draw(number)} {month} {draw(number)} {draw(number)}:{draw(number)}:{draw(number)} {zone}")
    elif form == 1:
        value = f"{draw(number)}-{draw(number):02d}-{draw(number):02d}T{draw(number)}:{draw(number)}{zone}"
    elif form == 2:
        value = draw(st.sampled_from(["Fri, 31 Dec 9999 23:59:59 -1200", "Mon, 1 Jan 0001 00:00:00 +1400",
                                      "Mon, 99999999999999999999 Jan 2020 00:00:00 +0000", "0001-01-01", "9999-12-31T23:59:59+00:00"]))
    else:
        value = draw(st.text(string.printable, max_size=40))
    return value.encode("ascii", "replace")


TOP_HEADERS = st.sampled_from([b"Subject", b"From", b"To", b"Cc", b"Message-ID", b"In-Reply-To", b"References",
                               b"Reply-To", b"X-Mailer", b"subject", b"FROM", b"Received"])


@st.composite
def top_headers(draw) -> list[bytes]:
    headers = []
    for name in draw(st.lists(TOP_HEADERS, max_size=7)):
        if name.lower() in (b"message-id", b"in-reply-to", b"references") and draw(st.booleans()):
            ids = draw(st.lists(st.tuples(st.text(TOKEN_CHARS + "<>@ ", max_size=12),
                                          st.text(TOKEN_CHARS + "<>@ ", max_size=12)), max_size=3))
            value = b" ".join(f"<{a}@{b}>".encode() for a, b in ids)
        else:
            value = draw(header_values())
        headers.append(name + b": " + value)
    if draw(st.booleans()):
        headers.append(b"Date: " + draw(dates()))
    return headers


@st.composite
def params(draw, name: str) -> bytes:
    """A ``filename``/``name`` parameter: quoted, bare, RFC 2231 (charset'lang'%XX), encoded word."""
    value = draw(NAMES)
    form = draw(st.integers(0, 4))
    if form == 0:
        return f'; {name}="{value}"'.encode("utf-8", "surrogatepass")
    if form == 1:
        return f"; {name}={value}".encode("utf-8", "surrogatepass")
    if form == 2:
        charset = draw(CHARSETS).encode("ascii", "replace")
        raw = draw(st.one_of(st.binary(max_size=20), st.just(value.encode("utf-8", "surrogatepass"))))
        quoted = b"".join(b"%%%02X" % c if draw(st.booleans()) else bytes([c]) for c in raw)
        return b"; " + name.encode() + b"*=" + charset + b"'" + draw(st.sampled_from([b"", b"en", b"'"])) + b"'" + quoted
    if form == 3:
        return b"; " + name.encode() + b"*0=" + value[:5].encode("utf-8", "surrogatepass") + b"; " + name.encode() + b"*1*=" + \
            draw(CHARSETS).encode("ascii", "replace") + b"''%41%FF"
    return b'; ' + name.encode() + b'="' + draw(encoded_words()) + b'"'


def _encode_body(data: bytes, cte: str | None) -> bytes:
    if cte and cte.lower() == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def leaves(draw) -> bytes:
    """One body part: a random type, charset, transfer encoding, disposition and name, and a
    body that is (or is not) encoded the way the headers say."""
    ctype = draw(CONTENT_TYPES)
    cte = draw(TRANSFER_ENCODINGS)
    headers = [b"Content-Type: " + ctype.encode()
               + (b'; charset="' + draw(CHARSETS).encode("ascii", "replace") + b'"' if draw(st.booleans()) else b"")
               + (draw(params("name")) if draw(st.integers(0, 3)) == 0 else b"")]
    if cte is not None:
        headers.append(b"Content-Transfer-Encoding: " + cte.encode())
    if draw(st.booleans()):
        disposition = draw(st.sampled_from([b"attachment", b"inline", b"ATTACHMENT", b"bogus", b""]))
        headers.append(b"Content-Disposition: " + disposition + (draw(params("filename")) if draw(st.booleans()) else b""))
    body = draw(st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from([b"<html><script>x</script><p>ETA 12.11.2026</p>", b"begin 644 x\nM\nend\n", b"=\n=4", b"====",
                         b"<p>&nbsp;&#0;&#xFFFFFFFF;&bogus;</p>", b"--", b"\r\n\r\n"]),
    ))
    if draw(st.booleans()):
        body = _encode_body(body, cte)
    return b"\n".join(headers) + b"\n\n" + body


BOUNDARIES = st.one_of(
    st.sampled_from(["", "b", "XX", "=_Part_0_1", "a b", "'()+_,-./:=?", "x" * 70, "x" * 200, "--", "b--", " b "]),
    st.text(string.ascii_letters + string.digits + "'()+_,-./:=? ", max_size=70),
).map(str.strip)


@st.composite
def multiparts(draw, children: list[bytes]) -> bytes:
    """A multipart around ``children``: a random subtype and boundary (quoted or not, empty,
    missing), preamble and epilogue, the close delimiter kept or dropped."""
    boundary = draw(BOUNDARIES)
    subtype = draw(st.sampled_from([b"mixed", b"alternative", b"related", b"signed", b"report", b"bogus"]))
    form = draw(st.integers(0, 3))
    header = b"Content-Type: multipart/" + subtype
    if form == 0:
        header += b'; boundary="' + boundary.encode() + b'"'
    elif form == 1:
        header += b"; boundary=" + boundary.encode()
    elif form == 2:
        header += b"; BOUNDARY=" + boundary.encode() + b"; boundary=other"
    delimiter = b"--" + boundary.encode()
    out = [header, b"", draw(st.sampled_from([b"", b"preamble", b"--", delimiter + b"x"]))]
    for child in children:
        out += [delimiter + draw(st.sampled_from([b"", b"  ", b"--", b"x"])), child]
    if draw(st.booleans()):
        out.append(delimiter + b"--")
    out.append(draw(st.sampled_from([b"", b"epilogue", delimiter])))
    return b"\n".join(out)


INNER_HEADERS = [b"", b"Subject: inner\n", b"From: a@b.example\nDate: Fri, 31 Dec 9999 23:59:59 -1200\n",
                 b"Subject: =?utf-8?b?w6k=?=\nMessage-ID: <x@Y>\n", b"Subject: \xff\xfe\n", b"\n"]


@st.composite
def entities(draw) -> bytes:
    """A body: a few leaves, nested up to ~60 multiparts or message/rfc822 parts deep, with
    siblings along the way."""
    entity = draw(leaves())
    for _ in range(draw(st.one_of(st.integers(0, 3), st.integers(0, 60)))):
        kind = draw(st.integers(0, 9))
        if kind == 0:
            entity = b"Content-Type: message/rfc822\n\n" + draw(st.sampled_from(INNER_HEADERS)) + entity
        else:
            siblings = draw(st.lists(leaves(), max_size=2 if kind == 1 else 0))
            position = draw(st.integers(0, len(siblings)))
            entity = draw(multiparts(siblings[:position] + [entity] + siblings[position:]))
    return entity


@st.composite
def messages(draw) -> bytes:
    headers = draw(top_headers())
    if draw(st.booleans()):
        headers.append(b"MIME-Version: 1.0")
    raw = b"\n".join(headers) + b"\n" + draw(entities())
    return _eol(raw, draw(st.sampled_from([b"\r\n", b"\n", b"\r"])))


# --- MIME: properties ------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
@example(b"Date: Mon, 99999999999999999999 Jan 2020 00:00:00 +0000\r\nSubject: x\r\n\r\nbody")
@example(b"Subject: x\r\nContent-Type: text/plain; charset=undefined\r\n\r\nhello")
@example(b"Subject: =?punycode?q?=C3=A9=FF?=\r\n\r\nhello")
@example(b"Subject: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Disposition: attachment; filename*=undefined''abc\r\n\r\nxx")
@example(b"Subject: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Disposition: attachment; filename*=punycode''%C3%A9\xff\r\n\r\nxx")
@example(b"Subject: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Disposition: attachment; filename*=a\x00b''abc\r\n\r\nxx")
@example(b'Subject: x\r\nContent-Type: text/plain; charset="a\x00b"\r\n\r\nxx')
@example(b"Subject: =?a\x00b?q?x?=\r\n\r\nx")
@example(b"Subject: x\r\nContent-Type: text/plain; charset=utf-7\r\n\r\n+2AA-")
@example(b"Subject: x\r\nContent-Type: application/octet-stream\r\n"
         b"Content-Disposition: attachment; filename*=raw_unicode_escape''%5Cud800\xff\r\n\r\nxx")
def test_any_bytes_parse_or_are_quarantined(raw):
    headers = read_headers(raw)  # the mailbox stores every message by its headers first
    assert headers.date is None or headers.date.tzinfo is not None
    msg = _parse(raw)
    if msg is not None:
        _assert_well_formed(msg)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(messages())
def test_structured_messages_parse_or_are_quarantined(raw):
    msg = _parse(raw)
    if msg is not None:
        _assert_well_formed(msg)


def _nested(depth: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nhello\r\n"
    for level in range(depth):
        b = b"b%d" % level
        body = b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + body + b"\r\n--" + b + b"--\r\n"
    return b"Subject: deep\r\n" + body


@settings(max_examples=5, deadline=None)
@given(st.sampled_from([60, 600, 1500, 5000]))
def test_deep_nesting_is_read_or_quarantined_never_a_recursion_error(depth):
    msg = _parse(_nested(depth))
    assert msg is None or msg.text == "hello"


TEXT_CHARSETS = ["utf-8", "iso-8859-1", "cp1252", "iso-8859-15", "koi8-r", "shift_jis", "utf-16"]


@settings(max_examples=150, deadline=None)
@given(text=st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r") | st.sampled_from("\n\t"),
                    max_size=300),
       charset=st.sampled_from(TEXT_CHARSETS), cte=st.sampled_from(["base64", "quoted-printable", "8bit", None]),
       eol=st.sampled_from(["\r\n", "\n"]))
def test_a_single_text_part_reads_back_what_was_written(text, charset, cte, eol):
    body_text = "".join(c for c in text if c.encode(charset, "ignore").decode(charset, "ignore") == c)
    if charset == "utf-16":
        cte = "base64"  # its bytes hold line breaks: it travels encoded only
    body = _encode_body(body_text.encode(charset), cte)
    headers = f"From: a@b.example\nSubject: s\nContent-Type: text/plain; charset={charset}\n" + \
        (f"Content-Transfer-Encoding: {cte}\n" if cte else "")
    raw = _eol(headers.encode() + b"\n", eol.encode()) + (_eol(body, eol.encode()))
    msg = parse_message(raw)
    assert msg.text == body_text.strip()


@settings(max_examples=150, deadline=None)
@given(subject=st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=80),
       charset=st.sampled_from(["utf-8", "iso-8859-1", "koi8-r", "windows-1251", "big5"]))
def test_an_encoded_subject_reads_back(subject, charset):
    subject = "".join(c for c in subject if c.encode(charset, "ignore").decode(charset, "ignore") == c)
    assume(subject.strip())
    encoded = email.header.Header(subject, charset).encode()
    msg = parse_message(("Subject: " + encoded + "\r\nFrom: a@b.example\r\n\r\nbody").encode("ascii"))
    assert msg.subject == " ".join(subject.split())


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(st.text(), st.text(st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF) | st.characters()),
                       st.binary(max_size=60).map(lambda b: b.decode("ascii", "surrogateescape")),
                       st.lists(HEADER_PIECES, max_size=6).map(lambda p: b"".join(p).decode("ascii", "surrogateescape"))))
@example("\u00e9\udcff")
@example("=?undefined?q?abc?=")
@example("=?punycode?b?w6k=?=")
@example("=?utf-7?q?+2AA-?=")
@example("=?raw_unicode_escape?q?\\ud800?=")
@example("\ud800\udcff")
def test_header_text_reads_any_value(value):
    text = header_text(value)
    assert isinstance(text, str) and text == text.strip()
    assert _storable(text) or not _storable(value)  # decoding adds no lone surrogate


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(st.text(), st.binary(max_size=60).map(lambda b: b.decode("ascii", "surrogateescape"))),
       local=st.text(TOKEN_CHARS, min_size=1, max_size=20), domain=st.text(TOKEN_CHARS, min_size=1, max_size=20))
def test_message_ids_are_normalised_or_none(value, local, domain):
    normalised = normalise_message_id(value)
    assert normalised is None or (isinstance(normalised, str) and normalised)
    around = value.replace("<", "").replace(">", "")  # junk around a well-formed id does not change it
    assert normalise_message_id(f"{around} <{local}@{domain}> {around}") == f"{local}@{domain.lower()}"


@settings(max_examples=300, deadline=None)
@given(st.one_of(dates().map(lambda b: b.decode()), st.text(max_size=40)))
@example("Mon, 99999999999999999999 Jan 2020 00:00:00 +0000")
def test_dates_parse_to_aware_datetimes_or_none(value):
    parsed = parse_date(value)
    assert parsed is None or (isinstance(parsed, dt.datetime) and parsed.tzinfo is not None)


@settings(max_examples=500, deadline=None)
@given(name=st.one_of(st.none(), NAMES, st.text(st.sampled_from("./\\ .\x00a_é\u2215\uff0f\u2044"), max_size=12)),
       index=st.one_of(st.none(), st.integers(0, 10**6)))
def test_safe_filename_is_a_plain_base_name(name, index):
    _assert_safe_name(safe_filename(name, index))


HTML_PIECES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["<", ">", "</", "<script>", "</script>", "<SCRIPT src=x>", "</script >", "<style>", "</style>",
                     "<head>", "</head>", "<br>", "<br/>", "<p>", "</p>", "<div class=x>", "</div>", "<tr>", "<li>",
                     "<h1>", "</h2>", "&nbsp;", "&amp;", "&#0;", "&#x110000;", "&#99999999999;", "&bogus", "\u00a0",
                     "\n", "\t", "<!--", "-->", "<![CDATA[", "]]>", "< br >", "<scripts>", "<p"]),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(HTML_PIECES, max_size=30).map("".join)))
def test_html_becomes_tidy_text(markup):
    text = html_to_text(markup)
    assert isinstance(text, str) and text == text.strip() and "\n\n\n" not in text


def _plain_html_to_text(markup: str) -> str:
    """``html_to_text`` as the plain patterns say it (quadratic on openings never closed)."""
    text = re.sub(r"<(script|style|head)\b.*?</\1\s*>", " ", markup, flags=re.I | re.S)
    text = re.sub(r"<\s*(br|/p|/div|/tr|/li|/h\d|p|div|tr|li)\b[^>]*>", "\n", text, flags=re.I)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    lines = [re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


@settings(max_examples=400, deadline=None)
@given(st.lists(HTML_PIECES, max_size=30).map("".join))
def test_html_reads_as_the_plain_patterns_would(markup):
    """The linear reading equals the plain patterns' on markup small enough for them."""
    assert html_to_text(markup) == _plain_html_to_text(markup)


HOSTILE_HTML_UNITS = st.sampled_from(["<", "<script", "<style ", "<head", "<br", "<p ", "<div", "< ", "<a href=",
                                      "<script></style>", "<SCRIPT<br"])


@settings(max_examples=10, deadline=None)
@given(unit=HOSTILE_HTML_UNITS, tail=st.sampled_from(["", "x", ">", "</script>"]))
@example(unit="<script", tail="")
@example(unit="<br", tail="")
def test_hostile_html_takes_linear_time(unit, tail):
    """Openings never closed: each used to scan to the end (quadratic: 60 KB of "<script" took
    four seconds, 150 KB twenty, a 25 MB message days)."""
    markup = unit * (150_000 // len(unit)) + tail
    with _time_limit(30, "html_to_text"):
        assert _elapsed(html_to_text, markup) < 2.0


# --- .eml files: from_eml ---------------------------------------------------------------------


class _Errors(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(raw=st.one_of(st.binary(max_size=2000), messages()), message_bytes=st.one_of(st.just(25 * 1024 * 1024),
                                                                                    st.integers(0, 3000)),
       text_chars=st.integers(0, 500))
def test_eml_files_become_intakes_quarantined_with_a_reason(raw, message_bytes, text_chars):
    assume(b"%PDF" not in raw)  # PDFs are read in a child process: the PDF tests below fuzz the reader itself
    limits = LimitSettings(message_bytes=message_bytes, text_chars=text_chars)
    errors = _Errors()
    logger = logging.getLogger("triage.ingest.files")
    logger.addHandler(errors)
    try:
        intake = from_eml(raw, "message.eml", limits)
    finally:
        logger.removeHandler(errors)
    assert isinstance(intake, Intake) and intake.raw == raw
    assert not errors.records, "the parser raised: " + errors.records[0].getMessage()  # a bug from_eml had to catch
    if len(raw) > message_bytes:
        assert intake.quarantine is not None and intake.quarantine.reason == QuarantineReason.OVERSIZED
    if intake.quarantine is not None:
        _quarantined_properly(intake.quarantine)
    else:
        assert len(intake.signal.text) <= text_chars
        for attachment in intake.signal.attachments:
            _assert_safe_name(attachment.filename)


# --- reply chains -----------------------------------------------------------------------------

WORDS = st.sampled_from(["the", "goods", "ship", "P00123", "delayed", "to", "4", "December", "Lieferung", "Woche",
                         "livraison", "pedido", "ETA", "12.11.2026", "EUR", "1.234,56", "-", "--", "_____", ">", ":",
                         "From:", "Sent:", "On", "wrote:", "Am", "schrieb", "Le", "a écrit", "regards", "Thanks,",
                         "confidential", "Disclaimer:", "mail", "De", "Von", "Subject:", "Date:", "Datum:"])


@st.composite
def sentences(draw) -> str:
    return " ".join(draw(st.lists(WORDS, min_size=1, max_size=12)))


SEPARATORS = st.sampled_from([
    "On Tue, 3 Nov 2026 at 10:12, Buyer <buyer@x.example> wrote:",
    "On Tue, 3 Nov 2026 Buyer wrote:",
    "Am 03.11.2026 um 10:12 schrieb Einkauf <einkauf@x.example>:",
    "Le 3 nov. 2026 à 10:12, Acheteur <a@x.example> a écrit :",
    "El 3 nov 2026, a las 10:12, Compras <c@x.example> escribió:",
    "Em 3 de nov. de 2026, às 10:12, Compras <c@x.example> escreveu:",
    "-----Original Message-----",
    "----- Ursprüngliche Nachricht -----",
    "From: Buyer <buyer@x.example>\nSent: Tuesday, November 3, 2026 10:12\nTo: s@x.example\nSubject: P00123",
    "Von: Einkauf <e@x.example>\nGesendet: Dienstag, 3. November 2026 10:12\nAn: v@x.example\nBetreff: P00123",
    "De : Achats <a@x.example>\nEnvoyé : mardi 3 novembre 2026 10:12\nÀ : v@x.example\nObjet : P00123",
    "De: Compras <c@x.example>\nEnviado: terça-feira, 3 de novembro de 2026 10:12\nPara: v@x.example",
    "________________________________",
    "---------- Forwarded message ---------\nFrom: Supplier <s@x.example>\nDate: Tue, 3 Nov 2026\nSubject: P00123",
    "Begin forwarded message:",
    "-- ",
    "Best regards\nAnna",
    "Mit freundlichen Grüßen",
    "This email and any attachments are confidential.",
])
FORWARD_OR_SIGN_OFF = ("Forwarded", "Begin forwarded", "-- ", "Best regards", "Mit freundlichen", "This email",
                       "________")


@st.composite
def reply_chains(draw) -> tuple[str, str]:
    """(body, newest message's first line): messages, each older one under a reply header or
    a forward marker, some quoted with '>' at random depths, blank lines and CRLF at random."""
    marker = f"Zq{draw(st.integers(1000, 9999))} the goods ship"
    parts = [marker + "\n" + "\n".join(draw(st.lists(sentences(), max_size=3)))]
    for _ in range(draw(st.integers(0, 6))):
        older = "\n".join(draw(st.lists(sentences(), min_size=1, max_size=4)))
        quote = draw(st.sampled_from(["", "> ", ">", "> > ", ">> "]))
        separator = draw(SEPARATORS)
        if quote and draw(st.booleans()):
            separator = "\n".join(quote + line for line in separator.split("\n"))
        parts.append(separator + "\n" + "\n".join(quote + line for line in older.split("\n")))
    blank = draw(st.sampled_from(["\n", "\n\n", "\n \n", "\r\n\r\n"]))
    return blank.join(parts), marker


def _assert_reply_parts(parts: ReplyParts, text: str) -> None:
    assert isinstance(parts, ReplyParts) and isinstance(parts.forwarded, bool)
    for value in (parts.newest, parts.quoted, parts.signature):
        assert isinstance(value, str) and value == value.strip()
    assert bool(parts.newest) == bool(text.strip())  # never nothing when there was something
    source = text.replace("\r\n", "\n")
    for line in parts.newest.split("\n"):
        assert line.strip() in source  # the newest message is the sender's own lines, not made up


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), st.lists(st.one_of(sentences(), SEPARATORS, st.sampled_from(["\n", "\r\n", "> ", " "])),
                                     max_size=20).map("".join)))
def test_split_reply_takes_any_text(text):
    _assert_reply_parts(split_reply(text), text)


@settings(max_examples=300, deadline=None)
@given(reply_chains())
def test_reply_chains_keep_the_newest_message(chain):
    text, marker = chain
    parts = split_reply(text)
    _assert_reply_parts(parts, text)
    if not parts.forwarded:
        assert marker in parts.newest


HOSTILE_TEXT_UNITS = st.sampled_from(["\n", "\n\n", " \n", "\r\n", "\n \t\n", " ", "\t", "a ", "x\n\n", "> \n", "\n>"])


@settings(max_examples=8, deadline=None)
@given(unit=HOSTILE_TEXT_UNITS, head=st.sampled_from(["Hello", "PO 12345 is late", "-----Original Message-----"]))
@example(unit="\n\n", head="Hello")
@example(unit=" ", head="Hello")
def test_split_reply_takes_linear_time_on_runs_of_blank_space(unit, head):
    """Blank lines and blank runs: 20,000 blank lines took well over a minute (the library's
    signature search and our forward marker both scanned every run from every position)."""
    text = head + "\n" + unit * (40_000 // len(unit)) + "x"
    with _time_limit(30, "split_reply"):
        assert _elapsed(split_reply, text) < 5.0


# --- fields in text ---------------------------------------------------------------------------

CURRENCIES = {"EUR", "USD", "GBP", "CHF", "PLN", "CZK", "SEK", "DKK", "NOK", "HUF", "RON", "JPY", "CNY", "CAD", "AUD",
              "TRY", "INR"}


@st.composite
def numbers(draw) -> str:
    value = draw(st.one_of(st.integers(-10**7, 10**9), st.integers(0, 10**400)))
    digits = str(abs(value))
    separator = draw(st.sampled_from(["", ".", ",", " ", "\u00a0", "’", "'"]))
    if separator:
        groups = []
        while digits:
            groups.insert(0, digits[-3:])
            digits = digits[:-3]
        digits = separator.join(groups)
    decimals = draw(st.sampled_from(["", ",5", ".50", ",00", ".123"]))
    return ("-" if value < 0 else "") + digits + decimals


@st.composite
def written_dates(draw) -> str:
    d, m, y = draw(st.integers(0, 40)), draw(st.integers(0, 14)), draw(st.sampled_from([2026, 2099, 1999, 26, 0, 99]))
    month = draw(st.sampled_from(["Jan", "März", "décembre", "mayo", "Sept.", "dez", "okt"]))
    return draw(st.sampled_from([
        f"{y:04d}-{m:02d}-{d:02d}", f"{d}.{m}.{y}", f"{m}/{d}/{y}", f"{d} {month} {y}", f"{month} {d}, {y}",
        f"{d}. {month}", f"KW {d}", f"CW {d}/{y}", f"week {d} {y}", f"{d}th {month}", "tomorrow", "Thursday",
        "mañana", "Freitag",
    ]))


REFERENCES = st.one_of(
    st.integers(0, 99999).map(lambda n: f"P{n:05d}"),
    st.tuples(st.integers(2000, 2099), st.integers(0, 999999)).map(lambda t: f"PO-{t[0]}-{t[1]:03d}"),
    st.sampled_from(["PO", "P.O.", "purchase order", "Ihre Bestellung", "votre commande", "Bestell-Nr.", "invoice",
                     "Rechnung Nr.", "facture n°", "credit note", "INV-2026-001", "RE-1234", "CN/26/0042", "SKU",
                     "Art.-Nr.", "item no.", "tracking number", "AWB", "DHL", "1Z999AA10123456784", "MSCU1234567",
                     "RR123456789DE", "our order", "AB-2291", "BRG-6204", "DIN-912", "#", ":", "no.", "n°", "Nr.",
                     "IBAN", "VAT", "DE44 5001 0517 5407 3249 31", "DE123456789", "BE 0477.472.701"]),
)
TEXT_PIECES = st.one_of(numbers(), written_dates(), REFERENCES, WORDS,
                        st.sampled_from(["€", "$", "US$", "£", "¥", "CHF", "Fr.", "RMB", "%", "EUR", "USD"]),
                        st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", ", ", "; ", "/ ", " and ", " und "]),
                        st.text(max_size=8))


@settings(max_examples=400, deadline=None)
@given(text=st.one_of(st.text(), st.lists(TEXT_PIECES, max_size=40).map(" ".join), st.lists(TEXT_PIECES, max_size=40).map("".join)),
       sent=st.one_of(st.none(), st.dates(), st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31))),
       category=st.one_of(st.none(), st.sampled_from(CATEGORIES)), month_first=st.booleans())
@example(text="tomorrow", sent=dt.date.max, category=None, month_first=False)
@example(text="KW 1", sent=dt.date.max, category=None, month_first=False)
@example(text="12 Jan", sent=dt.date.min, category=None, month_first=False)
@example(text="EUR " + "9" * 400, sent=None, category=None, month_first=False)
def test_fields_are_found_in_the_text(text, sent, category, month_first):
    fields = extract_fields(text, sent, category, month_first=month_first)
    assert isinstance(fields, Fields)
    ref = sent or dt.date.today()
    if fields.new_date is not None:
        assert isinstance(fields.new_date, dt.date)
        assert sent is None or fields.new_date >= sent
        assert fields.new_date.year <= max(2100, ref.year + 1)
        assert sent is not None or fields.new_date.year >= 1999
    for money in fields.amounts:
        assert math.isfinite(money.value) and money.currency in CURRENCIES
    for refs in (fields.po_refs, fields.invoice_refs, fields.tracking_numbers, fields.sku_refs):
        assert len(refs) == len(set(refs))
        assert all(isinstance(r, str) and r and r in text for r in refs)
    assert not set(fields.invoice_refs) & set(fields.po_refs)
    assert not set(fields.sku_refs) & set(fields.po_refs + fields.invoice_refs + fields.tracking_numbers)
    fields.as_dict()


HOSTILE_FIELD_UNITS = st.sampled_from(["111 ", "1.111", "1 ", "\n\n", " \n", "\n", " ", "> \n", "PO ", "P.O. ", "SKU ",
                                       "invoice ", "KW ", "12.", "EUR "])


@settings(max_examples=10, deadline=None)
@given(unit=HOSTILE_FIELD_UNITS, label=st.sampled_from(["", "PO", "SKU", "our order", "Art.-Nr.", "invoice"]))
@example(unit="\n\n", label="")
@example(unit=" ", label="PO")
@example(unit="111 ", label="")
def test_fields_take_linear_time_on_repeated_pieces(unit, label):
    """A label before a long blank run was cubic ("PO" and 1,000 blanks took ten seconds), a
    long run of digit groups or blank lines quadratic."""
    text = label + unit * (40_000 // len(unit)) + "x"
    with _time_limit(30, "extract_fields"):
        assert _elapsed(extract_fields, text, dt.date(2026, 11, 23)) < 2.0
        assert _elapsed(supplier_refs, text) < 2.0


# --- identifiers --------------------------------------------------------------------------------


@st.composite
def valid_ibans(draw) -> str:
    country = draw(st.sampled_from(sorted(IBAN_LENGTHS)))
    bban = draw(st.text(string.digits + string.ascii_uppercase, min_size=IBAN_LENGTHS[country] - 4,
                        max_size=IBAN_LENGTHS[country] - 4))
    digits = "".join(str(int(c, 36)) for c in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@settings(max_examples=300, deadline=None)
@given(before=st.lists(TEXT_PIECES, max_size=6).map(" ".join), iban=valid_ibans(), grouped=st.booleans(),
       after=st.lists(TEXT_PIECES, max_size=6).map(" ".join))
def test_identifiers_hold_their_checks(before, iban, grouped, after):
    written = " ".join(iban[i:i + 4] for i in range(0, len(iban), 4)) if grouped else iban
    text = f"{before} {written} {after}"
    found = ibans(text)
    assert iban in found
    assert all(iban_valid(i) for i in found)
    assert not any(iban_valid(v) for v in vat_numbers(text))
    assert all(r and r in text for r in supplier_refs(text))


# --- PDFs ---------------------------------------------------------------------------------------

PDF_SEEDS = [
    text_pdf(),
    text_pdf("Rechnung Nr. 2026/0318  Summe EUR 1.234,56"),
    handmade(b"BT /F1 12 Tf 72 712 Td (Invoice INV-1 Total 12.50 EUR) Tj ET"),
    handmade(b"BT /F1 12 Tf 72 712 Td (Credit note CN-7) Tj ET", compress=True, pages=2),
    *[(FIXTURES / name).read_bytes() for name in ("09_de_credit_note.pdf", "16_fr_credit_note.pdf",
                                                    "29_es_delivery_note.pdf")],
]
PDF_TOKENS = st.sampled_from([b"obj", b"endobj", b"stream", b"endstream", b"<<", b">>", b"[", b"]", b"(", b")", b"/",
                              b"/Length 999999999", b"/Length -1", b"/Filter /FlateDecode", b"/Filter /LZWDecode",
                              b"/Count -1", b"/Count 99999999", b"/Kids [1 0 R]", b"/Parent 2 0 R", b"/Contents 1 0 R",
                              b"9999999999 0 R", b"0 0 R", b"/Encrypt 1 0 R", b"trailer", b"xref", b"startxref",
                              b"%%EOF", b"\x00", b"\xff" * 8, b"1e999", b"-0", b"BT", b"ET", b"Tj", b"Tf",
                              b"/MediaBox [0 0 0 0]", b"/MediaBox [1e308 -1e308 nan inf]", b"/Rotate 45"])


@st.composite
def mutated_pdfs(draw) -> bytes:
    """A valid PDF with bytes flipped, set, inserted, deleted, duplicated and PDF tokens
    spliced in; or cut short."""
    data = bytearray(draw(st.sampled_from(PDF_SEEDS)))
    for _ in range(draw(st.integers(1, 10))):
        op = draw(st.integers(0, 5))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == 0 and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == 1 and data:
            data[at] = draw(st.integers(0, 255))
        elif op == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == 3:
            del data[at:at + draw(st.integers(1, 64))]
        elif op == 4:
            data[at:at] = draw(PDF_TOKENS) + b" "
        else:
            size = draw(st.integers(1, 200))
            data[at:at] = data[at:at + size]
    if draw(st.integers(0, 5)) == 0:
        data = data[:draw(st.integers(0, len(data)))]
    return bytes(data)


def _assert_document(document: Document, max_pages: int) -> None:
    assert isinstance(document, Document)
    assert document.doc_type in DOC_TYPES
    assert 1 <= document.pages <= max_pages
    assert set(document.fields) == set(FIELDS) and set(document.confidence) == set(FIELDS)
    assert all(0.0 <= c <= 1.0 for c in document.confidence.values())
    for name in ("amount_untaxed", "amount_tax", "amount_total"):
        value = document.fields[name]
        assert value is None or (isinstance(value, (int, float)) and math.isfinite(value))
    for name in ("document_date", "due_date"):
        assert document.fields[name] is None or dt.date.fromisoformat(document.fields[name])
    assert isinstance(document.text, str) and isinstance(document.lines, list)
    document.as_dict()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=mutated_pdfs(), max_pages=st.integers(1, 50))
def test_mutated_pdfs_are_read_or_quarantined(data, max_pages):
    try:
        with _time_limit(60, "reading a mutated PDF"):
            document = read_in_process(data, max_pages, ocr_pages=0)
    except QuarantinedInput as exc:
        _quarantined_properly(exc)
    else:
        _assert_document(document, max_pages)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=500).map(lambda b: b"%PDF-1.4\n" + b))
def test_arbitrary_bytes_after_a_pdf_header_are_quarantined(data):
    try:
        document = read_in_process(data, 50, ocr_pages=0)
    except QuarantinedInput as exc:
        _quarantined_properly(exc)
    else:
        _assert_document(document, 50)


DOCUMENT_WORDS = st.one_of(
    st.sampled_from(["Invoice", "INVOICE", "Rechnung", "Facture", "Factura", "Fattura", "Fatura", "Factuur", "Credit",
                     "note", "Gutschrift", "Avoir", "Lieferschein", "Delivery", "Order", "confirmation",
                     "Auftragsbestätigung", "No.", "Nr.", "n°", "Date", "Datum", "Due", "Fällig", "Total", "Summe",
                     "Subtotal", "Netto", "VAT", "MwSt.", "TVA", "IVA", "USt-IdNr.", "DE123456789", "Qty", "Menge",
                     "Unit", "price", "Amount", "Betrag", "EUR", "€", "USD", "$", "£", "CHF", "PO", "P00123",
                     "Bestellung", "pcs", "Stk", "x", "%", "ACME", "GmbH", "Ltd", "S.A.", ":", "-", "R", "E", "C"]),
    numbers(), written_dates(), st.text(min_size=1, max_size=12),
)
COORDS = st.floats(-2000, 5000, allow_nan=False, allow_infinity=False)


@st.composite
def positioned_words(draw) -> Word:
    x0, top = draw(COORDS), draw(COORDS)
    return Word(text=draw(DOCUMENT_WORDS), x0=x0, x1=x0 + draw(st.floats(0, 800)), top=top,
                bottom=top + draw(st.floats(0, 80)), size=draw(st.floats(0, 96)), bold=draw(st.booleans()),
                page=draw(st.integers(0, 3)))


@st.composite
def table_words(draw) -> list[Word]:
    """Words on a grid (rows of cells, as a document's tables are printed), with noise."""
    words = []
    size = draw(st.sampled_from([7.0, 9.0, 10.0, 12.0, 16.0]))
    for row in range(draw(st.integers(1, 25))):
        top = 40 + row * draw(st.sampled_from([12.0, 14.0, 0.5, 30.0]))
        x = 30.0
        for _ in range(draw(st.integers(1, 7))):
            text = draw(DOCUMENT_WORDS)
            width = 5.0 * len(text) * size / 10
            words.append(Word(text, x, x + width, top, top + size, size, draw(st.booleans()), draw(st.sampled_from([0, 0, 1]))))
            x += width + draw(st.sampled_from([2.5, 3.0, 12.0, 40.0, -4.0]))
    return words


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(words=st.one_of(st.lists(positioned_words(), min_size=1, max_size=60), table_words()))
def test_the_document_reader_reads_any_words(words):
    lines = lines_of(words)
    pages = max(w.page for w in words) + 1
    document = read(lines, pages)
    _assert_document(document, pages)
    assert document.text == text_of(lines)
