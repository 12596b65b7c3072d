"""`triage demo` with TRIAGE_ODOO_URL set: real activities written through odoorpc into the Odoo
stand-in, once; the second run writes nothing new; `triage status` shows Odoo reached."""

from __future__ import annotations

import json

import pytest

from tests.conftest import run_triage
from tests.odoo_standin import OdooStandin

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BILLS = {"INV-2026-0815": "in_invoice", "CN-2026-0042": "in_refund", "2026/5531": "in_invoice",
         "PS-26-01877": "in_invoice"}


def _seed(odoo: OdooStandin) -> None:
    partner = odoo.add("res.partner", {"name": "Demo Supplier", "email": "orders@supplier.example"})
    odoo.add("res.partner", {"name": "Baltic Steel Fasteners", "email": "accounts@balticsteel-fasteners.example",
                             "is_company": True})
    for n in range(410, 426):
        odoo.add("purchase.order", {"name": f"P00{n}", "partner_id": partner, "state": "purchase", "user_id": 2})
    for number, (ref, kind) in enumerate(BILLS.items(), 1):
        odoo.add("account.move", {"name": f"BILL/2026/{number:04d}", "ref": ref, "move_type": kind,
                                  "partner_id": partner, "state": "posted"})


@pytest.mark.parametrize("version", ["16.0", "18.0"])
def test_demo_writes_real_activities_once(registry_copy, tmp_path, version):
    with OdooStandin(version=version, db="triage", users={"admin": "admin"}) as odoo:
        _seed(odoo)
        settings = {"odoo_url": odoo.url, "odoo_db": "triage", "odoo_user": "admin", "odoo_password": "admin"}
        first = run_triage(tmp_path, registry_copy, "demo", **settings)
        assert first.returncode == 0, first.stderr[-3000:]
        activities = odoo.records("mail.activity")
        assert "Activities written by the odoo writer" in first.stdout
        status = json.loads(run_triage(tmp_path, registry_copy, "status", "--json", **settings).stdout)
        sent = status["outbox"]["by_state"]["sent"]
        assert sent >= 8 and status["outbox"]["by_state"]["failed"] == 0, first.stderr[-3000:]
        assert len(activities) == sent  # one Odoo activity per write; updates coalesce into it
        for activity in activities.values():
            assert "triage-ref:" in activity["note"] and len(activity["summary"]) <= 80

        second = run_triage(tmp_path, registry_copy, "demo", **settings)
        assert second.returncode == 0, second.stderr[-3000:]
        assert len(odoo.records("mail.activity")) == len(activities)
        assert "Nothing new for the odoo writer" in second.stdout
