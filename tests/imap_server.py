"""A real IMAP server for the tests: Debian's Dovecot, run in the foreground with its own config.

    reason = dovecot_available()          # None, or why it cannot run (skip/fail with it)
    with Dovecot(tmp_path) as server:     # 127.0.0.1, a free port, user "buyer" / "s3cret"
        uid = server.append(raw_bytes)    # set-up goes through IMAP itself
        ...                               # point the code under test at server.host/.port
        server.reset_uidvalidity()        # the mailbox is "rebuilt": new UIDVALIDITY, new UIDs

Nothing is installed here: `make test-deps` installs `dovecot-imapd`. Nothing of the system's
Dovecot is used or touched either: `dovecot -F -c <our config>` runs with its own base_dir
(sockets, pid), state_dir, log file, passwd-file and mail directory, plaintext IMAP only
(`ssl = no`, cleartext LOGIN/AUTH PLAIN allowed), and is stopped (SIGTERM, wait) by `stop()`.

Files: the config, the log (`dovecot.log`) and Dovecot's stderr stay in `tmp_path` for a
post-mortem. Sockets, passwd-file and mail live in a short-lived directory under the system temp
dir (unix socket paths are limited to ~107 bytes, and pytest's `/tmp/pytest-of-root` is mode 0700,
which Dovecot's unprivileged processes could not enter); it is removed by `stop()`.

Running as root (CI, these machines): Dovecot refuses mail access as uid 0, so the mail user is
`nobody` (or `dovecot`), which owns the mail directory; Dovecot's own processes use its usual
`dovecot` / `dovenull` users. As an ordinary user, every process and the mail run as that user.
"""

from __future__ import annotations

import functools
import grp
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable
from pathlib import Path

import imapclient

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_GRACE = 0.5
_SBIN = "/usr/sbin/dovecot"
_IMAP_BINARIES = ("/usr/lib/dovecot/imap", "/usr/libexec/dovecot/imap")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([0-9:,]+)\]")
_INSTALL_HINT = "Run `make test-deps` (it installs Debian's dovecot-imapd), then the tests again."


def dovecot_binary() -> str | None:
    """The `dovecot` binary: on PATH, or Debian's /usr/sbin/dovecot (not on a user's PATH)."""
    found = shutil.which("dovecot")
    if found:
        return found
    return _SBIN if os.access(_SBIN, os.X_OK) else None


@functools.lru_cache(maxsize=1)
def dovecot_version() -> str:
    """`dovecot --version`, e.g. "2.3.19.1 (9b53102964)" on Debian 12."""
    binary = dovecot_binary()
    if binary is None:
        return ""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def dovecot_available() -> str | None:
    """None when Dovecot with IMAP can run here, else the reason (for pytest.skip / pytest.fail)."""
    if dovecot_binary() is None:
        return f"Dovecot is not installed (no `dovecot` on PATH nor at {_SBIN}). {_INSTALL_HINT}"
    if not any(os.access(p, os.X_OK) for p in _IMAP_BINARIES):
        return f"Dovecot is installed but not its IMAP server (dovecot-imapd). {_INSTALL_HINT}"
    version = dovecot_version()
    if not re.match(r"2\.[23]\.", version):
        # 2.4 renamed and restructured most settings (mail_location, passdb, auth_allow_cleartext).
        return f"tests/imap_server.py writes a Dovecot 2.3 config; this is Dovecot {version or '?'}"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _first_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError(f"none of the users {names} exists; is Dovecot installed? {_INSTALL_HINT}")


def _uid_set(text: bytes) -> list[int]:
    uids: list[int] = []
    for part in text.decode().split(","):
        lo, _, hi = part.partition(":")
        uids.extend(range(int(lo), int(hi or lo) + 1))
    return uids


