"""The mailbox poller against a real IMAP server (Debian's Dovecot on a free loopback port):
many messages over several polls, a poller dropped mid-poll and restarted, a UIDVALIDITY
reset, two pollers at once, and the messages suppliers really send."""

from __future__ import annotations

import email.message
import threading

import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from triage import pipeline
from triage.errors import MailboxError
from triage.ingest.imap import mailbox_name, open_mailbox, poll
from triage.store import session_scope
from triage.store import repository as repo
from triage.store.tables import SignalRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def mailbox(trained, trained_flow, dovecot):
    """``start(database_url=None, **imap settings)`` -> (engine, services) polling ``dovecot``."""

    def start(database_url=None, **imap):
        settings, _ = trained
        return trained_flow(database_url, imap=settings.imap.model_copy(update={
            "host": dovecot.host, "port": dovecot.port, "user": dovecot.user,
            "password": SecretStr(dovecot.password), "security": "none", "folders": "INBOX", "batch": 50,
            "timeout": 10, **imap}))

    return start


def _message(n: int, *, subject: str | None = None, body: str | None = None, message_id: str | None = None,
             sender: str = "Anna Schmidt <anna@acme.example>") -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"] = sender, "purchasing@ourco.example"
    msg["Subject"] = subject or f"Order P{10000 + n} confirmed"
    msg["Message-ID"] = message_id or f"<msg-{n}@acme.example>"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
    msg.set_content(body or f"Hello,\n\nwe confirm your order P{10000 + n}, delivery as planned.\n\nRegards\nAnna")
    return msg.as_bytes()


def _count(engine, *where) -> int:
    with session_scope(engine) as session:
        return session.scalar(select(func.count()).select_from(SignalRow).where(*where))


def test_five_hundred_messages_over_several_polls_each_stored_once(dovecot, mailbox):
    engine, services = mailbox()
    dovecot.append_many([_message(n) for n in range(200)])
    first = poll(engine, services, services.settings, run_flow=False)
    assert [(f.seen, f.stored, f.duplicates) for f in first.folders] == [(200, 200, 0)]
    dovecot.append_many([_message(n) for n in range(200, 500)])
    second = poll(engine, services, services.settings, run_flow=False)
    assert [(f.seen, f.stored) for f in second.folders] == [(300, 300)]
    third = poll(engine, services, services.settings, run_flow=False)
    assert [(f.seen, f.stored) for f in third.folders] == [(0, 0)]
    assert _count(engine, SignalRow.source == "email") == 500
    with session_scope(engine) as session:
        checkpoint = repo.checkpoint(session=session, source="imap", name=mailbox_name(services.settings.imap, "INBOX"))
        assert checkpoint.last_uid == 500 and checkpoint.last_success is not None
    flags = dovecot.flags("INBOX")
    assert len(flags) == 500 and not any("\\Seen" in f for f in flags.values())  # BODY.PEEK: left unread

    from prometheus_client import generate_latest

    from triage.metrics import Metrics

    metrics = Metrics()
    metrics.watch_store(engine)
    scraped = generate_latest(metrics.registry).decode()
    name = mailbox_name(services.settings.imap, "INBOX")
    assert f'triage_mailbox_messages{{mailbox="{name}",outcome="stored"}} 500.0' in scraped
    assert f'triage_mailbox_last_success_timestamp_seconds{{mailbox="{name}"}}' in scraped


class _Dropping:
    """An IMAP client whose connection drops at the ``n``-th FETCH (a poller killed mid-poll)."""

    def __init__(self, client, n: int):
        self._client, self._left = client, n

    def fetch(self, *args, **kwargs):
        self._left -= 1
        if self._left == 0:
            self._client.shutdown()
            raise OSError("connection reset by peer")
        return self._client.fetch(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._client, name)


