"""``OdooStandin``: a real HTTP server on 127.0.0.1 that answers like Odoo 16, 17 or 18.

It runs ``http.server.ThreadingHTTPServer`` in a background thread and hands every request to
:class:`~tests.odoo_standin.routes.OdooApp`. Tests seed and inspect the in-memory database
through :meth:`OdooStandin.add`, :meth:`~OdooStandin.records` and :meth:`~OdooStandin.read`,
and make the next ``/jsonrpc`` requests fail with :meth:`OdooStandin.fail_next`.
"""

from __future__ import annotations

import collections
import json
import logging
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from . import activities, demo, orm, purchasing
from .records import Env, Row, Store
from .routes import HTML_TYPE, OdooApp, Reply, SeenRequest
from .schema import Fields, load_fields
from .versions import VersionProfile, profile

log = logging.getLogger(__name__)

#: where the recorded exchanges live on these machines and in CI (``../shared`` of the repo)
WIRE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "odoo-wire"
FAILURE_KINDS = ("http500", "timeout", "connection")
INTERNAL_ERROR_PAGE = (
    "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n"
    "<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable "
    "to complete your request. Either the server is overloaded or there is an error in the "
    "application.</p>\n"
)


@dataclass(frozen=True)
class Failure:
    """One injected failure of a ``/jsonrpc`` request."""

    kind: str
    seconds: float
    method: str | None = None  # only a call of this model method (e.g. "create"); None: any request


