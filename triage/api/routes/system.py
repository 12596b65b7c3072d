"""Health, readiness, metrics and model information."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

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
    body = Health(status="ok" if ok else "unavailable", checks=checks)
    return body if ok else JSONResponse(body.model_dump(), status_code=503)


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
