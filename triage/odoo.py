"""The Odoo gateway: the only module that imports odoorpc.

``OdooGateway`` is the small surface the rest of triage uses (search/read/create/write/call,
an XML id, a model's id, the server version), so a JSON-2 adapter for Odoo 19+ can sit beside
``RpcGateway``, which speaks JSON-RPC through odoorpc.

Over ``/jsonrpc`` odoorpc sends the credentials with every call: there is no session to renew.
Foreign errors are translated here (``triage.errors``):

- ``OdooUnavailable`` (retryable): connection refused or reset, timeouts, HTTP 5xx;
- ``OdooAuthError`` (not retryable): a wrong database, login, password or API key;
- ``OdooRejected`` (not retryable): Odoo answered with its error object (ValidationError,
  UserError, AccessError, MissingError, ...); ``.name`` is Odoo's exception name.

Reads that fail as unavailable are retried with exponential backoff (``attempts`` in all)
before the error is raised. Writes (create, write, methods) are never retried here: a write whose
answer was lost may have happened, so the caller decides (the activity writer searches for its
reference before it tries again).
"""

from __future__ import annotations

import http.client
import logging
import socket
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, overload
from urllib.parse import urlsplit

from triage.errors import ConfigError, OdooAuthError, OdooError, OdooRejected, OdooUnavailable

log = logging.getLogger(__name__)
logging.getLogger("odoorpc").setLevel(logging.WARNING)  # its debug log prints execute_kw args, password included

T = TypeVar("T")
Domain = list[Any]
PAGE = 200


@dataclass(frozen=True)
class Endpoint:
    """Where Odoo is, from ``TRIAGE_ODOO_URL``: the scheme decides jsonrpc or jsonrpc+ssl."""

    host: str
    port: int
    protocol: str

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError(f"TRIAGE_ODOO_URL must be http(s)://host[:port], not {url!r}")
        ssl = parts.scheme == "https"
        return cls(host=parts.hostname, port=parts.port or (443 if ssl else 80),
                   protocol="jsonrpc+ssl" if ssl else "jsonrpc")


