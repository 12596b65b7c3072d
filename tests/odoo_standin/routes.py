"""The HTTP routes of the stand-in and the JSON-RPC services behind ``/jsonrpc``.

:class:`OdooApp` turns one request (path, cookie, body) into a :class:`Reply`:
``/web/webclient/version_info``, ``/jsonrpc`` (services ``common``, ``db``, ``object``), the
web-client endpoints ``/web/session/authenticate|get_session_info|destroy`` and
``/web/dataset/call_kw[/<model>/<method>]`` with their cookie handling, and an HTML 404 for
anything else. Errors are answered like Odoo: HTTP 200 with a JSON-RPC ``error`` object.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any, NamedTuple

from . import errors, orm
from .errors import OdooError
from .records import Env, Store
from .sessions import Session, SessionStore, session_cookie, session_info

log = logging.getLogger(__name__)

JSON_TYPE = "application/json; charset=utf-8"
HTML_TYPE = "text/html;charset=utf-8"
NOT_FOUND_PAGE = """<!DOCTYPE html>
<html>
    <head>
        <meta charset="utf-8"/>
        <title>Odoo</title>
    </head>
    <body>
        <div id="wrapwrap">
            <main>
                <h1 class="visually-hidden">Error 404</h1>
                <h2>We couldn't find the page you're looking for!</h2>
            </main>
        </div>
    </body>
</html>
"""


class SeenRequest(NamedTuple):
    """One request as :attr:`OdooStandin.requests` lists it."""

    path: str
    service: str | None
    method: str | None
    model: str | None
    model_method: str | None


@dataclass
class Reply:
    """What the HTTP layer sends back."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    cookies: list[str] = field(default_factory=list)


@dataclass
class Call:
    """One parsed request."""

    path: str
    params: dict[str, Any]
    request_id: Any
    session: Session | None


Route = Callable[[Call], tuple[Any, list[str]]]