class OdooStandin:
    """An Odoo stand-in speaking the JSON-RPC and web-client protocols of one version.

    >>> with OdooStandin(version="17.0", db="triage", users={"admin": "admin"}) as odoo:
    ...     pid = odoo.add("res.partner", {"name": "Acme GmbH"})

    ``users`` maps logins to passwords (``admin`` is uid 2, ``demo`` uid 6, others 100+).
    ``demo_data=False`` starts without the demo purchasing data (the company, users, activity
    types, ``ir.model`` rows and external ids are always there). ``wire_dir`` is where the recordings are (their
    ``fields_get`` answers become the field definitions); ``None`` or a missing folder means
    the small built-in field sets. ``stall_seconds`` is how long a ``timeout`` failure stalls.
    """

    def __init__(self, version: str = "17.0", db: str = "triage", users: dict[str, str] | None = None,
                 *, demo_data: bool = True, wire_dir: Path | str | None = WIRE_DIR,
                 stall_seconds: float = 6.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.profile: VersionProfile = profile(version)
        self.db = db
        self.stall_seconds = stall_seconds
        folder = Path(wire_dir) if wire_dir is not None else None
        self.store = Store(self.profile, load_fields(self.profile, folder))
        for behaviour in (orm, activities, purchasing):
            behaviour.install(self.store)
        demo.load_base(self.store, users if users is not None else {"admin": "admin", "demo": "demo"})
        if demo_data:
            demo.load_demo(self.store)
        self.app = OdooApp(self.store, db, lambda: self.url)
        self._failures: collections.deque[Failure] = collections.deque()
        self._stopping = threading.Event()
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> OdooStandin:
        """Serve in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"odoo-standin-{self.port}", daemon=True)
            self._thread.start()
            log.debug("Odoo %s stand-in listening on %s", self.profile.series, self.url)
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._stopping.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> OdooStandin:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- where ----------------------------------------------------------------------------------
    @property
    def host(self) -> str:
        """The address the server listens on."""
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The (free) port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"

    @property
    def version(self) -> str:
        """The Odoo series spoken ("16.0", "17.0", "18.0")."""
        return self.profile.series

    # -- data -------------------------------------------------------------------------------------
    def add(self, model: str, values: dict[str, Any], *, uid: int = demo.ADMIN_UID) -> int:
        """Insert a record (with defaults, no side effects); returns its id.

        ``values`` may carry an explicit ``"id"``, many2one values as ids or ``[id, name]``
        and x2many values as id lists or command triples. Required fields are not enforced.
        """
        with self.app.lock:
            return orm.create_record(self._env(uid), model, values, strict=False)

    def write(self, model: str, ids: list[int], values: dict[str, Any], *, uid: int = demo.ADMIN_UID) -> None:
        """Update records as a client ``write`` would (without access checks)."""
        with self.app.lock:
            orm.write_records(self._env(uid), model, list(ids), values)

    def records(self, model: str) -> dict[int, Row]:
        """The live raw records of ``model`` (many2one as ids; computed fields absent)."""
        return self.store.table(model).rows

    def read(self, model: str, ids: list[int], fields: list[str] | None = None) -> list[dict[str, Any]]:
        """Records as ``read`` answers them (computed fields and display names included)."""
        with self.app.lock:
            return orm.read(self._env(demo.ADMIN_UID), model, list(ids), fields)

    def fields(self, model: str) -> Fields:
        """The field definitions (``fields_get``) of ``model``."""
        return self.store.table(model).fields

    def models(self) -> list[str]:
        """Every model this stand-in serves."""
        return sorted(self.store.tables)

    def set_next_id(self, model: str, next_id: int) -> None:
        """Make the next record created in ``model`` get ``next_id`` (a database sequence)."""
        with self.app.lock:
            self.store.table(model).next_id = next_id

    def _env(self, uid: int) -> Env:
        return Env(self.store, uid if self.store.exists("res.users", uid) else 1)

    # -- observing and breaking -----------------------------------------------------------------
    @property
    def requests(self) -> list[SeenRequest]:
        """Every request seen: ``(path, service, method, model, model_method)`` tuples."""
        return self.app.requests

    def fail_next(self, count: int = 1, kind: str = "http500", *, seconds: float | None = None,
                  method: str | None = None) -> None:
        """Make the next ``count`` ``/jsonrpc`` requests fail (with ``method``: the next calls of
        that model method, e.g. ``create``, other requests pass).

        ``http500`` answers HTTP 500 with werkzeug's error page; ``timeout`` stalls
        ``seconds`` (default :attr:`stall_seconds`) before handling the request and answering
        (usually to a client that gave up; the request still takes effect, as on a slow
        server); ``connection`` closes the socket without answering.
        """
        if kind not in FAILURE_KINDS:
            raise ValueError(f"kind must be one of {FAILURE_KINDS}, not {kind!r}")
        delay = self.stall_seconds if seconds is None else seconds
        with self.app.lock:
            self._failures.extend(Failure(kind, delay, method) for _ in range(count))

    def recover(self) -> None:
        """Drop the failures still queued by :meth:`fail_next`: the server answers normally again."""
        with self.app.lock:
            self._failures.clear()

    def _take_failure(self, path: str, body: bytes) -> Failure | None:
        with self.app.lock:
            if path != "/jsonrpc" or not self._failures:
                return None
            wanted = self._failures[0].method
            if wanted is not None and _model_method(body) != wanted:
                return None
            return self._failures.popleft()


def _model_method(body: bytes) -> str | None:
    """The model method of an ``object.execute_kw`` request body (None for anything else)."""
    try:
        params = json.loads(body or b"{}").get("params") or {}
    except (ValueError, AttributeError):
        return None
    args = params.get("args") or []
    return args[4] if params.get("method") == "execute_kw" and len(args) > 4 else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler],
                 standin: OdooStandin) -> None:
        super().__init__(address, handler)
        self.standin = standin


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3.11"

    def do_POST(self) -> None:  # noqa: N802 - the name http.server dispatches to
        self._serve("POST")

    def do_GET(self) -> None:  # noqa: N802
        self._serve("GET")

    def _serve(self, method: str) -> None:
        standin = self.server.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        failure = standin._take_failure(path, body)
        if failure is not None and failure.kind != "timeout":
            standin.app.record(path, body)
        if failure is not None and failure.kind == "connection":
            self._drop_connection()
            return
        if failure is not None and failure.kind == "http500":
            self._send(Reply(500, INTERNAL_ERROR_PAGE.encode(), HTML_TYPE))
            return
        if failure is not None and standin._stopping.wait(failure.seconds):
            return
        self._send(standin.app.handle(method, path, self.headers.get("Cookie"), body))

    def _drop_connection(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            for cookie in reply.cookies:
                self.send_header("Set-Cookie", cookie)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("client went away before the answer to %s", self.path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.debug("%s %s", self.address_string(), format % args)