def _kill(proc: subprocess.Popen) -> None:
    """SIGKILL the whole process group; also run at garbage collection / interpreter exit."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


class Dovecot:
    """One Dovecot IMAP server with one user, for one test. Use it as a context manager."""

    def __init__(self, tmp_path: Path | str, user: str = "buyer", password: str = "s3cret"):
        if not re.fullmatch(r"[A-Za-z0-9._-]+", user) or not re.fullmatch(r"[^:\s]+", password):
            raise ValueError("user: [A-Za-z0-9._-]+; password: non-empty, no ':' or whitespace")
        self.host = HOST
        self.port = 0
        self.user = user
        self.password = password
        self.dir = Path(tmp_path)  # config, log, stderr
        self.config = self.dir / "dovecot.conf"
        self.log = self.dir / "dovecot.log"
        self.stderr = self.dir / "dovecot.stderr"
        self.run_dir: Path | None = None  # sockets, passwd-file, mail (removed by stop())
        self._proc: subprocess.Popen | None = None
        self._finalizer: weakref.finalize | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def mail_dir(self) -> Path:
        """The user's Maildir (read it only for debugging: Dovecot owns it)."""
        assert self.run_dir is not None, "not started"
        return self.run_dir / "mail" / self.user / "Maildir"

    def start(self, timeout: float = START_TIMEOUT) -> None:
        """Start Dovecot; return once the IMAP greeting arrives, else RuntimeError with the log."""
        if self._proc is not None:
            raise RuntimeError("already started")
        reason = dovecot_available()
        if reason:
            raise RuntimeError(reason)
        self.dir.mkdir(parents=True, exist_ok=True)
        self._prepare_run_dir()
        for attempt in range(3):  # the free port may be taken between picking and binding it
            self.port = _free_port()
            self.config.write_text(self._config_text())
            try:
                self._spawn_and_wait(timeout)
                return
            except RuntimeError as exc:
                self._terminate()
                if "Address already in use" not in str(exc) or attempt == 2:
                    self.stop()
                    raise

    def restart(self, timeout: float = START_TIMEOUT) -> None:
        """Terminate Dovecot (every client connection drops) and start it again on the same port
        with the same mail, as an administrator's restart does."""
        if self._proc is None:
            raise RuntimeError("not started")
        self._terminate()
        self._spawn_and_wait(timeout)

    def stop(self) -> None:
        """Terminate Dovecot and its processes (client connections drop), then clean up."""
        self._terminate()
        if self.run_dir is not None:
            shutil.rmtree(self.run_dir, ignore_errors=True)
            self.run_dir = None

    def _terminate(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            # SIGTERM to the whole group (the master alone takes ~1 s, and its children outlive it),
            # a moment to exit, then SIGKILL for stragglers. Zombies that were reparented to init
            # may linger until it reaps them; they hold no ports or files.
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(STOP_GRACE)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
            _kill(proc)
            if self._finalizer is not None:
                self._finalizer.detach()
                self._finalizer = None

    def log_tail(self, lines: int = 30) -> str:
        """The end of Dovecot's stderr and log file."""
        text = ""
        for path in (self.stderr, self.log):
            if path.exists():
                text += path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _prepare_run_dir(self) -> None:
        root = os.geteuid() == 0
        mail_user = _first_user("nobody", "dovecot") if root else pwd.getpwuid(os.geteuid())
        self._uid, self._gid = mail_user.pw_uid, mail_user.pw_gid
        internal = _first_user("dovecot", "nobody") if root else mail_user
        self._internal_user = internal.pw_name
        self._internal_group = grp.getgrgid(internal.pw_gid).gr_name
        self._login_user = _first_user("dovenull", "nobody").pw_name if root else mail_user.pw_name
        self.run_dir = Path(tempfile.mkdtemp(prefix="dovecot-"))
        self.run_dir.chmod(0o755)  # Dovecot's unprivileged processes enter it
        mail = self.run_dir / "mail"
        mail.mkdir(mode=0o700)
        os.chown(mail, self._uid, self._gid)
        self._passwd = self.run_dir / "users"
        home = mail / self.user
        self._passwd.write_text(
            f"{self.user}:{{PLAIN}}{self.password}:{self._uid}:{self._gid}::{home}::\n"
        )
        self._passwd.chmod(0o644)  # read by the auth process, which runs as the internal user

    def _config_text(self) -> str:
        assert self.run_dir is not None
        run = self.run_dir
        return f"""\
# Written by tests/imap_server.py for one test; run as `dovecot -F -c {self.config}`.
base_dir = "{run}/base"
state_dir = "{run}/state"
instance_name = dovecot-test-{self.port}
log_path = "{self.log}"
auth_verbose = yes
auth_failure_delay = 0
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {self._internal_user}
default_internal_group = {self._internal_group}
default_login_user = {self._login_user}
first_valid_uid = {min(self._uid, 500)}
first_valid_gid = {min(self._gid, 1)}
mail_location = "maildir:{run}/mail/%u/Maildir"
mail_fsync = never
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self._passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self._passwd}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""

    def _spawn_and_wait(self, timeout: float) -> None:
        for path in (self.log, self.stderr):
            path.unlink(missing_ok=True)
        with open(self.stderr, "wb") as err:
            self._proc = subprocess.Popen(
                [dovecot_binary(), "-F", "-c", str(self.config)],
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: no terminal signals; killpg on stop
            )
        self._finalizer = weakref.finalize(self, _kill, self._proc)
        deadline = time.monotonic() + timeout
        problem = f"no greeting within {timeout:.0f}s"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                problem = f"Dovecot exited with status {self._proc.returncode}"
                break
            if self.log.exists() and "Fatal:" in self.log.read_text(errors="replace"):
                problem = "Dovecot logged a fatal error"  # it would retry that service, throttled
                break
            try:
                with socket.create_connection((self.host, self.port), timeout=2) as sock:
                    greeting = sock.makefile("rb").readline()
                    if greeting.startswith(b"* OK"):
                        sock.sendall(b"a LOGOUT\r\n")
                        return
                    problem = f"unexpected greeting {greeting!r}"
            except OSError as exc:
                problem = f"no greeting within {timeout:.0f}s ({exc})"
            time.sleep(0.02)
        raise RuntimeError(
            f"Dovecot did not start on {self.host}:{self.port}: {problem}."
            f"\n--- {self.stderr} / {self.log} ---\n{self.log_tail()}"
        )

    # -- IMAP helpers for set-up and assertions -------------------------------------------------

    def client(self) -> imapclient.IMAPClient:
        """A logged-in plaintext IMAPClient (tz-aware INTERNALDATEs); `with ... as c:` logs out."""
        client = imapclient.IMAPClient(self.host, self.port, ssl=False, timeout=30)
        client.normalise_times = False
        client.login(self.user, self.password)
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: Iterable[str | bytes] = ()) -> int:
        """Store one message as-is; returns its UID."""
        return self.append_many([raw], folder, flags)[0]

    def append_many(
        self, raws: Iterable[bytes], folder: str = "INBOX", flags: Iterable[str | bytes] = ()
    ) -> list[int]:
        """Store messages in order over one connection; returns their UIDs."""
        flags = tuple(flags)
        with self.client() as c:
            return [self._append(c, folder, raw, flags) for raw in raws]

    @staticmethod
    def _append(c: imapclient.IMAPClient, folder: str, raw: bytes, flags, msg_time=None) -> int:
        response = c.append(folder, raw, flags=flags, msg_time=msg_time)
        match = _APPENDUID.search(response or b"")
        if match:
            return _uid_set(match.group(2))[-1]
        return c.folder_status(folder, [b"UIDNEXT"])[b"UIDNEXT"] - 1  # server without UIDPLUS

    def create_folder(self, name: str) -> None:
        with self.client() as c:
            c.create_folder(name)

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as c:
            return c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]

    def flags(self, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """{uid: flags} of every message, read-only; without \\Recent (it depends on who looked)."""
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            uids = c.search()
            data = c.fetch(uids, [b"FLAGS"]) if uids else {}
        return {
            uid: frozenset(f.decode() for f in item[b"FLAGS"] if f != b"\\Recent")
            for uid, item in data.items()
        }

    def reset_uidvalidity(self, folder: str = "INBOX") -> int:
        """Rebuild the folder as a server may: greater UIDVALIDITY, new UIDs, same messages.

        Works for INBOX too (which IMAP cannot delete): `doveadm mailbox update --uid-validity`
        sets max(old + 1, now), then every message is expunged and appended back (same bytes,
        flags and INTERNALDATE), so the new UIDs are above every old one. Dovecot drops a session
        that has the folder selected. Returns the new UIDVALIDITY.
        """
        with self.client() as c:
            old = c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        new = max(old + 1, int(time.time()))
        argv = [doveadm, "-c", str(self.config), "mailbox", "update", "-u", self.user]
        result = subprocess.run(
            [*argv, "--uid-validity", str(new), folder], capture_output=True, text=True, timeout=30
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {result.stderr.strip()}")
        with self.client() as c:
            c.select_folder(folder)
            uids = c.search()
            saved = c.fetch(uids, [b"BODY.PEEK[]", b"FLAGS", b"INTERNALDATE"]) if uids else {}
            if uids:
                c.delete_messages(uids)
                c.expunge()
            for uid in sorted(saved):
                item = saved[uid]
                kept = tuple(f for f in item[b"FLAGS"] if f not in (b"\\Recent", b"\\Deleted"))
                self._append(c, folder, item[b"BODY[]"], kept, item[b"INTERNALDATE"])
            c.unselect_folder()
            now = c.folder_status(folder, [b"UIDVALIDITY", b"MESSAGES"])
        if now[b"UIDVALIDITY"] != new or now[b"MESSAGES"] != len(saved):
            raise RuntimeError(f"reset_uidvalidity({folder!r}) failed: {old} -> {now}")
        return new
