"""Odoo's "Send Webhook Notification" (automation rules, Odoo 17+) as a Signal.

The payload is a JSON object with ``_action``, ``_id``, ``_model`` and the fields the rule
selected (many2one as plain ints, x2many as id lists). Odoo sends it once, with a short
timeout and no retry, so it is a hint that a record changed: the signal is stored (source
``webhook``, ``doc_type`` ``odoo:<model>``) and the scheduled Odoo sync, which reconciles by
``write_date``, reads the record itself; nothing depends on a webhook arriving.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from triage.domain import Signal, Source
from triage.ingest import Intake

WATCHED = ("purchase.order", "account.move", "stock.picking")
HINT_PREFIX = "odoo:"


def is_hint(doc_type: str | None) -> bool:
    return bool(doc_type and doc_type.startswith(HINT_PREFIX))


def from_odoo_webhook(body: bytes) -> Intake:
    """The signal of one webhook call; ``ValueError`` (with the reason) when it is not one."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise ValueError("expected a JSON object")
    model, record_id = payload.get("_model"), payload.get("_id")
    if model not in WATCHED:
        raise ValueError(f"_model must be one of {', '.join(WATCHED)}, not {model!r}")
    if not isinstance(record_id, int) or isinstance(record_id, bool) or record_id <= 0:
        raise ValueError(f"_id must be a positive integer, not {record_id!r}")
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    name = payload.get("name") if isinstance(payload.get("name"), str) else str(record_id)
    signal = Signal(
        key=f"webhook:odoo:{model}:{record_id}:{digest}", source=Source.WEBHOOK, received_at=dt.datetime.now(dt.UTC),
        subject=f"{model} {name} changed in Odoo", text=canonical, doc_type=f"{HINT_PREFIX}{model}",
        meta={"odoo_model": model, "odoo_id": record_id, "odoo_action": str(payload.get("_action") or "")},
    )
    return Intake(signal, body, f"odoo-webhook-{model}-{record_id}.json")
