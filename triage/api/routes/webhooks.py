"""POST /v1/webhooks/odoo: the payload of an Odoo automation rule's "Send Webhook Notification".

Odoo cannot add headers to it, so the token in the URL (``TRIAGE_ODOO_WEBHOOK_SECRET``) is the
check: compared in constant time, never logged. Without the setting the endpoint is off (404).
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from triage.api.deps import RuntimeDep, SessionDep, SettingsDep
from triage.api.routes.signals import take
from triage.api.schemas import SignalAccepted
from triage.ingest.odoo_webhook import from_odoo_webhook

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

EXAMPLE = {"_action": "Send Webhook Notification(#396)", "_id": 8, "_model": "purchase.order", "id": 8,
           "name": "P00008", "state": "purchase", "date_planned": "2026-11-22 00:00:00", "user_id": 2}


@router.post(
    "/odoo",
    response_model=SignalAccepted,
    status_code=status.HTTP_201_CREATED,
    summary="A record changed in Odoo (automation rule webhook; a hint for the Odoo sync)",
    responses={200: {"description": "already stored (idempotent)", "model": SignalAccepted},
               401: {"description": "wrong token"}, 404: {"description": "webhooks are off"},
               422: {"description": "not an Odoo webhook payload for purchase.order, account.move or stock.picking"}},
    openapi_extra={"requestBody": {"content": {"application/json": {"schema": {"type": "object"},
                                                                    "example": EXAMPLE}}, "required": True}},
)
async def odoo_webhook(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    runtime: RuntimeDep,
    token: Annotated[str, Query(description="TRIAGE_ODOO_WEBHOOK_SECRET, as put in the rule's URL")] = "",
) -> SignalAccepted:
    secret = settings.odoo.webhook_secret
    if secret is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "Odoo webhooks are off: set TRIAGE_ODOO_WEBHOOK_SECRET")
    if not hmac.compare_digest(token.encode(), secret.get_secret_value().encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong webhook token")
    try:
        intake = from_odoo_webhook(await request.body())
    except ValueError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, f"not an Odoo webhook payload: {exc}") from exc
    services = runtime.services()  # after the token: an unknown caller learns nothing about the service
    return await take(intake, response=response, session=session, runtime=runtime, services=services,
                      submitted_by="odoo")
