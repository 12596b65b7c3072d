"""Amounts and dates as documents print them (``ingest/document/values.py``)."""

import datetime as dt

import pytest

from triage.ingest.document.values import (
    currencies, decimal_convention, find_amounts, find_dates, month_first, parse_number,
)


@pytest.mark.parametrize("token,decimal,value,ambiguous", [
    ("1.234,56", None, 1234.56, False),
    ("1,234.56", None, 1234.56, False),
    ("1 234,56", None, 1234.56, False),
    ("1'234.50", None, 1234.5, False),
    ("1.234.567", None, 1234567.0, False),
    ("45,93", None, 45.93, False),
    ("0,750", None, 0.75, False),
    ("1,234", None, 1234.0, True),  # thousands or decimals: nothing says
    ("1,234", ",", 1.234, False),  # the document writes decimals with a comma
    ("1.234", ",", 1234.0, False),
    ("1.234", ".", 1.234, False),
    ("12", None, 12.0, False),
])
def test_numbers_under_the_documents_convention(token, decimal, value, ambiguous):
    assert parse_number(token, decimal) == (pytest.approx(value), ambiguous)


def test_decimal_convention_from_unambiguous_numbers():
    assert decimal_convention("Summe 1.234,56 EUR\nMwSt 19 % 234,56") == ","
    assert decimal_convention("Total $1,234.56\nTax 10.00") == "."
    assert decimal_convention("Qty 1,000 pieces") is None


def test_amounts_in_a_line_with_signs_currencies_and_percentages():
    found = find_amounts("VAT 21% on € 1.000,00: € 210,00  credit -12,50 EUR  fee 3,00-", ",")
    assert [(a.value, a.currency) for a in found] == [(1000.0, "EUR"), (210.0, "EUR"), (-12.5, "EUR"), (-3.0, None)]


def test_space_grouping_is_two_columns_when_the_document_uses_a_decimal_point():
    assert [a.value for a in find_amounts("Total 1 278.61 40.39", ".")] == [278.61, 40.39]
    assert [a.value for a in find_amounts("Total TTC 1 278,61", ",")] == [1278.61]


def test_currencies_counted_by_symbol_and_code():
    counts = currencies("Total € 12,00 (EUR)  Rs 1939  US$ 4")
    assert counts["EUR"] == 2 and counts["INR"] == 1 and counts["USD"] == 1


@pytest.mark.parametrize("text,expected", [
    ("Invoice date: 2026-03-04", dt.date(2026, 3, 4)),
    ("Datum: 04.03.2026", dt.date(2026, 3, 4)),
    ("Fecha 4-3-26", dt.date(2026, 3, 4)),
    ("le 3 mars 2026", dt.date(2026, 3, 3)),
    ("3. März 2026", dt.date(2026, 3, 3)),
    ("3 de marzo de 2026", dt.date(2026, 3, 3)),
    ("3 de março de 2026", dt.date(2026, 3, 3)),
    ("3 maart 2026", dt.date(2026, 3, 3)),
    ("March 3, 2026", dt.date(2026, 3, 3)),
    ("August 3 , 2014", dt.date(2014, 8, 3)),
    ("20-Mar-2023", dt.date(2023, 3, 20)),
    ("Jan 1, 2022", dt.date(2022, 1, 1)),
    ("02 Juillet 2015", dt.date(2015, 7, 2)),
    ("13/04/2026", dt.date(2026, 4, 13)),
    ("04/13/2026", dt.date(2026, 4, 13)),
])
def test_written_and_numeric_dates(text, expected):
    hits = find_dates(text)
    assert [h.value for h in hits] == [expected]


def test_an_ambiguous_numeric_date_is_flagged_unless_the_document_says():
    hit, = find_dates("Date: 03/04/2026")
    assert hit.value == dt.date(2026, 4, 3) and hit.ambiguous  # day first, but flagged
    text = "Invoice date 03/04/2026\nDue 04/28/2026"
    order = month_first(text)
    assert order is True
    assert [(h.value, h.ambiguous) for h in find_dates(text, order)] == [
        (dt.date(2026, 3, 4), False), (dt.date(2026, 4, 28), False)]
    assert month_first("05/05/2026") is None
    assert not find_dates("05/05/2026")[0].ambiguous  # the same either way


def test_numbers_that_are_not_dates_and_dates_without_years():
    assert find_dates("Qty 12.5 at 3.50") == []
    assert find_dates("Delivery 3 March") == []  # a document date has a year
