"""Odoo's webhooks as hints: the ``recheck_odoo`` job re-reads just the records they named,
through the real odoorpc client against the stand-in (17 and 18: 16 has no webhooks), with
the trained model and a real store."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import odoo_standin
from tests.odoo_standin import OdooStandin
from triage import pipeline
from triage.ingest.odoo_webhook import from_odoo_webhook
from triage.jobs import JOBS, JobContext, run_job
from triage.metrics import Metrics
from triage.odoo_activities import OdooWriter
from triage.store import session_scope
from triage.store import repository as repo

pytestmark = [pytest.mark.integration, pytest.mark.slow]
RECHECK = next(job for job in JOBS if job.name == "recheck_odoo")


def _ts(days: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


odoo = odoo_standin(["17.0", "18.0"], demo_data=False)


@pytest.fixture
def ctx(odoo_flow, odoo):
    engine, services = odoo_flow(odoo)
    return JobContext(settings=services.settings, engine=engine, writer=OdooWriter(services.odoo), metrics=Metrics(),
                      services=lambda: services)


def _hint(ctx: JobContext, model: str, record_id: int, **fields) -> None:
    body = json.dumps({"_action": "Send Webhook Notification(#7)", "_model": model, "_id": record_id, **fields})
    with session_scope(ctx.engine) as session:
        pipeline.ingest(session, from_odoo_webhook(body.encode()), ctx.services(), submitted_by="odoo")


def _seed(odoo: OdooStandin) -> tuple[int, int, int]:
    vendor = odoo.add("res.partner", {"name": "Acme GmbH", "is_company": True})
    cable = odoo.add("product.product", {"name": "Cable 3m"})
    order = odoo.add("purchase.order", {"name": "P00700", "partner_id": vendor, "state": "purchase", "user_id": 2,
                                        "date_order": _ts(-30)})
    line = odoo.add("purchase.order.line", {"order_id": order, "product_id": cable, "name": "Cable",
                                            "product_qty": 50, "qty_received": 0, "price_unit": 10.0,
                                            "date_planned": _ts(-9)})
    bill = odoo.add("account.move", {"name": "BILL/2026/0700", "ref": "INV-700", "partner_id": vendor,
                                     "move_type": "in_invoice", "state": "posted", "payment_state": "not_paid"})
    odoo.add("account.move.line", {"move_id": bill, "product_id": cable, "name": "Cable", "quantity": 50,
                                   "price_unit": 11.5, "purchase_line_id": line, "display_type": "product"})
    return order, line, bill


def test_a_hint_rereads_only_its_record_and_closes_what_odoo_resolved(odoo, ctx):
    order, line, bill = _seed(odoo)
    assert run_job(RECHECK, ctx) == {"hints": 0}

    _hint(ctx, "purchase.order", order, name="P00700", state="purchase")
    first = run_job(RECHECK, ctx)
    assert first["records"] == {"purchase.order": [order]}
    assert first["found"] == {"late_receipt": 1} and first["outbox"]["written"] == 1  # the bill was not named
    [activity] = odoo.read("mail.activity", list(odoo.records("mail.activity")), ["res_model", "res_id"])
    assert (activity["res_model"], activity["res_id"]) == ("purchase.order", order)
    assert run_job(RECHECK, ctx) == {"hints": 0}  # each hint is handled once

    odoo.write("purchase.order.line", [line], {"qty_received": 50})  # the goods arrived
    _hint(ctx, "purchase.order", order, name="P00700", state="purchase", receipt_status="full")
    second = run_job(RECHECK, ctx)
    assert second["found"] == {} and second["resolved"] == 1
    assert odoo.records("mail.activity") == {}
    assert any("Resolved in Odoo: every line of P00700" in (m.get("body") or "")
               for m in odoo.records("mail.message").values())


def test_hints_wait_while_odoo_is_down(odoo, ctx):
    order, _, bill = _seed(odoo)
    _hint(ctx, "account.move", bill, name="BILL/2026/0700")
    odoo.fail_next(50, "http500")
    failed = run_job(RECHECK, ctx)
    assert failed["hints"] == 1 and "error" in failed
    with session_scope(ctx.engine) as session:
        assert repo.checkpoint(session=session, source="odoo-hints", name=odoo.url).last_uid is None
    odoo.recover()
    recovered = run_job(RECHECK, ctx)
    assert recovered["records"] == {"account.move": [bill]} and recovered["found"] == {"bill_mismatch": 1}
    assert [a["res_model"] for a in odoo.read("mail.activity", list(odoo.records("mail.activity")),
                                              ["res_model"])] == ["account.move"]
