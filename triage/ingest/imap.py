"""The mailbox: IMAP folders polled into Signals, nothing lost and nothing twice.

The only module that imports imapclient. Per account and folder a checkpoint row in the store
(source ``imap``, name ``<user>@<host>/<folder>``) holds UIDVALIDITY and the last stored UID.
A poll takes the folder's checkpoint row under a row lock that other pollers skip (``SELECT
... FOR UPDATE SKIP LOCKED``: two pollers on one mailbox never fetch the same batch), then,
batch by batch:

1. the UIDs above the checkpoint, in order, ``TRIAGE_IMAP_BATCH`` at a time;
2. their ``RFC822.SIZE`` first: a message above ``TRIAGE_MAX_MESSAGE_BYTES`` is fetched as
   headers only and stored quarantined (``oversized``) with them; the others with
   ``BODY.PEEK[]``, which leaves them unread;
3. each message stored once by its signal key (normalised Message-ID plus the SHA-256 of the
   message), and the checkpoint moved to the batch's last UID, in one transaction: a poller
   that dies between batches resumes after the last committed one, and one that dies inside a
   batch fetches that batch again, where the keys make the stored messages duplicates;
4. after the commit, and only then, the configured flag (``\\Seen``, a keyword) or move;
5. the flow on the new signals, each email before its attached PDFs (stored as document signals
   of their own that join the email's case), or a worker hand-over (``TRIAGE_SCHEDULER=celery``).

A changed UIDVALIDITY (the server renumbered the folder) restarts the folder from its first
UID; the keys deduplicate what was stored before. Messages are never deleted.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy import Engine, select

from triage.config import ImapSettings, Settings
from triage.domain import QuarantineReason, Signal, Source
from triage.errors import ConfigError, MailboxError, QuarantinedInput
from triage.ingest import Intake
from triage.ingest.files import email_key, from_eml
from triage.store import repository as repo
from triage.store import session_scope
from triage.store.tables import SignalRow, SourceCheckpointRow

log = logging.getLogger(__name__)
SEEN = b"\\Seen"


@dataclass
class FolderReport:
    folder: str
    seen: int = 0  # messages fetched this poll
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    documents: int = 0  # attached PDFs stored as document signals
    rescanned: bool = False  # UIDVALIDITY changed: the folder was read again from its start
    skipped: str | None = None  # why the folder was not polled (another poller holds it)

    def add(self, counts: Counter) -> None:
        for key, value in counts.items():
            setattr(self, key, getattr(self, key) + value)


@dataclass
class PollReport:
    mailbox: str
    folders: list[FolderReport] = field(default_factory=list)
    error: str | None = None

    def as_dict(self) -> dict:
        return {"mailbox": self.mailbox, "error": self.error,
                "folders": [vars(f) for f in self.folders]}


def mailbox_name(imap: ImapSettings, folder: str | None = None) -> str:
    base = f"{imap.user}@{imap.host}"
    return f"{base}/{folder}" if folder else base


def _token(imap: ImapSettings) -> str | None:
    if imap.oauth2_token_file is not None:
        try:
            return imap.oauth2_token_file.read_text().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read TRIAGE_IMAP_OAUTH2_TOKEN_FILE {imap.oauth2_token_file}: {exc}") from exc
    return imap.oauth2_token.get_secret_value() if imap.oauth2_token else None


def open_mailbox(imap: ImapSettings) -> IMAPClient:
    """A logged-in client: TLS from the start (``ssl``, port 993), STARTTLS (143) or plain
    (``none``, for a server on loopback); a password, or an XOAUTH2 token read at every login."""
    if not imap.configured:
        raise ConfigError("the mailbox is not configured: set TRIAGE_IMAP_HOST, TRIAGE_IMAP_USER and "
                          "TRIAGE_IMAP_PASSWORD (or TRIAGE_IMAP_OAUTH2_TOKEN / _FILE)")
    context = ssl.create_default_context()
    port = imap.port or (993 if imap.security == "ssl" else 143)
    try:
        client = IMAPClient(imap.host, port=port, ssl=imap.security == "ssl", ssl_context=context,
                            timeout=imap.timeout)
        if imap.security == "starttls":
            client.starttls(context)
        token = _token(imap)
        if token:
            client.oauth2_login(imap.user, token)
        else:
            client.login(imap.user, imap.password.get_secret_value() if imap.password else "")
    except LoginError as exc:
        raise MailboxError(f"{mailbox_name(imap)}: login refused ({exc})", retryable=False) from exc
    except (OSError, IMAPClientError) as exc:
        raise MailboxError(f"{mailbox_name(imap)}: cannot connect to {imap.host}:{port} ({exc})") from exc
    return client


def _claim(session, name: str) -> SourceCheckpointRow | None:
    """The folder's checkpoint (created before, committed), locked for this transaction; None when
    another poller holds it."""
    return session.scalar(select(SourceCheckpointRow)
                          .where(SourceCheckpointRow.source == "imap", SourceCheckpointRow.name == name)
                          .with_for_update(skip_locked=True))


def _read(raw: bytes, name: str, limits) -> Intake:
    """``from_eml``; a message that breaks the parser is stored quarantined, never blocks the folder."""
    try:
        return from_eml(raw, name, limits)
    except Exception as exc:  # a parser bug on hostile input must not stop the mailbox
        log.exception("parsing %s failed", name)
        intake = Intake(Signal(key=email_key(None, raw), source=Source.EMAIL, received_at=repo.now()), raw, name)
        intake.quarantine = QuarantinedInput(QuarantineReason.MALFORMED_MIME, f"{type(exc).__name__}: {exc}")
        return intake


def _headers_only(header: bytes, size: int, name: str, limits) -> Intake:
    """An oversized message: stored with its headers, quarantined with the reason."""
    intake = from_eml(header, name, limits)
    intake.signal.key = email_key(intake.signal.message_id, header)
    intake.quarantine = QuarantinedInput(
        QuarantineReason.OVERSIZED,
        f"message is {size} bytes; the limit is {limits.message_bytes} (stored with its headers only)")
    return intake


def poll_folder(client: IMAPClient, engine: Engine, settings: Settings, folder: str, *,
                store: Callable, after_commit: Callable[[list[int]], None] | None = None) -> FolderReport:
    """Poll one folder to its end, batch by batch. ``store(session, intake)`` returns (row,
    duplicate) of the message and then of each attached document."""
    imap = settings.imap
    name = mailbox_name(imap, folder)
    report = FolderReport(folder)
    selected = client.select_folder(folder, readonly=not (imap.mark_seen or imap.processed_flag or imap.move_to))
    uidvalidity = int(selected[b"UIDVALIDITY"])
    with session_scope(engine) as session:  # the row exists before any poller locks it
        repo.checkpoint(session=session, source="imap", name=name)
    while True:
        with session_scope(engine) as session:
            checkpoint = _claim(session, name)
            if checkpoint is None:
                report.skipped = "another poller holds this folder"
                return report
            if checkpoint.uidvalidity not in (None, uidvalidity):
                log.warning("%s: UIDVALIDITY changed from %s to %s: reading the folder again (stored messages "
                            "are recognised by their key)", name, checkpoint.uidvalidity, uidvalidity)
                checkpoint.last_uid, report.rescanned = 0, True
            checkpoint.uidvalidity = uidvalidity
            last = checkpoint.last_uid or 0
            uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)[: imap.batch]
            stored: list[int] = []
            if uids:
                stored, counts = _store_batch(client, session, uids, folder, uidvalidity, settings.limits, store)
                report.add(counts)
                checkpoint.last_uid = uids[-1]
                totals = Counter(checkpoint.cursor or {})
                totals.update(counts)  # running totals for /metrics (zeros kept), committed with the batch
                checkpoint.cursor = dict(totals)
            checkpoint.last_success, checkpoint.last_error, checkpoint.updated_at = repo.now(), None, repo.now()
        if not uids:
            return report
        _mark(client, imap, uids)
        if after_commit is not None:
            after_commit(stored)
        if len(uids) < imap.batch:
            return report


def _store_batch(client: IMAPClient, session, uids: list[int], folder: str, uidvalidity: int, limits,
                 store: Callable) -> tuple[list[int], Counter]:
    """Fetch and store one batch (sizes first): the stored signals' ids and the batch's counts."""
    sizes = {uid: int(data[b"RFC822.SIZE"]) for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()}
    small = [uid for uid in uids if sizes.get(uid, 0) <= limits.message_bytes]
    large = [uid for uid in uids if uid in sizes and uid not in small]
    bodies = client.fetch(small, ["BODY.PEEK[]"]) if small else {}
    headers = client.fetch(large, ["BODY.PEEK[HEADER]"]) if large else {}
    ids, counts = [], Counter()
    for uid in uids:
        raw_name = f"{folder}-{uidvalidity}-{uid}.eml"
        if uid in bodies:
            intake = _read(bytes(bodies[uid][b"BODY[]"]), raw_name, limits)
        elif uid in headers:
            intake = _headers_only(bytes(headers[uid][b"BODY[HEADER]"]), sizes[uid], raw_name, limits)
        else:  # expunged between SEARCH and FETCH: nothing to store
            continue
        intake.signal.meta = {**intake.signal.meta, "mailbox": folder, "uid": uid, "uidvalidity": uidvalidity}
        (row, duplicate), *children = store(session, intake)
        counts.update(seen=1, duplicates=int(duplicate), stored=int(not duplicate),
                      quarantined=int(not duplicate and intake.quarantine is not None),
                      documents=sum(not again for _, again in children))
        ids += [row.id, *(child.id for child, _ in children)]
    return ids, counts


def _mark(client: IMAPClient, imap: ImapSettings, uids: list[int]) -> None:
    """After the signals are committed: the configured flag or move (never a delete)."""
    try:
        flags = ([SEEN] if imap.mark_seen else []) + ([imap.processed_flag.encode()] if imap.processed_flag else [])
        if flags:
            client.add_flags(uids, flags)
        if imap.move_to:
            client.move(uids, imap.move_to)
    except IMAPClientError as exc:  # the messages are stored: a flag that failed is only cosmetic
        log.warning("could not flag or move %d stored message(s): %s", len(uids), exc)


def poll(engine: Engine, services, settings: Settings, *, connect: Callable[[ImapSettings], IMAPClient] = open_mailbox,
         attempts: int = 3, backoff: float = 2.0, run_flow: bool = True) -> PollReport:
    """Poll every configured folder once; connection errors are retried with backoff (a new
    connection resumes after the last committed batch), then recorded (``triage status``,
    ``/readyz``) and raised as ``MailboxError``. ``run_flow=False`` only stores the messages."""
    from triage import pipeline

    report = PollReport(mailbox_name(settings.imap))
    done: set[str] = set()
    for attempt in range(1, attempts + 1):
        try:
            client = connect(settings.imap)
            try:
                for folder in settings.imap.folder_list:
                    if folder in done:
                        continue
                    report.folders.append(poll_folder(
                        client, engine, settings, folder,
                        store=lambda session, intake: pipeline.store_family(session, intake, services,
                                                                            submitted_by="imap"),
                        after_commit=(lambda ids: _flow(engine, services, ids)) if run_flow else None))
                    done.add(folder)
            finally:
                _logout(client)
            return report
        except MailboxError as exc:
            error = exc
            if not exc.retryable:
                break
        except (OSError, IMAPClientError) as exc:  # dropped mid-poll: the committed batches stay
            error = MailboxError(f"{report.mailbox}: {exc}")
        if attempt < attempts:
            log.warning("mailbox %s: %s; attempt %d of %d in %.0fs", report.mailbox, error, attempt + 1, attempts,
                        backoff * 2 ** (attempt - 1))
            time.sleep(backoff * 2 ** (attempt - 1))
    with session_scope(engine) as session:
        for folder in settings.imap.folder_list:
            if folder not in done:
                repo.record_source_check(session=session, source="imap", name=mailbox_name(settings.imap, folder),
                                         error=str(error))
    report.error = str(error)
    raise error


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except (OSError, IMAPClientError):
        pass


def _flow(engine: Engine, services, signal_ids: list[int]) -> None:
    """The flow on the signals a batch stored (or, scale-out, a worker hand-over)."""
    from triage import pipeline

    if services.settings.scheduler == "celery":
        from triage.celery_app import enqueue_signal

        for signal_id in signal_ids:
            enqueue_signal(signal_id)
        return
    for signal_id in signal_ids:  # each email before its attachments: they join its case
        with session_scope(engine) as session:
            row = session.get(SignalRow, signal_id)
            if row is not None and row.state == "received":
                pipeline.run(session, row, services)
