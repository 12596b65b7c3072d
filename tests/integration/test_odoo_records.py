"""The exception queries through the real odoorpc client against the Odoo stand-in, each on
constructed records with a known answer, for every recorded Odoo version."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.conftest import odoo_standin
from triage.ingest.odoo_records import (
    bill_exceptions,
    late_receipts,
    overdue_transfers,
    to_intake,
    unconfirmed_orders,
)

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 22, 12, 0)


def _ts(days: int) -> str:
    return (NOW + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


odoo = odoo_standin(["16.0", "17.0", "18.0"], demo_data=False)


def _setup(odoo):
    vendor = odoo.add("res.partner", {"name": "Acme GmbH", "is_company": True})
    cable = odoo.add("product.product", {"name": "Cable 3m"})
    plug = odoo.add("product.product", {"name": "Plug"})
    return vendor, cable, plug


def _order(odoo, vendor, name, state="purchase", date_order=-30, **values):
    return odoo.add("purchase.order", {"name": name, "partner_id": vendor, "state": state,
                                       "date_order": _ts(date_order), **values})


def _line(odoo, order, product, qty, received, price, planned):
    return odoo.add("purchase.order.line", {"order_id": order, "product_id": product, "name": "line",
                                            "product_qty": qty, "qty_received": received, "price_unit": price,
                                            "date_planned": _ts(planned)})


def test_late_receipts_one_per_order_only_lines_not_fully_received(odoo, gateway):
    vendor, cable, plug = _setup(odoo)
    late = _order(odoo, vendor, "P00100")
    _line(odoo, late, cable, 100, 40, 10.0, -9)  # 9 days late, 60 short
    _line(odoo, late, plug, 10, 10, 1.0, -20)  # received in full: not late
    on_time = _order(odoo, vendor, "P00101")
    _line(odoo, on_time, cable, 5, 0, 10.0, +3)  # planned in the future
    draft = _order(odoo, vendor, "P00102", state="draft")
    _line(odoo, draft, cable, 5, 0, 10.0, -5)  # not confirmed: not a late receipt
    [found] = late_receipts(gateway, NOW)
    assert (found.exception_type, found.name, found.details["days_late"]) == ("late_receipt", "P00100", 9)
    assert [(line["ordered"], line["received"]) for line in found.details["lines"]] == [(100, 40)]
    assert found.key.startswith(f"purchase.order:{late}:") and found.key.endswith(":late_receipt")


def test_unconfirmed_orders_after_the_waiting_days(odoo, gateway):
    vendor, _, _ = _setup(odoo)
    _order(odoo, vendor, "P00200", state="sent", date_order=-6)
    _order(odoo, vendor, "P00201", state="sent", date_order=-1)  # sent yesterday: give it time
    _order(odoo, vendor, "P00202", state="to approve", date_order=-10)
    _order(odoo, vendor, "P00203", state="purchase", date_order=-10)
    found = unconfirmed_orders(gateway, NOW, days=3)
    assert sorted((f.name, f.details["days_waiting"]) for f in found) == [("P00200", 6), ("P00202", 10)]


def test_overdue_incoming_transfers(odoo, gateway):
    vendor, _, _ = _setup(odoo)

    def picking(name, code, days, state):
        kind = odoo.add("stock.picking.type", {"name": code, "code": code}) if "stock.picking.type" in odoo.models() \
            else None
        values = {"name": name, "partner_id": vendor, "origin": "P00100", "scheduled_date": _ts(days), "state": state,
                  "picking_type_code": code}
        if kind:
            values["picking_type_id"] = kind
        return odoo.add("stock.picking", values)

    picking("WH/IN/00010", "incoming", -4, "assigned")
    picking("WH/IN/00011", "incoming", -4, "done")
    picking("WH/IN/00012", "incoming", +2, "assigned")
    picking("WH/OUT/00013", "outgoing", -4, "assigned")
    [found] = overdue_transfers(gateway, NOW)
    assert (found.name, found.details["days_overdue"], found.details["origin"]) == ("WH/IN/00010", 4, "P00100")


def _bill(odoo, vendor, name, ref, lines, *, state="posted", payment="not_paid", total=None, date=-1):
    move = odoo.add("account.move", {"name": name, "ref": ref, "partner_id": vendor, "move_type": "in_invoice",
                                     "state": state, "payment_state": payment, "invoice_date": _ts(date)[:10],
                                     "amount_total": total if total is not None else
                                     sum(q * p for _, q, p, _ in lines)})
    for product, quantity, price, po_line in lines:
        odoo.add("account.move.line", {"move_id": move, "product_id": product, "name": "bill line",
                                       "quantity": quantity, "price_unit": price, "purchase_line_id": po_line or False,
                                       "display_type": "product"})
    return move


def test_bill_mismatches_and_duplicates(odoo, gateway):
    vendor, cable, plug = _setup(odoo)
    order = _order(odoo, vendor, "P00300")
    cable_line = _line(odoo, order, cable, 100, 100, 10.0, -10)
    plug_line = _line(odoo, order, plug, 50, 0, 2.0, -10)
    _bill(odoo, vendor, "BILL/2026/0001", "INV-881", [(cable, 100, 11.24, cable_line)])  # 12.4% above PO price
    _bill(odoo, vendor, "BILL/2026/0002", "INV-882", [(plug, 50, 2.0, plug_line)])  # nothing received yet
    _bill(odoo, vendor, "BILL/2026/0003", "INV-883", [(cable, 100, 10.0, cable_line)])  # matches
    _bill(odoo, vendor, "BILL/2026/0004", "inv 00881", [(cable, 1, 5.0, False)], total=5.0)  # same ref as 0001
    _bill(odoo, vendor, "BILL/2026/0005", "INV-777", [(plug, 5, 2.0, plug_line)], payment="paid", date=-40)  # paid
    found = {(f.name, f.exception_type): f for f in bill_exceptions(gateway)}
    assert set(found) == {("BILL/2026/0001", "bill_mismatch"), ("BILL/2026/0002", "bill_mismatch"),
                          ("BILL/2026/0001", "duplicate_bill"), ("BILL/2026/0004", "duplicate_bill")}
    price = found["BILL/2026/0001", "bill_mismatch"].findings[0]
    assert price.code == "price_variance" and price.numbers["variance_pct"] == pytest.approx(12.4)
    assert found["BILL/2026/0002", "bill_mismatch"].findings[0].code == "billed_before_received"
    assert found["BILL/2026/0001", "bill_mismatch"].details["orders"] == ["P00300"]


def test_receipt_history_feeds_the_lead_time_detector(odoo, gateway):
    from triage.ingest.odoo_records import receipt_history
    from triage.models.anomaly import Slip, lead_time_anomaly

    vendor, _, _ = _setup(odoo)
    other = odoo.add("res.partner", {"name": "Other", "is_company": True})
    for n, slip in enumerate([0, 1, 2, 0, 1, 2, 1]):
        odoo.add("stock.picking", {"name": f"WH/IN/{n:05d}", "partner_id": vendor, "picking_type_code": "incoming",
                                   "state": "done", "scheduled_date": _ts(-100 + 10 * n),
                                   "date_deadline": _ts(-100 + 10 * n), "date_done": _ts(-100 + 10 * n + slip)})
    odoo.add("stock.picking", {"name": "WH/IN/09999", "partner_id": other, "picking_type_code": "incoming",
                               "state": "done", "scheduled_date": _ts(-50), "date_done": _ts(-20)})
    history = receipt_history(gateway, vendor)
    assert [s.days for s in history] == [0, 1, 2, 0, 1, 2, 1]
    promised = NOW.date()
    finding = lead_time_anomaly(Slip(promised, promised + dt.timedelta(days=9)), history)
    assert finding is not None and finding.message.startswith("9 days later than promised; this supplier is usually")


def _storable(odoo, name: str, **values) -> int:
    """A product Odoo keeps stock of: ``is_storable`` in 18, the type ``product`` in 16 and 17."""
    kind = {"type": "consu", "is_storable": True} if odoo.version.startswith("18") else {"type": "product"}
    return odoo.add("product.product", {"name": name, **kind, **values})


def test_stock_levels(odoo, gateway):
    from triage.ingest.odoo_records import stock_levels

    product = _storable(odoo, "Cable 3m", qty_available=12, virtual_available=-30)
    service = odoo.add("product.product", {"name": "Freight", "type": "service"})
    levels = stock_levels(gateway, [product, service])
    assert (levels[product].on_hand, levels[product].forecast, levels[product].storable) == (12, -30, True)
    assert levels[service].storable is False  # always 0 on hand: never a stock-out


# -- what late receipts add for priority and the lead-time detector ------------------------------

def _receipts(odoo, vendor, slips, prefix="WH/IN/H"):
    """Done receipts of ``vendor``, ten days apart, each ``slip`` days after its deadline."""
    for n, slip in enumerate(slips):
        odoo.add("stock.picking", {"name": f"{prefix}{n:04d}", "partner_id": vendor, "picking_type_code": "incoming",
                                   "state": "done", "scheduled_date": _ts(-200 + 10 * n),
                                   "date_deadline": _ts(-200 + 10 * n), "date_done": _ts(-200 + 10 * n + slip)})


def test_late_receipts_carry_need_date_shortfall_and_stock(odoo, gateway):
    vendor, cable, plug = _setup(odoo)
    gone = _storable(odoo, "Hose", qty_available=4, virtual_available=-30)
    stocked = _storable(odoo, "Clamp", qty_available=500, virtual_available=450)
    short = _order(odoo, vendor, "P00400", amount_total=1500.0)
    _line(odoo, short, gone, 100, 40, 10.0, -9)
    _line(odoo, short, stocked, 20, 5, 1.0, -12)  # the earliest planned date: the need date
    covered = _order(odoo, vendor, "P00401")
    _line(odoo, covered, stocked, 10, 0, 1.0, -3)
    found = {f.name: f for f in late_receipts(gateway, NOW)}
    details = found["P00400"].details
    assert (details["need_date"], details["days_late"], details["qty_short"]) == ("2026-11-10", 12, 75.0)
    assert details["stock_out"] is True and found["P00401"].details["stock_out"] is False
    assert [(line["product"], line["ordered"], line["received"], line["planned"], line["on_hand"], line["forecast"])
            for line in details["lines"]] == [("Hose", 100, 40, "2026-11-13", 4.0, -30.0),
                                              ("Clamp", 20, 5, "2026-11-10", 500.0, 450.0)]
    json.dumps(details)  # plain JSON: it travels in the signal's meta


def test_lead_time_finding_for_a_supplier_usually_on_time(odoo, gateway):
    vendor, cable, _ = _setup(odoo)
    _receipts(odoo, vendor, [0, 1, 0, 0, 1, 2, 0])
    _line(odoo, _order(odoo, vendor, "P00410"), cable, 10, 0, 10.0, -20)
    [found] = late_receipts(gateway, NOW)
    [finding] = found.findings
    assert finding.code == "lead_time_anomaly"
    assert (finding.numbers["slip_days"], finding.numbers["history"]) == (20.0, 7.0)
    assert finding.message.startswith("20 days later than promised; this supplier is usually within 1 day")


def test_no_lead_time_finding_on_too_little_history(odoo, gateway):
    vendor, cable, _ = _setup(odoo)
    _receipts(odoo, vendor, [0, 0, 1])  # fewer than Tolerances.lead_time_history (5)
    _line(odoo, _order(odoo, vendor, "P00420"), cable, 10, 0, 10.0, -20)
    [found] = late_receipts(gateway, NOW)
    assert found.details["days_late"] == 20 and found.findings == ()


def test_stock_is_read_once_per_round_history_once_per_supplier(odoo, gateway):
    vendor, cable, plug = _setup(odoo)
    other = odoo.add("res.partner", {"name": "Other AG", "is_company": True})
    for n, (supplier, product) in enumerate([(vendor, cable), (vendor, plug), (other, cable), (other, plug)]):
        _line(odoo, _order(odoo, supplier, f"P0043{n}"), product, 10, 0, 1.0, -5 - n)
    before = len(odoo.requests)
    found = late_receipts(gateway, NOW)
    seen = [(r.model, r.model_method) for r in odoo.requests[before:]]
    assert len(found) == 4
    assert seen.count(("product.product", "read")) == 1
    assert seen.count(("stock.picking", "search_read")) == 2


@pytest.fixture
def services(trained, tmp_path):
    from triage.services import build_services
    from triage.store import connect, migrate

    settings, _ = trained
    settings = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'store.db'}"})
    engine = connect(settings.database_url)
    migrate(engine)
    yield engine, build_services(settings)
    engine.dispose()


def _flow(services, exception):
    """The stored assessment of ``exception`` after the flow (as the Odoo sync runs it)."""
    from sqlalchemy import select

    from triage import pipeline
    from triage.store import session_scope
    from triage.store.tables import AssessmentRow

    engine, svc = services
    with session_scope(engine) as session:
        result = pipeline.ingest(session, to_intake(exception, NOW.replace(tzinfo=dt.UTC)), svc, submitted_by="test")
        assert result.state == "processed", (result.state, result.reason)
        row = session.scalars(select(AssessmentRow)).one()
        return row.priority, row.explanation, [f["code"] for f in row.findings]


@pytest.mark.slow
def test_the_lead_time_finding_reaches_the_assessment(odoo, gateway, services):
    vendor, cable, _ = _setup(odoo)
    _receipts(odoo, vendor, [0, 1, 0, 0, 1, 2, 0])
    _line(odoo, _order(odoo, vendor, "P00440"), cable, 10, 0, 10.0, -20)
    [found] = late_receipts(gateway, NOW)
    priority, explanation, findings = _flow(services, found)
    assert findings == ["lead_time_anomaly"]
    assert explanation.startswith("Odoo shows it: P00440") and "priority: delivery_delay starts at P2" in explanation


@pytest.mark.slow
def test_a_stock_out_makes_a_late_receipt_p1(odoo, gateway, services):
    vendor, _, _ = _setup(odoo)
    gone = _storable(odoo, "Hose", qty_available=0, virtual_available=-30)
    _line(odoo, _order(odoo, vendor, "P00450", amount_total=1000.0), gone, 100, 0, 10.0, -5)
    [found] = late_receipts(gateway, NOW)
    assert found.details["stock_out"] is True
    priority, explanation, _ = _flow(services, found)
    assert priority == 1 and "stock" in explanation.split("priority:")[1]
