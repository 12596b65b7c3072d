"""The FastAPI app factory. Nothing happens at import: ``create_app(settings)`` builds the app,
its lifespan opens the store (migrations applied) and closes it."""

from __future__ import annotations

import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from triage import __version__
from triage.api.routes import cases, classify, holds, policy, quarantine, signals, system, webhooks
from triage.api.runtime import Runtime
from triage.config import Settings, load_settings
from triage.errors import ConfigError, ModelError, PolicyError, TriageError

DESCRIPTION = """AI-assisted exception triage for distributors that run Odoo.

Authenticate with `Authorization: Bearer <key>` (create keys with `triage apikey create`).
Scopes: **ingest** (post signals, classify), **review** (cases, hold queue), **admin** (all).
`POST /v1/signals` also accepts webhooks signed with
`X-Triage-Signature: t=<unix time>,sha256=<hex HMAC-SHA256 of "t.body">` (five-minute window).
"""


class BodyLimit:
    """Refuses request bodies above the limit with 413, whether or not Content-Length is sent."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            return await _too_large(self.limit)(scope, receive, send)
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counted, send)
        except _BodyTooLarge:
            await _too_large(self.limit)(scope, receive, send)


class _BodyTooLarge(Exception):
    pass


def _too_large(limit: int):
    return JSONResponse({"detail": f"request body above the limit of {limit} bytes"}, status_code=413)


def create_app(settings: Settings | None = None, runtime: Runtime | None = None) -> FastAPI:
    settings = settings or (runtime.settings if runtime else load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.runtime = runtime or Runtime.start(settings)
        try:
            yield
        finally:
            if runtime is None:
                app.state.runtime.close()

    app = FastAPI(title="triage", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  openapi_tags=[{"name": "signals"}, {"name": "classify"}, {"name": "cases"},
                                {"name": "hold queue"}, {"name": "policy"}, {"name": "quarantine"}, {"name": "webhooks"},
                                {"name": "system"}])
    if runtime is not None:
        app.state.runtime = runtime
    for module in (signals, classify, cases, holds, policy, quarantine, webhooks, system):
        app.include_router(module.router)

    @app.exception_handler(TriageError)
    async def triage_error(request: Request, exc: TriageError):
        status = 503 if isinstance(exc, ModelError) else 500 if isinstance(exc, (PolicyError, ConfigError)) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.middleware("http")
    async def observe(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        request.app.state.runtime.metrics.request_latency.labels(
            request.method, getattr(route, "path", "unmatched"), str(response.status_code)
        ).observe(time.perf_counter() - started)
        return response

    app.add_middleware(BodyLimit, limit=settings.limits.request_bytes)
    return app