def test_a_poller_dropped_mid_poll_resumes_without_loss_or_duplicates(dovecot, mailbox):
    engine, services = mailbox(batch=10)
    dovecot.append_many([_message(n) for n in range(35)])
    # batch 1 (2 fetches: sizes, bodies) and batch 2 commit; the drop hits batch 3's bodies
    with pytest.raises(MailboxError, match="connection reset"):
        poll(engine, services, services.settings, run_flow=False, attempts=1,
             connect=lambda imap: _Dropping(open_mailbox(imap), 6))
    assert _count(engine) == 20
    with session_scope(engine) as session:
        name = mailbox_name(services.settings.imap, "INBOX")
        assert repo.checkpoint(session=session, source="imap", name=name).last_error.endswith("connection reset by peer")
    resumed = poll(engine, services, services.settings, run_flow=False)
    assert [(f.seen, f.stored, f.duplicates) for f in resumed.folders] == [(15, 15, 0)]
    assert _count(engine) == 35


def test_a_drop_inside_a_batch_is_retried_on_a_new_connection(dovecot, mailbox):
    engine, services = mailbox(batch=10)
    dovecot.append_many([_message(n) for n in range(25)])
    drops = iter([4, 10_000])  # the first connection drops in batch 2; the second one finishes
    report = poll(engine, services, services.settings, run_flow=False, attempts=2, backoff=0,
                  connect=lambda imap: _Dropping(open_mailbox(imap), next(drops)))
    assert sum(f.stored for f in report.folders) == 15 and _count(engine) == 25  # batch 1 stored before the drop


def test_uidvalidity_reset_reads_again_and_stores_nothing_twice(dovecot, mailbox):
    engine, services = mailbox()
    dovecot.append_many([_message(n) for n in range(5)])
    poll(engine, services, services.settings, run_flow=False)
    before = dovecot.uidvalidity("INBOX")
    dovecot.reset_uidvalidity("INBOX")
    assert dovecot.uidvalidity("INBOX") != before
    dovecot.append(_message(99))
    again = poll(engine, services, services.settings, run_flow=False)
    [folder] = again.folders
    assert folder.rescanned and (folder.seen, folder.stored, folder.duplicates) == (6, 1, 5)
    assert _count(engine) == 6


def test_two_pollers_at_once_never_ingest_a_message_twice(dovecot, mailbox, pg_url):
    engine, services = mailbox(database_url=pg_url, batch=20)
    dovecot.append_many([_message(n) for n in range(120)])
    reports, errors = [], []

    def run():
        try:
            reports.append(poll(engine, services, services.settings, run_flow=False))
        except Exception as exc:  # noqa: BLE001 - the assertion below shows it
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(f.stored for r in reports for f in r.folders) == 120
    assert sum(f.duplicates for r in reports for f in r.folders) == 0
    assert _count(engine) == 120


