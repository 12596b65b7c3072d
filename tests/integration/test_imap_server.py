"""The Dovecot test server (tests/imap_server.py) behaves as the IMAP poller's tests will rely on.

Needs Debian's `dovecot-imapd` (`make test-deps` installs it). Without it these tests are
skipped on a developer's machine and fail under CI (CI=true), where it must be installed.
"""

from __future__ import annotations

import os
import socket
import time

import imapclient
import pytest

from tests.imap_server import Dovecot, dovecot_available

pytestmark = pytest.mark.integration


def _require_dovecot() -> None:
    reason = dovecot_available()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def server(tmp_path):
    _require_dovecot()
    with Dovecot(tmp_path) as dovecot:
        yield dovecot


def _message(subject: bytes, body: bytes, headers: bytes = b"") -> bytes:
    return (
        b"From: Supplier <orders@supplier.example>\r\n"
        b"To: buyer@distributor.example\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Message-ID: <" + subject.hex().encode()[:40] + b"@supplier.example>\r\n"
        + headers
        + b"\r\n"
        + body
    )


PLAIN = _message(b"Order 4711 confirmed", b"Your order 4711 ships on Monday.\r\n")
# Raw 8-bit (Latin-1) header bytes, no RFC 2047; a Windows-1252 body that is not valid UTF-8.
EIGHT_BIT = _message(
    "Lieferverzögerung Bestellung 4712 – Größe".encode("cp1252"),
    "Die Lieferung verzögert sich um 3 Wochen. Grüße, Jürgen Müller – 12 €\r\n".encode("cp1252"),
    headers=b"Content-Type: text/plain; charset=windows-1252\r\nContent-Transfer-Encoding: 8bit\r\n"
    b"X-Contact: J\xfcrgen M\xfcller\r\n",
)
# ~2 MB: a base64 attachment-sized body, CRLF lines of 76 characters.
_LINE = b"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\r\n"
LARGE = _message(b"Price list 2025 (large)", _LINE * (2 * 1024 * 1024 // len(_LINE) + 1))


def test_messages_round_trip_byte_for_byte_by_uid(server):
    assert len(LARGE) > 2 * 1024 * 1024
    with pytest.raises(UnicodeDecodeError):
        EIGHT_BIT.decode("utf-8")

    uids = [server.append(PLAIN), *server.append_many([EIGHT_BIT, LARGE])]
    assert uids == sorted(uids) and len(set(uids)) == 3
    sent = dict(zip(uids, [PLAIN, EIGHT_BIT, LARGE]))

    with server.client() as c:
        c.select_folder("INBOX")
        assert c.search() == uids
        got = c.fetch(uids, [b"RFC822.SIZE", b"BODY.PEEK[]"])
        assert sorted(got) == uids
        for uid, raw in sent.items():
            assert got[uid][b"RFC822.SIZE"] == len(raw)
            assert got[uid][b"BODY[]"] == raw
        flags = c.get_flags(uids)
    # BODY.PEEK[] must not mark anything read, neither in that session nor for a new one.
    assert all(b"\\Seen" not in f for f in flags.values()), flags
    assert server.flags() == {uid: frozenset() for uid in uids}


def test_body_fetch_without_peek_does_set_seen(server):
    """The control for the PEEK check above: a plain BODY[] fetch marks the message read."""
    first, second = server.append_many([PLAIN, EIGHT_BIT])
    with server.client() as c:
        c.select_folder("INBOX")
        assert c.fetch([first], [b"BODY[]"])[first][b"BODY[]"] == PLAIN
    assert server.flags() == {first: frozenset({"\\Seen"}), second: frozenset()}


def test_append_stores_flags_and_folders(server):
    server.create_folder("Suppliers")
    uid = server.append(PLAIN, folder="Suppliers", flags=[r"\Seen", r"\Flagged"])
    assert server.flags("Suppliers") == {uid: frozenset({"\\Seen", "\\Flagged"})}
    assert server.flags("INBOX") == {}


@pytest.mark.parametrize("folder", ["INBOX", "Suppliers"])
def test_reset_uidvalidity_keeps_messages_under_new_uids(server, folder):
    if folder != "INBOX":
        server.create_folder(folder)
    old_uids = server.append_many([PLAIN, EIGHT_BIT, LARGE], folder=folder)
    with server.client() as c:
        c.select_folder(folder)
        c.add_flags([old_uids[1]], [b"\\Seen"])
    before = server.uidvalidity(folder)

    new_validity = server.reset_uidvalidity(folder)

    assert new_validity == server.uidvalidity(folder)
    assert new_validity > before
    flags = server.flags(folder)
    assert len(flags) == 3
    new_uids = sorted(flags)
    assert min(new_uids) > max(old_uids)  # an old UID never names a message any more
    assert [flags[u] for u in new_uids] == [frozenset(), frozenset({"\\Seen"}), frozenset()]
    with server.client() as c:
        c.select_folder(folder, readonly=True)
        bodies = c.fetch(new_uids, [b"BODY.PEEK[]"])
    assert [bodies[u][b"BODY[]"] for u in new_uids] == [PLAIN, EIGHT_BIT, LARGE]
    # Twice in a row (within the same second) still changes it.
    assert server.reset_uidvalidity(folder) > new_validity


def test_open_session_is_dropped_when_the_folder_is_rebuilt(server):
    """Dovecot 2.3 ends a session whose selected folder changed UIDVALIDITY ("IMAP session state
    is inconsistent, please relogin"): the poller must reconnect, then sees the new value."""
    server.append(PLAIN)
    c = server.client()
    try:
        old = c.select_folder("INBOX")[b"UIDVALIDITY"]
        new = server.reset_uidvalidity()
        with pytest.raises(imapclient.exceptions.IMAPClientAbortError):
            c.noop()
    finally:
        c.shutdown()
    with server.client() as again:
        assert again.select_folder("INBOX")[b"UIDVALIDITY"] == new != old


def test_line_endings_are_served_as_crlf(server):
    """Dovecot serves every bare LF and lone CR as CRLF (RFC822.SIZE counts the CRLFs): hash and
    compare what you fetch, not what a supplier's mailer sent."""
    uid = server.append(b"Subject: bare LF\n\nline 1\nline 2 \r line 3\n")
    with server.client() as c:
        c.select_folder("INBOX", readonly=True)
        got = c.fetch([uid], [b"RFC822.SIZE", b"BODY.PEEK[]"])[uid]
    assert got[b"BODY[]"] == b"Subject: bare LF\r\n\r\nline 1\r\nline 2 \r\n line 3\r\n"
    assert got[b"RFC822.SIZE"] == len(got[b"BODY[]"])


def test_wrong_password_is_refused(server):
    with imapclient.IMAPClient(server.host, server.port, ssl=False, timeout=10) as c:
        with pytest.raises(imapclient.exceptions.LoginError):
            c.login(server.user, server.password + "x")


def _port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def test_two_servers_run_at_once_and_stop(tmp_path):
    _require_dovecot()
    started = time.monotonic()
    with Dovecot(tmp_path / "a") as a, Dovecot(tmp_path / "b", user="other", password="pw2") as b:
        startup = time.monotonic() - started
        assert a.port != b.port
        assert a.host == b.host == "127.0.0.1"
        a.append(PLAIN)
        b.append_many([EIGHT_BIT, LARGE])
        assert len(a.flags()) == 1 and len(b.flags()) == 2
        with pytest.raises(imapclient.exceptions.LoginError):
            with imapclient.IMAPClient(a.host, a.port, ssl=False, timeout=10) as c:
                c.login(b.user, b.password)  # separate passwd-files
        ports, run_dirs = (a.port, b.port), (a.run_dir, b.run_dir)
    assert startup < 4, f"two servers took {startup:.2f}s to start"
    assert not any(_port_open(p) for p in ports)
    assert not any(d.exists() for d in run_dirs)
    assert "starting up for imap" in (tmp_path / "a" / "dovecot.log").read_text()


def test_failed_start_reports_the_log(tmp_path, monkeypatch):
    _require_dovecot()
    server = Dovecot(tmp_path)
    config_text = server._config_text
    monkeypatch.setattr(server, "_config_text", lambda: config_text() + "no_such_setting = 1\n")
    with pytest.raises(RuntimeError, match="no_such_setting") as failure:
        server.start()
    assert "Dovecot exited with status" in str(failure.value)
    assert server.run_dir is None  # cleaned up
