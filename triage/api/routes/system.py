"""Health, readiness, metrics and model information."""

from __future__ import annotations

import datetime as dt
import time

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select, text

from triage.api.deps import PrincipalDep, RuntimeDep
from triage.api.schemas import Health, ModelInfo
from triage.errors import ModelError

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=Health, summary="Liveness: the process answers")
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", response_model=Health, summary="Readiness: store, model (and Odoo when configured)",
            responses={503: {"model": Health, "description": "a dependency is not ready"}})
def readyz(runtime: RuntimeDep):
    checks: dict[str, str] = {}
    ok = True
    try:
        with runtime.engine.connect() as conn:
            conn.execute(text("select 1"))
        checks["store"] = "ok"
    except Exception as exc:  # any driver error means not ready
        ok, checks["store"] = False, f"error: {type(exc).__name__}"
    model_ok, detail = runtime.model_ready()
    ok &= model_ok
    checks["model"] = f"ok: {detail}" if model_ok else f"error: {detail}"
    if runtime.settings.odoo.configured:
        odoo_ok, odoo_detail = runtime.odoo_ready()
        ok &= odoo_ok
        checks["odoo"] = f"ok: {odoo_detail}" if odoo_ok else f"error: {odoo_detail}"
    if runtime.settings.imap.configured:
        for name, problem in mailbox_staleness(runtime).items():
            ok &= problem is None
            checks[f"mailbox {name}"] = "ok" if problem is None else f"error: {problem}"
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return body if ok else JSONResponse(body.model_dump(), status_code=503)


def mailbox_staleness(runtime) -> dict[str, str | None]:
    """Per configured folder: None when it polled successfully within three intervals, else why
    not (a poller that silently stops is the worst failure of mail polling)."""
    from triage.ingest.imap import mailbox_name
    from triage.store import repository as repo
    from triage.store import session_scope
    from triage.store.tables import SourceCheckpointRow

    imap = runtime.settings.imap
    limit = dt.timedelta(seconds=3 * imap.poll_seconds)
    now = repo.now()
    found: dict[str, str | None] = {}
    with session_scope(runtime.engine) as session:
        for folder in imap.folder_list:
            name = mailbox_name(imap, folder)
            row = session.scalar(select(SourceCheckpointRow).where(SourceCheckpointRow.source == "imap",
                                                                   SourceCheckpointRow.name == name))
            last = row.last_success if row else None  # aware UTC (the store's UTCDateTime)
            young = last is None and time.time() - runtime.started_at <= limit.total_seconds()
            if young or (last is not None and now - last <= limit):
                found[name] = None
            else:
                since = f"last success {last.isoformat()}" if last else "never polled successfully"
                error = f"; last error: {row.last_error}" if row and row.last_error else ""
                found[name] = f"{since} (more than three intervals of {imap.poll_seconds:g}s){error}"
    return found


@router.get("/metrics", summary="Prometheus metrics", response_class=Response,
            responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}})
def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/model", response_model=ModelInfo, summary="The model being served",
            responses={503: {"description": "no model in the registry yet"}})
def model_info(runtime: RuntimeDep, _: PrincipalDep) -> ModelInfo:
    settings = runtime.settings
    try:
        model = runtime.services().model
    except ModelError:
        return ModelInfo(name=settings.model.name, alias=settings.model.alias, version=None, classes=[], loaded=False)
    return ModelInfo(name=model.name, alias=settings.model.alias, version=model.version, classes=model.classes,
                     loaded=True)