class OdooGateway(Protocol):
    """What triage asks of Odoo; every method raises only ``OdooError`` subclasses."""

    version: tuple[int, int]

    def search_read(self, model: str, domain: Domain, fields: list[str], *, order: str | None = None,
                    limit: int | None = None, offset: int = 0,
                    context: dict[str, Any] | None = None) -> list[dict[str, Any]]: ...

    def search_count(self, model: str, domain: Domain) -> int: ...

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict[str, Any]]: ...

    @overload
    def create(self, model: str, values: dict[str, Any]) -> int: ...

    @overload
    def create(self, model: str, values: list[dict[str, Any]]) -> list[int]: ...

    def write(self, model: str, ids: list[int], values: dict[str, Any]) -> bool: ...

    def call(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any: ...

    def xml_id(self, xml_id: str) -> int | None: ...

    def model_id(self, model: str) -> int: ...


def pages(gateway: OdooGateway, model: str, domain: Domain, fields: list[str], *, order: str = "id",
          page: int = PAGE) -> Iterator[dict[str, Any]]:
    """Every record matching ``domain``, fetched ``page`` at a time with explicit fields."""
    offset = 0
    while True:
        rows = gateway.search_read(model, domain, fields, order=order, limit=page, offset=offset)
        yield from rows
        if len(rows) < page:
            return
        offset += page


_UNAVAILABLE = (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException)
_AUTH = ("odoo.exceptions.AccessDenied", "psycopg2.OperationalError")


def translate(exc: BaseException) -> OdooError:
    """The project's error for anything odoorpc or the network raised."""
    import odoorpc

    if isinstance(exc, OdooError):
        return exc
    if isinstance(exc, urllib.error.HTTPError):
        if exc.code >= 500 or exc.code in (408, 429):
            return OdooUnavailable(f"Odoo answered HTTP {exc.code}")
        return OdooRejected(f"Odoo answered HTTP {exc.code}", name=f"HTTP {exc.code}")
    if isinstance(exc, _UNAVAILABLE):
        reason = getattr(exc, "reason", exc)
        return OdooUnavailable(f"Odoo cannot be reached: {type(reason).__name__}: {reason}")
    if isinstance(exc, odoorpc.error.RPCError):
        if not isinstance(exc.info, dict) and "login" in str(exc).lower():  # common.login answered false
            return OdooAuthError(f"Odoo refused the credentials: {exc}")
        info = exc.info if isinstance(exc.info, dict) else {}
        data = info.get("data") or {}
        name = data.get("name") or info.get("message") or "RPCError"
        message = data.get("message") or str(exc)
        if name in _AUTH:
            return OdooAuthError(f"Odoo refused the credentials ({name.rsplit('.', 1)[-1]}): {message}")
        return OdooRejected(f"Odoo refused the call: {name.rsplit('.', 1)[-1]}: {message}", name=name)
    if isinstance(exc, odoorpc.error.InternalError):
        if "login" in str(exc).lower() or "password" in str(exc).lower():
            return OdooAuthError(f"Odoo refused the credentials: {exc}")
        return OdooRejected(f"odoorpc: {exc}", name="InternalError")
    if isinstance(exc, ValueError):  # odoorpc answers a non-JSON page (a proxy's error page) so
        return OdooUnavailable(f"Odoo answered something that is not JSON-RPC: {exc}")
    raise exc


class RpcGateway:
    """``OdooGateway`` over JSON-RPC with odoorpc; connects (and logs in) on first use."""

    def __init__(self, url: str, db: str, login: str, password: str, *, timeout: float = 30.0,
                 attempts: int = 4, backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep):
        if not (db and login and password):
            raise ConfigError("Odoo needs TRIAGE_ODOO_DB, TRIAGE_ODOO_USER and TRIAGE_ODOO_PASSWORD")
        self.endpoint = Endpoint.parse(url)
        self.db, self.login, self._password = db, login, password
        self.timeout, self.attempts, self.backoff, self._sleep = timeout, max(1, attempts), backoff, sleep
        self._odoo = None
        self._version: tuple[int, int] = (0, 0)
        self._xml_ids: dict[str, int | None] = {}
        self._model_ids: dict[str, int] = {}

    @classmethod
    def from_settings(cls, odoo_settings, **options) -> RpcGateway:
        if not odoo_settings.url:
            raise ConfigError("TRIAGE_ODOO_URL is not set")
        password = odoo_settings.password.get_secret_value() if odoo_settings.password else ""
        return cls(odoo_settings.url, odoo_settings.db or "", odoo_settings.user or "", password, **options)

    def _retrying(self, what: str, action: Callable[[], T]) -> T:
        delay = self.backoff
        for attempt in range(1, self.attempts + 1):
            try:
                return action()
            except Exception as exc:  # translated below; unknown errors re-raise from translate
                error = translate(exc)
                if not error.retryable or attempt == self.attempts:
                    raise error from exc
                log.warning("Odoo %s failed (%s); attempt %d of %d in %.1fs", what, error, attempt + 1,
                            self.attempts, delay)
                self._sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    @property
    def version(self) -> tuple[int, int]:
        """(major, minor) of the server; logs in first when needed."""
        self.connect()
        return self._version

    def connect(self):
        """The logged-in odoorpc client (made once, on first use)."""
        if self._odoo is None:
            self._odoo = self._retrying("login", self._login)
        return self._odoo

    def _login(self):
        import odoorpc

        odoo = odoorpc.ODOO(self.endpoint.host, protocol=self.endpoint.protocol, port=self.endpoint.port,
                            timeout=self.timeout)
        odoo.login(self.db, self.login, self._password)
        self._version = _parse_version(odoo.version)
        if self._version[0] >= 19:
            log.warning("Odoo %s deprecates JSON-RPC for its JSON-2 API; triage still uses JSON-RPC",
                        odoo.version)
        odoo.config["auto_context"] = True
        return odoo

    def _execute(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None,
                 *, retry: bool = True) -> Any:
        def action():
            return self.connect().execute_kw(model, method, args, kwargs or {})

        if retry:
            return self._retrying(f"{model}.{method}", action)
        odoo = self.connect()
        try:
            return odoo.execute_kw(model, method, args, kwargs or {})
        except Exception as exc:
            raise translate(exc) from exc

    def search_read(self, model, domain, fields, *, order=None, limit=None, offset=0, context=None):
        kwargs: dict[str, Any] = {"fields": fields, "offset": offset}
        if context:
            kwargs["context"] = context  # replaces the user's context odoorpc would add
        if order:
            kwargs["order"] = order
        if limit is not None:
            kwargs["limit"] = limit
        return self._execute(model, "search_read", [domain], kwargs)

    def search_count(self, model, domain):
        return int(self._execute(model, "search_count", [domain]))

    def read(self, model, ids, fields):
        return self._execute(model, "read", [list(ids)], {"fields": fields}) if ids else []

    def create(self, model, values):
        """A dict creates one record (its id); a list of dicts creates them all in one call, one
        transaction on the server (their ids, in order)."""
        created = self._execute(model, "create", [values], retry=False)
        if isinstance(values, list):
            return [int(i) for i in created]
        return created[0] if isinstance(created, list) else int(created)

    def write(self, model, ids, values):
        return bool(self._execute(model, "write", [list(ids), values], retry=False))

    def call(self, model, method, args, kwargs=None):
        return self._execute(model, method, args, kwargs, retry=False)

    def xml_id(self, xml_id: str) -> int | None:
        """The database id behind an XML id such as ``mail.mail_activity_data_todo``."""
        if xml_id not in self._xml_ids:
            module, _, name = xml_id.partition(".")
            if not name:
                raise ConfigError(f"{xml_id!r} is not an XML id (module.name)")
            rows = self.search_read("ir.model.data", [["module", "=", module], ["name", "=", name]], ["res_id"],
                                    limit=1)
            self._xml_ids[xml_id] = int(rows[0]["res_id"]) if rows else None
        return self._xml_ids[xml_id]

    def model_id(self, model: str) -> int:
        """``ir.model`` id of a model (what ``mail.activity.res_model_id`` takes)."""
        if model not in self._model_ids:
            rows = self.search_read("ir.model", [["model", "=", model]], ["id"], limit=1)
            if not rows:
                raise OdooRejected(f"Odoo has no model {model!r} (is its module installed?)", name="ir.model")
            self._model_ids[model] = int(rows[0]["id"])
        return self._model_ids[model]

    def close(self) -> None:
        self._odoo = None


def _parse_version(text: str | None) -> tuple[int, int]:
    """(major, minor) from a server version such as "17.0", "saas~17.2" or "18.0+e"."""
    digits = "".join(c if c.isdigit() or c == "." else " " for c in (text or "")).split()
    for part in digits:
        numbers = [int(n) for n in part.split(".") if n.isdigit()]
        if numbers:
            return numbers[0], numbers[1] if len(numbers) > 1 else 0
    return 0, 0