class OdooApp:
    """The request handling of one stand-in (thread-safe: one request at a time)."""

    def __init__(self, store: Store, db: str, base_url: Callable[[], str]) -> None:
        self.store = store
        self.db = db
        self.sessions = SessionStore(store.profile)
        self.requests: list[SeenRequest] = []
        self.lock = threading.RLock()
        self._base_url = base_url
        self._routes: dict[str, Route] = {
            "/web/webclient/version_info": self._version_info,
            "/jsonrpc": self._jsonrpc,
            "/web/session/authenticate": self._authenticate,
            "/web/session/get_session_info": self._get_session_info,
            "/web/session/destroy": self._destroy,
            "/web/dataset/call_kw": self._call_kw,
        }

    # -- entry point ----------------------------------------------------------------------------
    def handle(self, method: str, path: str, cookie_header: str | None, raw_body: bytes) -> Reply:
        """Answer one HTTP request."""
        with self.lock:
            route = self._route(path) if method == "POST" else None
            payload = _json_body(raw_body)
            params = payload.get("params") if isinstance(payload.get("params"), dict) else {}
            self.record(path, raw_body)
            session = self.sessions.get(_cookie(cookie_header, "session_id"))
            if route is None:
                return self._not_found(session)
            call = Call(path, params, payload.get("id"), session)
            try:
                result, cookies = route(call)
            except OdooError as error:
                return _error_reply(call, error)
            except Exception as exc:  # like Odoo: any server-side exception becomes an error object
                log.exception("stand-in failure on %s", path)
                return _error_reply(call, OdooError(f"{type(exc).__module__}.{type(exc).__name__}", str(exc)))
            answer = {"jsonrpc": "2.0", "id": call.request_id}
            if result is not None:
                answer["result"] = result
            return Reply(200, _dump(answer), cookies=cookies)

    def record(self, path: str, raw_body: bytes) -> None:
        """Add a request to :attr:`requests` (also called for injected failures)."""
        payload = _json_body(raw_body)
        params = payload.get("params") if isinstance(payload.get("params"), dict) else {}
        with self.lock:
            self.requests.append(_seen(path, params))

    def _route(self, path: str) -> Route | None:
        if path.startswith("/web/dataset/call_kw/"):
            return self._call_kw
        return self._routes.get(path)

    def _not_found(self, session: Session | None) -> Reply:
        fresh = session or self.sessions.create()
        cookies = ["frontend_lang=en_US; Path=/"] + ([] if session else [session_cookie(fresh.sid)])
        return Reply(404, NOT_FOUND_PAGE.encode(), HTML_TYPE, cookies)

    # -- handshake ------------------------------------------------------------------------------
    def _version_info(self, call: Call) -> tuple[Any, list[str]]:
        if call.session is not None:
            return self.store.profile.version_info(), []
        fresh = self.sessions.create()
        return self.store.profile.version_info(), [session_cookie(fresh.sid)]

    # -- /jsonrpc ---------------------------------------------------------------------------------
    def _jsonrpc(self, call: Call) -> tuple[Any, list[str]]:
        service, method = call.params.get("service"), call.params.get("method")
        args = list(call.params.get("args") or [])
        services: dict[str, Callable[[str, list[Any]], Any]] = {
            "common": self._common, "db": self._db_service, "object": self._object}
        if service not in services:
            raise errors.key_error(str(service))
        return services[str(service)](str(method), args), []

    def _common(self, method: str, args: list[Any]) -> Any:
        if method == "version":
            return self.store.profile.version_info()
        if method in ("login", "authenticate"):
            db, login, password = (list(args) + [None, None, None])[:3]
            self._check_db(db)
            return self._uid_for(login, password) or False
        raise errors.key_error(f"exp_{method}")

    def _db_service(self, method: str, args: list[Any]) -> Any:
        if method == "list":
            return [self.db]
        if method == "db_exist":
            return bool(args) and args[0] == self.db
        if method == "server_version":
            return self.store.profile.series
        raise errors.access_denied()

    def _object(self, method: str, args: list[Any]) -> Any:
        if method not in ("execute", "execute_kw"):
            raise OdooError("builtins.NameError", f"Method not available {method}")
        if len(args) < 5:
            raise errors.type_error(f"{method}() missing required positional arguments")
        db, uid, password, model, model_method = args[:5]
        self._check_db(db)
        if not self._password_ok(uid, password):
            raise errors.access_denied()
        if not self.store.has_model(str(model)):
            raise errors.unknown_model(str(model))
        env = Env(self.store, uid)
        if method == "execute":
            return orm.call(env, model, str(model_method), args[5:], {})
        positional = args[5] if len(args) > 5 else []
        keywords = args[6] if len(args) > 6 and isinstance(args[6], dict) else {}
        return orm.call(env, model, str(model_method), positional, keywords)

    # -- authentication ---------------------------------------------------------------------------
    def _check_db(self, db: Any) -> None:
        if db != self.db:
            raise errors.operational_error(str(db))

    def _uid_for(self, login: Any, password: Any) -> int | None:
        for uid, row in self.store.table("res.users").rows.items():
            if row.get("login") == login and row.get("active", True) and row.get("password") == password:
                return uid
        return None

    def _password_ok(self, uid: Any, password: Any) -> bool:
        row = self.store.table("res.users").rows.get(uid) if isinstance(uid, int) else None
        return bool(row) and row.get("active", True) and row.get("password") == password

    # -- web client -------------------------------------------------------------------------------
    def _authenticate(self, call: Call) -> tuple[Any, list[str]]:
        params = call.params
        if params.get("db") != self.db:
            raise errors.access_error("Database not found.")
        uid = self._uid_for(params.get("login"), params.get("password"))
        if uid is None:
            raise errors.access_denied()
        if call.session is not None:
            self.sessions.drop(call.session.sid)
        session = self.sessions.create(uid, self.db, str(params.get("login")))
        return self._info(session), [session_cookie(session.sid)]

    def _get_session_info(self, call: Call) -> tuple[Any, list[str]]:
        session = self._logged_in(call)
        return self._info(session), [session_cookie(session.sid)]

    def _destroy(self, call: Call) -> tuple[Any, list[str]]:
        if call.session is not None:
            self.sessions.drop(call.session.sid)
        fresh = self.sessions.create()
        return None, ["cids=; Max-Age=0; Path=/", session_cookie(fresh.sid)]

    def _call_kw(self, call: Call) -> tuple[Any, list[str]]:
        session = self._logged_in(call)
        model, method = str(call.params.get("model")), str(call.params.get("method"))
        if not self.store.has_model(model):
            if self.store.profile.call_kw_unknown_model_not_found:
                raise errors.not_found()
            raise errors.key_error(model)
        args = call.params.get("args") or []
        kwargs = call.params.get("kwargs") or {}
        return orm.call(Env(self.store, session.uid or 0), model, method, args, kwargs), []

    def _logged_in(self, call: Call) -> Session:
        if call.session is None or call.session.uid is None:
            raise errors.session_expired()
        return call.session

    def _info(self, session: Session) -> dict[str, Any]:
        return session_info(self.store, session, self._base_url(), orm.is_admin(self.store, session.uid or 0))


def _error_reply(call: Call, error: OdooError) -> Reply:
    answer = {"jsonrpc": "2.0", "id": None if error.null_id else call.request_id, "error": error.to_error()}
    return Reply(200, _dump(answer))


def _json_body(raw_body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(raw_body or b"{}")
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}


def _cookie(header: str | None, name: str) -> str | None:
    if not header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed cookie header is ignored, as by werkzeug
        return None
    morsel = jar.get(name)
    return morsel.value if morsel else None


def _seen(path: str, params: dict[str, Any]) -> SeenRequest:
    if path == "/jsonrpc":
        args = params.get("args") or []
        object_call = params.get("service") == "object" and len(args) >= 5
        return SeenRequest(path, params.get("service"), params.get("method"),
                           args[3] if object_call else None, args[4] if object_call else None)
    if path.startswith("/web/dataset/call_kw"):
        return SeenRequest(path, None, None, params.get("model"), params.get("method"))
    return SeenRequest(path, None, None, None, None)


def _dump(answer: dict[str, Any]) -> bytes:
    return json.dumps(answer).encode("utf-8")
