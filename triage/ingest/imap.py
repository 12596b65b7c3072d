"""The mailbox: IMAP folders polled into Signals, nothing lost and nothing twice.

The only module that imports imapclient. Per account and folder a checkpoint row in the store
(source ``imap``, name ``<user>@<host>/<folder>``) holds UIDVALIDITY and the last stored UID.
Every step that moves it takes the row under a lock that other pollers skip (``SELECT ... FOR
UPDATE SKIP LOCKED``). A poll:

1. searches the UIDs above the checkpoint once (what arrives meanwhile waits for the next poll)
   and cuts them into batches of ``TRIAGE_IMAP_BATCH``;
2. per batch, under the lock, the UIDs the checkpoint has not passed (a second poller may have
   stored some meanwhile): ``RFC822.SIZE`` first, then ``BODY.PEEK[]`` (which leaves messages
   unread), or, above ``TRIAGE_MAX_MESSAGE_BYTES``, the headers only, stored quarantined
   (``oversized``);
3. stores the batch in the same transaction: each message once by its signal key
   (normalised Message-ID plus SHA-256) with its original and its decoded headers, and the
   checkpoint moved to the batch's last UID. A poller that dies between batches resumes after
   the last committed one; one that dies inside a batch fetches it again, and the keys make
   what was stored duplicates;
4. after the commit, and only then, the configured flag (``\\Seen``, a keyword) or move;
5. the flow on the new signals (``pipeline.run_family``: the body read from the original first,
   then each email before its attached PDFs), or a worker hand-over (``TRIAGE_SCHEDULER=celery``).

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
from triage.domain import QuarantineReason
from triage.errors import ConfigError, MailboxError, QuarantinedInput
from triage.ingest import Intake
from triage.ingest.files import capture_eml
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


def _claim(session, name: str, *, skip: bool = True) -> SourceCheckpointRow | None:
    """The folder's checkpoint (created before, committed), locked for this transaction; with
    ``skip``, None when another poller holds it (else wait for it)."""
    return session.scalar(select(SourceCheckpointRow)
                          .where(SourceCheckpointRow.source == "imap", SourceCheckpointRow.name == name)
                          .with_for_update(skip_locked=skip))


def _headers_only(header: bytes, size: int, name: str, limits) -> Intake:
    """An oversized message: stored with its headers, quarantined with the reason."""
    intake = capture_eml(header, name)
    intake.unread = False
    intake.quarantine = intake.quarantine or QuarantinedInput(
        QuarantineReason.OVERSIZED,
        f"message is {size} bytes; the limit is {limits.message_bytes} (stored with its headers only)")
    return intake


def poll_folder(client: IMAPClient, engine: Engine, settings: Settings, folder: str, *,
                after_commit: Callable[[list[int]], Counter] | None = None) -> FolderReport:
    """Poll one folder to its end, batch by batch. ``after_commit(ids)`` gets the signal ids a
    batch stored (the flow) and returns what the flow found (quarantined, documents)."""
    imap = settings.imap
    name = mailbox_name(imap, folder)
    report = FolderReport(folder)
    selected = client.select_folder(folder, readonly=not (imap.mark_seen or imap.processed_flag or imap.move_to))
    uidvalidity = int(selected[b"UIDVALIDITY"])
    with session_scope(engine) as session:  # the row exists before any poller locks it
        repo.checkpoint(session=session, source="imap", name=name)
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
        # one SEARCH per poll; what arrives meanwhile waits for the next poll
        pending = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
        if not pending:
            _count(checkpoint, Counter())
            return report
    for start in range(0, len(pending), imap.batch):
        with session_scope(engine) as session:
            checkpoint = _claim(session, name)
            if checkpoint is None or checkpoint.uidvalidity != uidvalidity:
                report.skipped = ("another poller holds this folder" if checkpoint is None else
                                  "another poller saw a new UIDVALIDITY; the next poll reads the folder again")
                break
            last = checkpoint.last_uid or 0
            uids = [uid for uid in pending[start:start + imap.batch] if uid > last]  # another poller's meanwhile
            fetched = _fetch(client, uids, settings.limits) if uids else {}
            stored, counts = _store_batch(fetched, session, uids, folder, uidvalidity, settings.limits)
            report.add(counts)
            checkpoint.last_uid = max([last, *uids])
            _count(checkpoint, counts)
        if uids:
            _mark(client, imap, uids)
        if after_commit is not None and stored:
            found = after_commit(stored)
            report.add(found)
            with session_scope(engine) as session:  # what the flow found, in the folder's running totals
                _count(_claim(session, name, skip=False), found, success=False)
    return report


def _fetch(client: IMAPClient, uids: list[int], limits) -> dict:
    """One batch from the server: ``{uid: (size, bytes, whole)}``; ``whole`` is False where only
    the headers of a message above ``TRIAGE_MAX_MESSAGE_BYTES`` were fetched."""
    sizes = {uid: int(data[b"RFC822.SIZE"]) for uid, data in client.fetch(uids, ["RFC822.SIZE"]).items()}
    small = [uid for uid in uids if sizes.get(uid, 0) <= limits.message_bytes]
    large = [uid for uid in uids if uid in sizes and uid not in small]
    out = {}
    if small:
        out.update((uid, (sizes[uid], bytes(data[b"BODY[]"]), True))
                   for uid, data in client.fetch(small, ["BODY.PEEK[]"]).items() if b"BODY[]" in data)
    if large:
        out.update((uid, (sizes[uid], bytes(data[b"BODY[HEADER]"]), False))
                   for uid, data in client.fetch(large, ["BODY.PEEK[HEADER]"]).items() if b"BODY[HEADER]" in data)
    return out


def _count(checkpoint: SourceCheckpointRow | None, counts: Counter, *, success: bool = True) -> None:
    """Running totals for /metrics and status (zeros kept), committed with the batch."""
    if checkpoint is None:
        return
    totals = Counter(checkpoint.cursor or {})
    totals.update(counts)
    checkpoint.cursor = dict(totals)
    if success:
        checkpoint.last_success, checkpoint.last_error = repo.now(), None
    checkpoint.updated_at = repo.now()


def _store_batch(fetched: dict, session, uids: list[int], folder: str, uidvalidity: int, limits
                 ) -> tuple[list[int], Counter]:
    """Store one fetched batch by the messages' headers: the stored signals' ids and the
    batch's counts. The flow reads the bodies (``pipeline.read``)."""
    intakes = []
    for uid in uids:
        if uid not in fetched:  # expunged between SEARCH and FETCH: nothing to store
            continue
        size, raw, whole = fetched[uid]
        raw_name = f"{folder}-{uidvalidity}-{uid}.eml"
        intake = capture_eml(raw, raw_name) if whole else _headers_only(raw, size, raw_name, limits)
        intake.signal.meta = {**intake.signal.meta, "mailbox": folder, "uid": uid, "uidvalidity": uidvalidity}
        intakes.append(intake)
    stored = repo.insert_intakes(session=session, intakes=intakes, submitted_by="imap")
    counts = Counter(seen=len(stored))
    for intake, (_, duplicate) in zip(intakes, stored, strict=True):
        counts.update(duplicates=int(duplicate), stored=int(not duplicate),
                      quarantined=int(not duplicate and intake.quarantine is not None))
    return [signal_id for signal_id, duplicate in stored if not duplicate], counts


