"""Mailbox ingestion against a raw IMAP fetch of the same messages, in one run.

    python -m benchmarks.imap_ingest [--messages 5000] [--batch 50] [--database-url URL]

Starts a private Dovecot (``tests/imap_server.py``; Debian's ``dovecot-imapd``, which
``make test-deps`` installs) on a free loopback port, appends ``--messages`` supplier emails
(the labelled corpus, cycled, each with its own Message-ID), then measures:

- baseline: imapclient alone fetching every message the way the poller does (UID SEARCH,
  ``RFC822.SIZE`` then ``BODY.PEEK[]``, ``--batch`` at a time), nothing stored;
- ingest: ``triage.ingest.imap.poll`` with the flow off: MIME parsing, keys, the originals kept,
  signals and the checkpoint committed per batch (SQLite in a temporary data dir by default).

The baseline runs before and after the ingest; the faster of the two counts. Prints both
times, messages per second and the ratio (target: ingest within 1.5x the raw fetch).
"""

from __future__ import annotations

import argparse
import email.message
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

from imapclient import IMAPClient
from pydantic import SecretStr

from training.dataset import load_corpus

TARGET = 1.5


def _messages(n: int) -> list[bytes]:
    corpus = load_corpus()
    out = []
    for i in range(n):
        row = corpus[i % len(corpus)]
        msg = email.message.EmailMessage()
        msg["From"], msg["To"] = row.get("from") or "supplier@example.com", "purchasing@ourco.example"
        msg["Subject"] = row["subject"]
        msg["Message-ID"] = f"<bench-{i}@imap-ingest.example>"
        msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
        msg.set_content(row["body"])
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=50)
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
    with tempfile.TemporaryDirectory() as tmp, Dovecot(Path(tmp) / "dovecot") as server:
        print(f"appending {args.messages} messages to Dovecot on port {server.port} ...", flush=True)
        server.append_many(_messages(args.messages))
        settings = load_settings(data_dir=Path(tmp) / "var")
        imap = settings.imap.model_copy(update={"host": server.host, "port": server.port, "user": server.user,
                                                "password": SecretStr(server.password), "security": "none",
                                                "batch": args.batch})
        update = {"imap": imap, **({"database_url": args.database_url} if args.database_url else {})}
        settings = settings.model_copy(update=update)
        engine = open_store(settings)

        before, size = _raw_fetch(server, args.batch)
        print(f"raw fetch:  {before:7.2f} s  ({args.messages / before:7.0f} msg/s, {size / 1e6:.1f} MB)", flush=True)
        started = time.perf_counter()
        report = poll(engine, SimpleNamespace(settings=settings), settings, run_flow=False)
        ingest = time.perf_counter() - started
        stored = sum(f.stored for f in report.folders)
        print(f"ingest:     {ingest:7.2f} s  ({stored / ingest:7.0f} msg/s, {stored} stored)", flush=True)
        after, _ = _raw_fetch(server, args.batch)
        print(f"raw fetch:  {after:7.2f} s  (again)")
        baseline = min(before, after)
        ratio = ingest / baseline
        print(f"ratio ingest / raw fetch: {ratio:.2f}x (target <= {TARGET}x): {'met' if ratio <= TARGET else 'NOT met'}")
        engine.dispose()
        if stored != args.messages:
            sys.exit(f"stored {stored} of {args.messages} messages")


if __name__ == "__main__":
    main()
