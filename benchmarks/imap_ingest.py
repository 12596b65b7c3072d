"""Mailbox ingestion against a raw IMAP fetch of the same messages, in one run.

    python -m benchmarks.imap_ingest [--messages 5000] [--batch 50] [--mix text,mailbox] [--database-url URL]

Starts a private Dovecot (``tests/imap_server.py``; Debian's ``dovecot-imapd``, which
``make test-deps`` installs) on a free loopback port and, for each message mix, appends
``--messages`` supplier emails (the labelled corpus, cycled, each with its own Message-ID):

- ``text``: the corpus emails as they are, plain text, about 1 KB each (the worst case for the
  ratio: the least to fetch per message, the same work per message to store);
- ``mailbox``: what a purchasing mailbox holds: each email also as HTML (multipart/alternative)
  with a signature and disclaimer, and every fourth with a PDF of 30-120 KB attached
  (about 29 KB on average).

Then measures, per mix:

- baseline: imapclient alone fetching every message the way the poller does (UID SEARCH,
  ``RFC822.SIZE`` then ``BODY.PEEK[]``, ``--batch`` at a time), nothing stored;
- ingest: ``triage.ingest.imap.poll`` with the flow off: header reading, keys, the originals
  kept in the store, signals and the checkpoint committed per batch (SQLite in a temporary
  data dir by default). Reading bodies and attachments is the flow's first step
  (``pipeline.read``), measured apart as ``read`` over the same messages.

Each is measured twice, alternating (the ingest into a fresh store each time); the faster of
each counts. Prints the times, messages per second and the ratio (target: ingest within 1.5x
the raw fetch).
"""

from __future__ import annotations

import argparse
import email.message
import random
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from imapclient import IMAPClient
from pydantic import SecretStr

from training.dataset import load_corpus

TARGET = 1.5


SIGNATURE = ("\n\n-- \nAnna Schmidt | Customer Service\nAcme Industrial Supply GmbH | Industriestr. 12 | "
             "70565 Stuttgart\nTel. +49 711 555 0100\n\n" + "This e-mail and any attachments may contain "
             "confidential information; if you are not the intended recipient, please delete it. " * 4)


def _messages(n: int, mix: str) -> list[bytes]:
    corpus = load_corpus()
    rng = random.Random(7)  # the same mailbox every run
    out = []
    for i in range(n):
        row = corpus[i % len(corpus)]
        msg = email.message.EmailMessage()
        msg["From"], msg["To"] = row.get("from") or "supplier@example.com", "purchasing@ourco.example"
        msg["Subject"] = row["subject"]
        msg["Message-ID"] = f"<bench-{i}@imap-ingest.example>"
        msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
        if mix == "text":
            msg.set_content(row["body"])
        else:
            body = row["body"] + SIGNATURE
            msg.set_content(body)
            msg.add_alternative("<html><head><style>" + "p{margin:0;font-family:Calibri,sans-serif}" * 30
                                + "</style></head><body>" + "".join(f"<p>{line}</p>" for line in body.splitlines())
                                + "</body></html>", subtype="html")
            if i % 4 == 0:
                pdf = b"%PDF-1.4\n" + rng.randbytes(rng.randint(30_000, 120_000))
                msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"document-{i}.pdf")
        out.append(msg.as_bytes())
    return out


def _raw_fetch(server, batch: int) -> tuple[float, int]:
    started = time.perf_counter()
    client = IMAPClient(server.host, port=server.port, ssl=False)
    client.login(server.user, server.password)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["UID", "1:*"]))
    size = 0
    for start in range(0, len(uids), batch):
        chunk = uids[start:start + batch]
        client.fetch(chunk, ["RFC822.SIZE"])
        size += sum(len(data[b"BODY[]"]) for data in client.fetch(chunk, ["BODY.PEEK[]"]).values())
    client.logout()
    return time.perf_counter() - started, size