def test_the_messages_suppliers_really_send(dovecot, mailbox):
    html_only = email.message.EmailMessage()
    html_only["From"], html_only["Subject"] = "sales@borg.example", "Lieferverzug P10001"
    html_only["Message-ID"] = "<html-1@borg.example>"
    html_only.set_content("<html><body><p>Die Lieferung zu <b>P10001</b> verschiebt sich auf den 15.12.2026."
                          "</p></body></html>", subtype="html")
    latin1 = (b"From: =?iso-8859-1?q?J=FCrgen_M=FCller?= <j.mueller@acme.example>\r\n"
              b"Subject: =?utf-8?b?TGllZmVydGVybWluIGbDvHIgUDEwMDAy?=\r\n"
              b"Message-ID: <latin1-1@acme.example>\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\n"
              b"Gr\xfc\xdfe, die Ware f\xfcr P10002 kommt sp\xe4ter.\r\n")
    eight_bit_header = (b"From: Caf\xc3\xa9 Fournisseur <cafe@fournisseur.example>\r\nSubject: Retard de livraison "
                        b"\xc3\xa0 pr\xc3\xa9voir\r\nMessage-ID: <8bit-1@fournisseur.example>\r\n\r\nBonjour\r\n")
    malformed = b"Content-Type: multipart/mixed; boundary=\"nope\"\r\n\r\n--nope\r\nthis is not closed"
    big = email.message.EmailMessage()
    big["From"], big["Subject"], big["Message-ID"] = "scans@acme.example", "Scan", "<big-1@acme.example>"
    big.set_content("see attachment")
    big.add_attachment(b"%PDF-1.4\n" + b"0" * 3_000_000, maintype="application", subtype="pdf",
                       filename="../../etc/scan.pdf")
    same = _message(7, message_id="<dup@acme.example>")
    dovecot.append_many([html_only.as_bytes(), latin1, eight_bit_header, malformed, big.as_bytes(), same, same,
                         _message(8, message_id="<dup@acme.example>")])
    engine, services = mailbox(processed_flag="$Triaged")
    services.settings.limits.message_bytes = 1_000_000

    [folder] = poll(engine, services, services.settings, run_flow=False).folders
    assert (folder.seen, folder.stored, folder.duplicates) == (8, 7, 1)  # the identical copy is the one duplicate
    with session_scope(engine) as session:
        every = session.scalars(select(SignalRow)).all()
        rows = {row.message_id or row.raw_name: row for row in every}
        # stored by their headers, decoded: RFC 2047 (two charsets), raw 8-bit UTF-8
        assert rows["latin1-1@acme.example"].subject == "Liefertermin für P10002"
        assert "Jürgen Müller" in rows["latin1-1@acme.example"].sender
        assert rows["8bit-1@fournisseur.example"].subject == "Retard de livraison à prévoir"
        assert rows["8bit-1@fournisseur.example"].sender.startswith("Café Fournisseur")
        oversized = rows["big-1@acme.example"]
        assert (oversized.state, oversized.quarantine_reason, oversized.unread) == ("quarantined", "oversized", False)
        assert oversized.subject == "Scan"
        received = [row for row in every if row.state == "received"]
        assert len(received) == 6 and all(row.unread and row.text == "" for row in received)
        # the flow's first step reads each body from the original kept in the store
        for row in received:
            assert pipeline.read(session, row, services) == []
        assert "15.12.2026" in rows["html-1@borg.example"].text and "<b>" not in rows["html-1@borg.example"].text
        assert "Grüße" in rows["latin1-1@acme.example"].text
        unclosed = rows[next(name for name in rows if name.endswith(".eml"))]  # no Message-ID, boundary not closed
        assert (unclosed.text, unclosed.meta["defects"]) == ("this is not closed", ["CloseBoundaryNotFoundDefect"])
        assert not any(row.unread for row in every)
        from triage.status import status

        folder_status = status(session, model={})["mailboxes"][mailbox_name(services.settings.imap, "INBOX")]
        assert folder_status["quarantined_by_reason"] == {"oversized": 1}
        assert folder_status["messages"]["seen"] == 8 and folder_status["messages"]["quarantined"] == 1
        same_id = session.scalar(select(func.count()).select_from(SignalRow)
                                 .where(SignalRow.message_id == "dup@acme.example"))
        assert same_id == 2  # the same Message-ID with other bytes is another message
    flags = dovecot.flags("INBOX")
    assert all("$Triaged" in f for f in flags.values()) and not any("\\Seen" in f for f in flags.values())


def test_a_german_reply_chain_whose_newest_message_is_a_delay(dovecot, mailbox):
    engine, services = mailbox()
    body = ("Guten Tag Herr Weber,\n\nleider verschiebt sich die Lieferung Ihrer Bestellung P10077 wegen eines "
            "Maschinenausfalls. Neuer Liefertermin ist der 18.12.2026.\n\nMit freundlichen Grüßen\nAnna Schmidt\n"
            "Acme GmbH\n\n"
            "Am 10.11.2026 um 09:12 schrieb Jonas Weber <j.weber@ourco.example>:\n"
            "> Hallo Frau Schmidt,\n> bitte bestätigen Sie den Liefertermin 01.12.2026 für P10077.\n> Danke\n")
    dovecot.append(_message(77, subject="AW: Liefertermin P10077", body=body))
    [folder] = poll(engine, services, services.settings).folders
    assert folder.stored == 1
    with session_scope(engine) as session:
        row = session.scalar(select(SignalRow))
        assert row.state == "processed" and row.fields["new_date"] == "2026-12-18"
        assert row.meta["language"] == "de"


