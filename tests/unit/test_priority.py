import datetime as dt

from triage.domain import Fields
from triage.models.priority import prioritise

SENT = dt.date(2026, 11, 2)


def test_delay_of_months_is_p1_and_a_few_days_is_p3():
    assert prioritise("delivery_delay", "new date", Fields(new_date=dt.date(2027, 2, 1)), SENT).priority == 1
    assert prioritise("delivery_delay", "new date", Fields(new_date=dt.date(2026, 11, 20)), SENT).priority == 2
    assert prioritise("delivery_delay", "new date", Fields(new_date=dt.date(2026, 11, 5)), SENT).priority == 3


def test_recall_and_account_on_stop_raise_priority():
    assert prioritise("quality_issue", "Safety recall of batch 12", Fields(), SENT).priority == 1
    assert prioritise("payment_reminder", "your account is on stop", Fields(), SENT).priority == 2


def test_bank_details_change_is_p2_and_plain_other_p4():
    assert prioritise("other", "Please note our new bank account IBAN DE12...", Fields(), SENT).priority == 2
    assert prioritise("other", "Invoice attached. IBAN DE12 on the footer.", Fields(), SENT).priority == 4


def test_score_orders_priorities():
    p1 = prioritise("cancellation", "discontinued", Fields(), SENT)
    p4 = prioritise("shipping_notice", "shipped", Fields(), SENT)
    assert p1.score > p4.score and p1.priority < p4.priority


def test_rubric_refinements():
    f = Fields()
    assert prioritise("partial_shipment", "600 shipped, the rest next week", f, SENT).priority == 3
    assert prioritise("partial_shipment", "600 shipped. Please confirm whether you accept a backorder.", f,
                      SENT).priority == 2
    assert prioritise("invoice_discrepancy", "We billed 250 instead of 200; a credit note is attached.", f,
                      SENT).priority == 3
    assert prioritise("invoice_discrepancy", "We do not accept your short payment of invoice 123.", f, SENT).priority == 2
    assert prioritise("price_change", "Good news: a price decrease of 4% from May.", f, SENT).priority == 4
    assert prioritise("cancellation", "As requested, line 2 of your order is cancelled.", f, SENT).priority == 4
    assert prioritise("delivery_delay", "we are against any delay", Fields(new_date=dt.date(2026, 11, 20)),
                      SENT).priority == 2  # 'against' is not 'again'


def test_rubric_floor_on_the_labelled_corpus():
    """Exact and within-one accuracy of the rubric on the corpus must not regress."""
    from benchmarks.priority import score
    from training.dataset import load_corpus

    m = score(load_corpus())
    assert m["exact"] >= 0.66 and m["within_one"] >= 0.95, m
    assert m["exact"] > m["base_exact"]