def _read(engine, services) -> tuple[float, int]:
    """The flow's first step on every stored message: the body and attachments read from the
    original kept in the store (``pipeline.read``), rolled back afterwards."""
    from sqlalchemy import select

    from triage import pipeline
    from triage.store.db import session_factory
    from triage.store.tables import SignalRow

    session = session_factory(engine)()
    try:
        rows = session.scalars(select(SignalRow).where(SignalRow.unread.is_(True))).all()
        started = time.perf_counter()
        for row in rows:
            pipeline.read(session, row, services)
        return time.perf_counter() - started, len(rows)
    finally:
        session.rollback()
        session.close()


def _run(mix: str, args, Dovecot, settings_for, poll, open_store) -> float:
    with tempfile.TemporaryDirectory() as tmp, Dovecot(Path(tmp) / "dovecot") as server:
        messages = _messages(args.messages, mix)
        print(f"[{mix}] appending {args.messages} messages ({sum(map(len, messages)) / len(messages) / 1024:.1f} KB "
              f"on average) to Dovecot on port {server.port} ...", flush=True)
        server.append_many(messages)
        fetches, ingests, engines = [], [], []
        for attempt in (1, 2):  # each measured twice, alternating; the faster of each counts
            seconds, size = _raw_fetch(server, args.batch)
            fetches.append(seconds)
            print(f"[{mix}] raw fetch: {seconds:7.2f} s  ({args.messages / seconds:7.0f} msg/s, {size / 1e6:.1f} MB)",
                  flush=True)
            settings = settings_for(server, Path(tmp) / f"var{attempt}")  # a fresh store each time
            engines.append(open_store(settings))
            services = SimpleNamespace(settings=settings)
            started = time.perf_counter()
            report = poll(engines[-1], services, settings, run_flow=False)
            ingests.append(time.perf_counter() - started)
            stored = sum(f.stored for f in report.folders)
            print(f"[{mix}] ingest:    {ingests[-1]:7.2f} s  ({stored / ingests[-1]:7.0f} msg/s, {stored} stored)",
                  flush=True)
            if stored != args.messages:
                sys.exit(f"stored {stored} of {args.messages} messages")
        read, count = _read(engines[0], services)
        print(f"[{mix}] read (the flow's first step, apart): {read:.2f} s for {count} messages "
              f"({read / max(count, 1) * 1e3:.2f} ms each)")
        ratio = min(ingests) / min(fetches)
        print(f"[{mix}] ratio ingest / raw fetch (best of two each): {ratio:.2f}x (target <= {TARGET}x): "
              f"{'met' if ratio <= TARGET else 'NOT met'}", flush=True)
        for engine in engines:
            engine.dispose()
        return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--mix", default="text,mailbox", help="message mixes to run: text, mailbox (comma-separated)")
    parser.add_argument("--database-url", help="the store to ingest into (default: SQLite in a temporary dir)")
    args = parser.parse_args()

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.imap_server import Dovecot, dovecot_available
    from triage.config import load_settings
    from triage.ingest.imap import poll
    from triage.services import open_store

    reason = dovecot_available()
    if reason:
        sys.exit(f"cannot run Dovecot: {reason}")

    def settings_for(server, data_dir: Path):
        settings = load_settings(data_dir=data_dir)
        imap = settings.imap.model_copy(update={"host": server.host, "port": server.port, "user": server.user,
                                                "password": SecretStr(server.password), "security": "none",
                                                "batch": args.batch})
        return settings.model_copy(update={"imap": imap, **({"database_url": args.database_url}
                                                            if args.database_url else {})})

    ratios = {mix: _run(mix, args, Dovecot, settings_for, poll, open_store) for mix in args.mix.split(",")}
    print("summary: " + ", ".join(f"{mix} {ratio:.2f}x" for mix, ratio in ratios.items()) + f" (target <= {TARGET}x)")


if __name__ == "__main__":
    main()
