import datetime as dt

from triage.domain import Action, Assessment, Fields
from triage.proposals import add_working_days, choose_action, deadline, propose, target_record

NOW = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)  # a Friday


def _assessment(category, priority=2, confidence=0.9):
    return Assessment(category=category, confidence=confidence, priority=priority, priority_score=0.7,
                      model_name="m", model_version="1")


def test_actions_from_the_catalog():
    assert choose_action("delivery_delay", "x", Fields(new_date=dt.date(2026, 12, 1))) is Action.REVIEW_NEW_DATE
    assert choose_action("delivery_delay", "no date yet", Fields()) is Action.CHASE_SUPPLIER
    assert choose_action("invoice_discrepancy", "you billed us twice", Fields()) is Action.CHECK_DUPLICATE_BILL
    assert choose_action("other", "Please update our new bank details", Fields()) is Action.VERIFY_BANK_DETAILS
    assert choose_action("other", "Merry Christmas", Fields()) is Action.NONE
    assert choose_action("shipping_notice", "shipped", Fields()) is Action.NONE


def test_target_record_prefers_the_bill_for_money_matters():
    fields = Fields(po_refs=["P00001"], invoice_refs=["INV-1"])
    assert target_record("invoice_discrepancy", Action.REVIEW_BILL_MISMATCH, fields, "s.example").model == "account.move"
    assert target_record("delivery_delay", Action.REVIEW_NEW_DATE, fields, "s.example").name == "P00001"
    assert target_record("delivery_delay", Action.REVIEW_NEW_DATE, Fields(), "s.example") is None


def test_deadlines_skip_weekends():
    assert add_working_days(dt.date(2026, 11, 20), 1) == dt.date(2026, 11, 23)
    assert add_working_days(dt.date(2026, 11, 21), 0) == dt.date(2026, 11, 23)
    assert deadline(1, NOW, "UTC") == dt.date(2026, 11, 20)
    # 16:00 UTC on Friday is already Saturday in Auckland
    assert deadline(1, NOW, "Pacific/Auckland") == dt.date(2026, 11, 23)


def test_proposal_summary_note_and_evidence():
    p = propose(case_key="k", assessment=_assessment("delivery_delay"),
                fields=Fields(po_refs=["P00413"], new_date=dt.date(2026, 12, 7)),
                newest_text="We can only deliver on 7 December.", subject="P00413 delay",
                supplier="bearings.example", now=NOW, timezone="UTC")
    assert p.action is Action.REVIEW_NEW_DATE
    assert p.summary == "Review new delivery date on P00413 (new date 2026-12-07)"
    assert "priority P2" in p.note
    assert p.evidence == ["We can only deliver on 7 December."]
    assert p.deadline == dt.date(2026, 11, 23)