def _mark(client: IMAPClient, imap: ImapSettings, uids: list[int]) -> None:
    """After the signals are committed: the configured flag or move (never a delete)."""
    try:
        flags = ([SEEN] if imap.mark_seen else []) + ([imap.processed_flag.encode()] if imap.processed_flag else [])
        if flags:
            client.add_flags(uids, flags)
        if imap.move_to:
            client.move(uids, imap.move_to)
    except (OSError, IMAPClientError) as exc:  # the messages are stored: a flag that failed is only cosmetic
        log.warning("could not flag or move %d stored message(s): %s", len(uids), exc)


def poll(engine: Engine, services, settings: Settings, *, connect: Callable[[ImapSettings], IMAPClient] = open_mailbox,
         attempts: int = 3, backoff: float = 2.0, run_flow: bool = True) -> PollReport:
    """Poll every configured folder once; connection errors are retried with backoff (a new
    connection resumes after the last committed batch), then recorded (``triage status``,
    ``/readyz``) and raised as ``MailboxError``. ``run_flow=False`` only stores the messages."""
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


def _flow(engine: Engine, services, signal_ids: list[int]) -> Counter:
    """The flow on the signals a batch stored, each read first and then its attached PDFs (they
    join its case); or, scale-out, a worker hand-over. What the flow found: quarantined
    messages and the documents stored from attachments."""
    from triage import pipeline

    if services.settings.scheduler == "celery":
        from triage.celery_app import enqueue_signal

        for signal_id in signal_ids:
            enqueue_signal(signal_id)
        return Counter()
    found: Counter = Counter()
    for signal_id in signal_ids:
        with session_scope(engine) as session:
            row = session.get(SignalRow, signal_id)
            if row is not None and row.state == "received":
                result = pipeline.run_family(session, row, services)
                found.update(quarantined=int(row.state == "quarantined"), documents=len(result.children))
    return found
