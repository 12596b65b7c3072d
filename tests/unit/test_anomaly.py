"""Each anomaly detector on constructed data with known answers."""

import datetime as dt

import pytest

from triage.models.anomaly import (
    Bill,
    BillLine,
    OrderLine,
    Slip,
    Tolerances,
    duplicate_bills,
    lead_time_anomaly,
    line_variances,
)

D = dt.date(2026, 11, 2)
LINE = OrderLine(id=7, order="P00042", product="[CAB-3] Cable 3m", qty_ordered=100, qty_received=100, price_unit=10.0)


def bill(*lines: BillLine, name="BILL/2026/0012", reference="INV-881", total=1000.0, date=D, supplier="acme", id=12,
         currency="EUR") -> Bill:
    return Bill(name=name, supplier=supplier, reference=reference, date=date, total=total, lines=lines, id=id,
                currency=currency)


def codes(findings):
    return sorted(f.code for f in findings)


def test_a_bill_matching_its_po_and_receipt_has_no_finding():
    assert line_variances(bill(BillLine("[CAB-3] Cable 3m", 100, 10.0, order_line_id=7)), [LINE]) == []


def test_price_variance_is_measured_in_percent_and_amount():
    [finding] = line_variances(bill(BillLine("[CAB-3] Cable 3m", 100, 11.24, order_line_id=7)), [LINE])
    assert finding.code == "price_variance"
    assert finding.numbers["variance_pct"] == pytest.approx(12.4)
    assert finding.numbers["variance_amount"] == pytest.approx(124.0)
    assert "12.4% above the PO price of 10.00 EUR on P00042" in finding.message


@pytest.mark.parametrize(("price", "quantity", "expected"), [
    (10.15, 100, []),  # 1.5%: inside the percent tolerance
    (13.00, 1, []),  # 30% but only 3.00 over the line: inside the absolute tolerance
    (10.50, 100, ["price_variance"]),  # 5% and 50.00
    (9.00, 100, ["price_variance"]),  # below the PO price is a finding too
])
def test_both_price_tolerances_must_be_exceeded(price, quantity, expected):
    line = OrderLine(id=7, order="P00042", product="x", qty_ordered=100, qty_received=100, price_unit=10.0)
    assert codes(line_variances(bill(BillLine("x", quantity, price, order_line_id=7)), [line])) == expected


def test_tolerances_are_settings():
    found = line_variances(bill(BillLine("x", 100, 10.15, order_line_id=7)),
                           [OrderLine(7, "P1", "x", 100, 100, 10.0)], Tolerances(price_pct=1.0, price_abs=1.0))
    assert codes(found) == ["price_variance"]


def test_billed_before_received():
    line = OrderLine(id=7, order="P00042", product="x", qty_ordered=100, qty_received=0, price_unit=10.0)
    [finding] = line_variances(bill(BillLine("x", 100, 10.0, order_line_id=7)), [line])
    assert finding.code == "billed_before_received"
    assert "nothing has been received yet" in finding.message


def test_billed_quantity_above_received_and_ordered():
    line = OrderLine(id=7, order="P00042", product="x", qty_ordered=100, qty_received=60, price_unit=10.0)
    found = line_variances(bill(BillLine("x", 80, 10.0, order_line_id=7), BillLine("x", 40, 10.0, order_line_id=7)), [line])
    assert codes(found) == ["quantity_over_ordered", "quantity_over_received"]
    over = next(f for f in found if f.code == "quantity_over_received")
    assert over.numbers["billed"] == 120 and over.numbers["excess"] == 60


def test_lines_match_by_product_when_unlinked_and_unknown_products_are_reported():
    found = line_variances(bill(BillLine("[CAB-3] Cable 3m", 100, 12.0), BillLine("[ZZ-9] Freight", 1, 80.0)), [LINE])
    assert codes(found) == ["bill_line_without_po", "price_variance"]


def test_currency_mismatch():
    found = line_variances(bill(BillLine("[CAB-3] Cable 3m", 100, 10.0, order_line_id=7), currency="USD"), [LINE])
    assert codes(found) == ["currency_mismatch"]


def test_duplicate_by_reference_ignores_spacing_case_and_leading_zeros():
    earlier = bill(name="BILL/2026/0003", reference="inv 00881", date=D - dt.timedelta(days=40), id=3, total=990.0)
    [finding] = duplicate_bills(bill(BillLine("x", 1, 1.0)), [earlier])
    assert finding.code == "duplicate_reference"
    assert "already on BILL/2026/0003" in finding.message


def test_duplicate_by_amount_within_the_window_only():
    near = bill(name="BILL/2026/0010", reference="INV-870", date=D - dt.timedelta(days=3), id=10)
    far = bill(name="BILL/2026/0001", reference="INV-801", date=D - dt.timedelta(days=30), id=1)
    other_supplier = bill(name="BILL/2026/0011", reference="INV-881", supplier="globex", id=11)
    itself = bill()
    found = duplicate_bills(bill(), [near, far, other_supplier, itself])
    assert [(f.code, f.numbers["days_apart"]) for f in found] == [("duplicate_amount", 3.0)]


def slips(*days: int) -> list[Slip]:
    return [Slip(D, D + dt.timedelta(days=d)) for d in days]


def test_lead_time_anomaly_against_a_reliable_supplier():
    finding = lead_time_anomaly(Slip(D, D + dt.timedelta(days=9)), slips(0, 1, 2, 0, 1, 2, 1, 0))
    assert finding is not None
    assert finding.message.startswith("9 days later than promised; this supplier is usually within 2")
    assert finding.numbers["robust_z"] > 3.5


def test_a_slip_usual_for_the_supplier_is_no_finding():
    assert lead_time_anomaly(Slip(D, D + dt.timedelta(days=9)), slips(5, 8, 12, 7, 10, 9, 6)) is None


def test_no_finding_without_enough_history_or_for_a_small_slip():
    assert lead_time_anomaly(Slip(D, D + dt.timedelta(days=20)), slips(0, 0, 1)) is None
    assert lead_time_anomaly(Slip(D, D + dt.timedelta(days=2)), slips(0, 0, 0, 0, 0, 0)) is None


def test_an_always_punctual_supplier_has_a_floor_on_its_spread():
    assert lead_time_anomaly(Slip(D, D + dt.timedelta(days=4)), slips(0, 0, 0, 0, 0, 0)) is None  # z 2.7
    finding = lead_time_anomaly(Slip(D, D + dt.timedelta(days=6)), slips(0, 0, 0, 0, 0, 0))  # z 4.0
    assert finding is not None and "usually on time" in finding.message
    assert finding.numbers["mad_days"] == 1.0


def test_an_unknown_currency_is_not_a_mismatch():
    unknown = OrderLine(id=7, order="P00042", product="x", qty_ordered=100, qty_received=100, price_unit=10.0,
                        currency="")
    assert line_variances(bill(BillLine("x", 100, 10.0, order_line_id=7), currency="USD"), [unknown]) == []