def test_triage_ingest_mailbox_polls_once_and_status_shows_it(dovecot, registry_copy, tmp_path):
    import json

    from tests.conftest import run_triage

    dovecot.append_many([_message(n) for n in range(3)])
    imap = {"imap_host": dovecot.host, "imap_port": str(dovecot.port), "imap_user": dovecot.user,
            "imap_password": dovecot.password, "imap_security": "none"}
    first = run_triage(tmp_path, registry_copy, "ingest", "mailbox", "--json", **imap)
    assert first.returncode == 0, first.stderr[-3000:]
    [folder] = json.loads(first.stdout)["folders"]
    assert (folder["folder"], folder["seen"], folder["stored"]) == ("INBOX", 3, 3)
    again = run_triage(tmp_path, registry_copy, "ingest", "mailbox", **imap)
    assert "0 fetched, 0 new" in again.stdout, again.stderr[-2000:]
    status = json.loads(run_triage(tmp_path, registry_copy, "status", "--json", **imap).stdout)
    mailbox = status["mailboxes"][f"{dovecot.user}@{dovecot.host}/INBOX"]
    assert mailbox["last_success"] and mailbox["last_error"] is None
    assert mailbox["messages"] == {"seen": 3, "stored": 3, "duplicates": 0, "quarantined": 0, "documents": 0}
    assert status["signals"]["retrying"] == 0
    assert status["signals"]["by_source"]["email"] == 3
    refused = run_triage(tmp_path, registry_copy, "ingest", "mailbox", **{**imap, "imap_password": "wrong"})
    assert refused.returncode != 0 and "login refused" in refused.stderr


def test_readiness_reports_a_mailbox_that_stopped_polling(settings):
    import datetime as dt
    import time

    from triage.api.routes.system import mailbox_staleness
    from triage.api.runtime import Runtime

    imap = settings.imap.model_copy(update={"host": "mail.example", "user": "buyer", "folders": "INBOX,Suppliers",
                                            "poll_seconds": 60})
    runtime = Runtime.start(settings.model_copy(update={"imap": imap}))
    try:
        assert set(mailbox_staleness(runtime).values()) == {None}  # just started: not stale yet
        runtime.started_at = time.time() - 600
        with session_scope(runtime.engine) as session:
            fresh = repo.checkpoint(session=session, source="imap", name="buyer@mail.example/INBOX")
            fresh.last_success = repo.now() - dt.timedelta(seconds=30)
            stale = repo.checkpoint(session=session, source="imap", name="buyer@mail.example/Suppliers")
            stale.last_success = repo.now() - dt.timedelta(seconds=400)
            stale.last_error = "buyer@mail.example: cannot connect"
        found = mailbox_staleness(runtime)
        assert found["buyer@mail.example/INBOX"] is None
        assert "more than three intervals of 60s" in found["buyer@mail.example/Suppliers"]
        assert "cannot connect" in found["buyer@mail.example/Suppliers"]
    finally:
        runtime.close()


def test_an_attached_pdf_is_a_document_in_the_emails_case(dovecot, mailbox):
    from importlib.resources import files

    engine, services = mailbox()
    pdf = (files("triage.demo") / "samples" / "credit_note_CN-2026-0042.pdf").read_bytes()
    msg = email.message.EmailMessage()
    msg["From"], msg["To"] = "Anna Schmidt <anna@acme.example>", "purchasing@ourco.example"
    msg["Subject"], msg["Message-ID"] = "Credit note for P10042: price difference", "<cn-1@acme.example>"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
    msg.set_content("Hello,\n\nwe billed the wrong unit price on P10042; attached our credit note CN-2026-0042 "
                    "over EUR 240.00.\n\nRegards\nAnna")
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="CN-2026-0042.pdf")
    dovecot.append(msg.as_bytes())
    [folder] = poll(engine, services, services.settings).folders
    assert (folder.stored, folder.documents) == (1, 1)
    with session_scope(engine) as session:
        email_row, document = session.scalars(select(SignalRow).order_by(SignalRow.id)).all()
        assert (email_row.source, document.source, document.doc_type) == ("email", "document", "credit_note")
        assert document.state == email_row.state == "processed"
        assert document.case_id == email_row.case_id  # the attachment joins the email's case
        assert document.meta["parent_key"] == email_row.key
    again = poll(engine, services, services.settings).folders[0]
    assert (again.seen, again.documents) == (0, 0)
