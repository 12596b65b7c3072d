import pytest

from tests.conftest import SAMPLES
from triage.errors import QuarantinedInput
from triage.ingest.mime import html_to_text, normalise_message_id, parse_message


def test_parses_a_sample_with_encoded_headers():
    msg = parse_message((SAMPLES / "06_auftragsbestaetigung_preisaenderung.eml").read_bytes())
    assert "P00419" in msg.subject
    assert "Preisänderung" in msg.subject
    assert msg.date is not None and msg.date.tzinfo is not None
    assert msg.message_id and "@" in msg.message_id


def test_reply_carries_thread_ids():
    first = parse_message((SAMPLES / "02_confirmation_hoses.eml").read_bytes())
    reply = parse_message((SAMPLES / "03_re_delay_hoses.eml").read_bytes())
    assert first.message_id in reply.in_reply_to + reply.references


def test_wrong_charset_falls_back_rather_than_failing():
    raw = ("From: a@b.example\r\nSubject: Lieferung\r\nContent-Type: text/plain; charset=klingon\r\n\r\n"
           "Verz\xf6gerung um zwei Wochen\r\n").encode("latin-1")
    msg = parse_message(raw)
    assert "Verz" in msg.text and "zwei Wochen" in msg.text


def test_html_only_message_is_converted_and_scripts_dropped():
    raw = (b"From: a@b.example\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><script>alert(1)</script><p>New ETA&nbsp;<b>12.11.2026</b></p><p>Regards</p></html>")
    msg = parse_message(raw)
    assert "alert" not in msg.text
    assert "New ETA 12.11.2026" in msg.text


def test_attachment_names_are_untrusted():
    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nsee file\r\n"
           b"--XX\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"../../etc/passwd.pdf\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--XX--\r\n")
    msg = parse_message(raw)
    assert [a.filename for a in msg.attachments] == ["passwd.pdf"]
    assert msg.attachments[0].data == b"%PDF-"


def test_empty_message_is_quarantined():
    with pytest.raises(QuarantinedInput) as info:
        parse_message(b"   \r\n")
    assert info.value.reason == "empty"


def test_message_id_normalisation():
    assert normalise_message_id("<AbC.1@Mail.Example.COM>") == "AbC.1@mail.example.com"
    assert normalise_message_id("") is None
    assert html_to_text("a<br>b") == "a\nb"


def test_an_attached_pdf_becomes_a_child_document_with_a_safe_name():
    import email.message
    from importlib.resources import files

    from triage.config import LimitSettings
    from triage.ingest.files import from_eml
    from triage.ingest.mime import safe_filename

    pdf = (files("triage.demo") / "samples" / "invoice_INV-2026-0815.pdf").read_bytes()
    msg = email.message.EmailMessage()
    msg["From"], msg["Subject"], msg["Message-ID"] = "ar@acme.example", "Invoice INV-2026-0815", "<inv-1@Acme.example>"
    msg["References"] = "<order-1@ourco.example>"
    msg.set_content("Please find our invoice attached.")
    msg.add_attachment(pdf, maintype="application", subtype="octet-stream", filename="..\\..\\evil\\inv\x07.pdf")
    msg.add_attachment(b"col1;col2\n", maintype="text", subtype="csv", filename="lines.csv")
    intake = from_eml(msg.as_bytes(), "inv.eml", LimitSettings())
    [child] = intake.children  # the CSV is recorded on the email, not a document
    assert child.signal.source == "document" and child.signal.doc_type == "invoice"
    assert child.raw == pdf and child.raw_name == "inv_.pdf"
    assert child.signal.thread_ids == ["inv-1@acme.example", "order-1@ourco.example"]
    assert child.signal.meta["parent_key"] == intake.signal.key and child.signal.sender == "ar@acme.example"
    assert [a.filename for a in intake.signal.attachments] == ["inv_.pdf", "lines.csv"]  # recorded, made safe
    assert safe_filename("../../etc/passwd") == "passwd" and safe_filename(" . ") == "attachment"


def test_headers_are_decoded_whatever_the_sender_did():
    from triage.ingest.mime import header_text

    assert header_text("=?utf-8?q?M=C3=BCller?= GmbH <a@b.de>") == "Müller GmbH <a@b.de>"
    assert header_text("=?x-unknown?q?Gr=C3=BC=C3=9Fe?=") == "Grüße"  # unknown charset: UTF-8, else cp1252
    assert header_text("=?iso-8859-1?q?Gr=FC=DFe?=") == "Grüße"
    assert header_text("Re: Lieferverz\udcc3\udcb6gerung =?iso-8859-1?q?f=FCr?= PO") == "Re: Lieferverzögerung für PO"
    assert header_text("caf\udce9 cr\udce8me") == "café crème"  # raw 8-bit cp1252
    assert header_text("=?utf-8?b?w4RuZGVydW5n?=\r\n folded") == "Änderung folded"
    assert header_text("=?utf-8?b?###?= x") == "=?utf-8?b?###?= x"  # a word that does not decode stays
    assert header_text("=?iso-8859-1?q?a?= =?iso-8859-1?q?b?=") == "ab"  # blanks between words are not text


def test_the_header_reading_alone_gives_the_key_the_full_parse_gives():
    from triage.ingest.files import capture_eml, from_eml
    from triage.config import LimitSettings

    raw = (b"From: =?utf-8?q?J=C3=BCrgen?= <j@acme.example>\nSubject: Delay\n\tP10001\n"
           b"Message-ID: <ABC@Acme.EXAMPLE>\nReferences: <r1@x> <r2@x>\nIn-Reply-To: <r2@x>\n\n"
           b"Subject: not a header\n\nBody")
    captured, read = capture_eml(raw, "m.eml"), from_eml(raw, "m.eml", LimitSettings())
    assert captured.signal.key == read.signal.key and captured.unread and not read.unread
    assert (captured.signal.subject, captured.signal.message_id) == ("Delay P10001", "ABC@acme.example")
    assert captured.signal.thread_ids == read.signal.thread_ids == ["r1@x", "r2@x"]
    assert captured.signal.sender == read.signal.sender == "Jürgen <j@acme.example>"
    assert "not a header" in read.signal.text


def test_an_encoded_attachment_name_is_decoded_then_made_safe():
    from triage.ingest.mime import parse_message

    raw = (b"From: a@b.example\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee\r\n"
           b"--b\r\nContent-Type: application/pdf\r\n"
           b"Content-Disposition: attachment; filename=\"=?utf-8?q?..=2F..=2FRechnung_M=C3=A4rz.pdf?=\"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n")
    [attachment] = parse_message(raw).attachments
    assert attachment.filename == "Rechnung März.pdf" and attachment.data.startswith(b"%PDF")


def test_a_forwarded_message_attached_whole_is_read_with_its_pdf():
    import email.message

    inner = email.message.EmailMessage()
    inner["From"], inner["Subject"] = "sales@acme.example", "Lieferverzug P10077"
    inner.set_content("Die Lieferung zu P10077 verschiebt sich auf den 18.12.2026.")
    inner.add_attachment(b"%PDF-1.4\n%inner", maintype="application", subtype="pdf", filename="AB-77.pdf")
    outer = email.message.EmailMessage()
    outer["From"], outer["Subject"] = "buyer@ourco.example", "Fwd: Lieferverzug P10077"
    outer.set_content("FYI, see the supplier's message.")
    outer.add_attachment(inner)  # message/rfc822
    msg = parse_message(outer.as_bytes())
    assert "FYI" in msg.text and "18.12.2026" in msg.text
    assert [a.filename for a in msg.attachments] == ["AB-77.pdf"]
