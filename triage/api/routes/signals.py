"""POST /v1/signals: JSON email rows, raw messages, PDFs, multipart files, signed webhooks."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Depends, Header, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials
from starlette.concurrency import run_in_threadpool

from triage import pipeline, signing
from triage.api.deps import RuntimeDep, ServicesDep, SessionDep, SettingsDep, bearer, principal
from triage.api.schemas import EMAIL_EXAMPLE, SignalAccepted
from triage.apikeys import Principal
from triage.celery_app import enqueue_signal
from triage.domain import Source
from triage.ingest import Intake
from triage.ingest.files import from_email_row, from_eml, from_json, from_pdf

router = APIRouter(prefix="/v1", tags=["signals"])


async def ingest_caller(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    x_triage_signature: Annotated[str | None, Header(description="t=<unix time>,sha256=<hex HMAC of 't.body'>")] = None,
) -> Principal:
    """A key with the ingest scope, or a valid X-Triage-Signature (source ``webhook``)."""
    if x_triage_signature is not None:
        secret = settings.signing_secret
        if secret is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "signed requests are not enabled (TRIAGE_SIGNING_SECRET)")
        if not signing.verify(secret.get_secret_value(), x_triage_signature, await request.body()):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "bad or expired X-Triage-Signature")
        return Principal(name="webhook", scopes=frozenset({"ingest"}))
    who = principal(session, credentials)
    if not who.allows("ingest"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this key lacks the 'ingest' scope")
    return who


def _intake(content_type: str, body: bytes, filename: str, settings, source: Source) -> Intake:
    limits = settings.limits
    if content_type in ("application/json", "text/json"):
        try:
            row = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise HTTPException(422, f"invalid JSON: {exc}") from exc
        if not isinstance(row, dict):
            raise HTTPException(422, "expected one email row (a JSON object)")
        missing = [k for k in ("subject", "body") if not isinstance(row.get(k), str)]
        if missing:
            raise HTTPException(422, f"email row lacks string field(s): {missing}")
        return from_email_row(row, body, filename, source=source)
    if content_type == "message/rfc822" or filename.lower().endswith(".eml"):
        intake = from_eml(body, filename, limits)
    elif content_type == "application/pdf" or filename.lower().endswith(".pdf"):
        intake = from_pdf(body, filename, limits)
    elif filename.lower().endswith(".json"):
        intake = from_json(body, filename, limits)
    else:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
                            "send application/json, message/rfc822, application/pdf or multipart/form-data with 'file'")
    if source is Source.WEBHOOK:
        intake.signal.source = Source.WEBHOOK
    return intake


@router.post(
    "/signals",
    response_model=SignalAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="Ingest one signal and run the flow on it",
    responses={200: {"description": "already stored (idempotent)", "model": SignalAccepted},
               401: {"description": "no or bad key / signature"}, 403: {"description": "no ingest scope"},
               413: {"description": "body above TRIAGE_MAX_REQUEST_BYTES"}, 415: {"description": "unsupported type"}},
    openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/EmailRow"}, "example": EMAIL_EXAMPLE},
        "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
        "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {"file": {"type": "string",
                                                                                      "format": "binary"}},
                                           "required": ["file"]}},
    }, "required": True}},
)
async def post_signal(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    services: ServicesDep,
    runtime: RuntimeDep,
    caller: Annotated[Principal, Depends(ingest_caller)],
) -> SignalAccepted:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise HTTPException(422, "multipart body needs a 'file' part")
        body, filename = await upload.read(), upload.filename or "upload"
        content_type = (upload.content_type or "").lower()
    else:
        body, filename = await request.body(), "request"
    source = Source.WEBHOOK if caller.name == "webhook" else Source.API
    intake = _intake(content_type, body, filename, settings, source)
    return await take(intake, response=response, session=session, runtime=runtime, services=services,
                      submitted_by=caller.name)


async def take(intake: Intake, *, response: Response, session, runtime, services, submitted_by: str) -> SignalAccepted:
    """Store an intake and run the flow on it now, or (scale-out) store it and hand it to a worker;
    201 for a new signal, 200 for one already stored."""
    if services.settings.scheduler == "celery":  # store now, a worker runs the flow
        result = await run_in_threadpool(pipeline.accept, runtime.engine, intake, services, submitted_by=submitted_by)
        if not result.duplicate and result.state == "received":
            await run_in_threadpool(enqueue_signal, result.signal_id)
        for child in result.children:  # an email's attached documents, after it
            await run_in_threadpool(enqueue_signal, child)
    else:
        result = await run_in_threadpool(pipeline.ingest, session, intake, services, submitted_by=submitted_by)
    if result.duplicate:
        response.status_code = status.HTTP_200_OK
    return SignalAccepted(id=result.signal_id, state=result.state, duplicate=result.duplicate, reason=result.reason)
