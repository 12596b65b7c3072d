"""`triage sync odoo` against the Odoo stand-in: Odoo's own exceptions become activities on the
PO and the bill, once; when Odoo shows them resolved they are closed and recorded as resolved;
a wrong password exits non-zero and shows in `triage status`."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import run_triage
from tests.odoo_standin import OdooStandin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _ts(days: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


def _seed(odoo: OdooStandin) -> None:
    vendor = odoo.add("res.partner", {"name": "Acme GmbH", "is_company": True})
    cable = odoo.add("product.product", {"name": "Cable 3m"})
    order = odoo.add("purchase.order", {"name": "P00500", "partner_id": vendor, "state": "purchase", "user_id": 2,
                                        "date_order": _ts(-30)})
    line = odoo.add("purchase.order.line", {"order_id": order, "product_id": cable, "name": "Cable", "product_qty": 100,
                                           "qty_received": 100, "price_unit": 10.0, "date_planned": _ts(-12)})
    late = odoo.add("purchase.order", {"name": "P00501", "partner_id": vendor, "state": "purchase", "user_id": 2,
                                       "date_order": _ts(-30)})
    odoo.add("purchase.order.line", {"order_id": late, "product_id": cable, "name": "Cable", "product_qty": 50,
                                     "qty_received": 0, "price_unit": 10.0, "date_planned": _ts(-9)})
    bill = odoo.add("account.move", {"name": "BILL/2026/0100", "ref": "INV-9001", "partner_id": vendor,
                                     "move_type": "in_invoice", "state": "posted", "payment_state": "not_paid",
                                     "invoice_date": _ts(-1)[:10], "amount_total": 1124.0})
    odoo.add("account.move.line", {"move_id": bill, "product_id": cable, "name": "Cable", "quantity": 100,
                                   "price_unit": 11.24, "purchase_line_id": line, "display_type": "product"})
    odoo.add("account.move", {"name": "BILL/2026/0090", "ref": "inv 9001", "partner_id": vendor,  # paid, same ref
                              "move_type": "in_invoice", "state": "posted", "payment_state": "paid",
                              "invoice_date": _ts(-60)[:10], "amount_total": 90.0})


def test_sync_writes_odoo_exceptions_once(registry_copy, tmp_path):
    with OdooStandin(version="17.0", db="triage", users={"admin": "admin"}, demo_data=False) as odoo:
        _seed(odoo)
        odoo_settings = {"odoo_url": odoo.url, "odoo_db": "triage", "odoo_user": "admin", "odoo_password": "admin"}
        first = run_triage(tmp_path, registry_copy, "sync", "odoo", "--json", **odoo_settings)
        assert first.returncode == 0, first.stderr[-3000:]
        report = json.loads(first.stdout)
        assert report["found"] == {"late_receipt": 1, "bill_mismatch": 1, "duplicate_bill": 1}
        assert report["outbox"] == {"written": 3, "retrying": 0, "failed": 0, "stopped": None}
        activities = sorted((a["res_model"], a["summary"]) for a in
                            odoo.read("mail.activity", list(odoo.records("mail.activity")), ["res_model", "summary"]))
        assert [model for model, _ in activities] == ["account.move", "account.move", "purchase.order"]
        assert activities[0][1].startswith("Check duplicate bill on BILL/2026/0100")
        assert activities[1][1].startswith("Review bill mismatch (hold payment) on BILL/2026/0100")
        assert "P00501" in activities[2][1]

        again = json.loads(run_triage(tmp_path, registry_copy, "sync", "odoo", "--json", **odoo_settings).stdout)
        assert again["new_signals"] == 0 and again["outbox"]["written"] == 0
        assert len(odoo.records("mail.activity")) == 3

        # the goods arrive and the bill is corrected: Odoo shows both resolved; the duplicate stays
        late_line = next(i for i, r in odoo.records("purchase.order.line").items() if r.get("qty_received") == 0)
        odoo.write("purchase.order.line", [late_line], {"qty_received": 50})
        bill_line = next(i for i, r in odoo.records("account.move.line").items() if r.get("price_unit") == 11.24)
        odoo.write("account.move.line", [bill_line], {"price_unit": 10.0})
        third = run_triage(tmp_path, registry_copy, "sync", "odoo", **odoo_settings)
        assert third.returncode == 0, third.stderr[-3000:]
        assert "closed as resolved in Odoo: 2" in " ".join(third.stdout.split())
        left = odoo.read("mail.activity", list(odoo.records("mail.activity")), ["summary"])
        assert [a["summary"][:30] for a in left] == ["Check duplicate bill on BILL/2"]
        notes = [m["body"] for m in odoo.records("mail.message").values() if "Resolved in Odoo" in (m.get("body") or "")]
        assert len(notes) == 2 and any("P00501 is received" in n or "every line of P00501" in n for n in notes)
        status = json.loads(run_triage(tmp_path, registry_copy, "status", "--json", **odoo_settings).stdout)
        assert status["feedback"]["by_outcome"] == {"done": 0, "cancelled": 0, "resolved": 2}
        fourth = json.loads(run_triage(tmp_path, registry_copy, "sync", "odoo", "--json", **odoo_settings).stdout)
        assert fourth["resolved"] == 0 and fourth["feedback"]["resolved"] == 0  # closed once, never read as a review

        wrong = run_triage(tmp_path, registry_copy, "sync", "odoo", **{**odoo_settings, "odoo_password": "nope"})
        assert wrong.returncode != 0 and "OdooAuthError" not in wrong.stdout and "credentials" in wrong.stderr
        status = json.loads(run_triage(tmp_path, registry_copy, "status", "--json", **odoo_settings).stdout)
        assert status["odoo"][odoo.url]["last_error"].startswith("OdooAuthError")
