"""Feedback as labels, and the shadow report, on constructed rows in real stores (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest

from training.feedback import feedback_labels
from training.shadow import compare, shadow_report
from triage.store import connect, migrate, session_scope
from triage.store.tables import ActivityRow, AssessmentRow, CaseRow, FeedbackRow, ShadowScoreRow, SignalRow

pytestmark = pytest.mark.integration

T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)


def _case(session, n: int, category: str, outcome: str | None, *, source="email", shadow: str | None = None,
          reviewed_at=T0 + dt.timedelta(days=1), extra_later_assessment: str | None = None):
    case = CaseRow(key=f"case-{n}", exception_type=category, category=category)
    session.add(case)
    session.flush()

    def assess(text: str, cat: str, at: dt.datetime):
        signal = SignalRow(key=f"sig-{n}-{text[:8]}", source=source, subject=f"Subject {n}", text=text, case_id=case.id)
        session.add(signal)
        session.flush()
        row = AssessmentRow(case_id=case.id, signal_id=signal.id, category=cat, confidence=0.9, priority=2,
                            priority_score=0.7, model_name="triage-classifier", model_version="1", created_at=at)
        session.add(row)
        session.flush()
        return row

    assessment = assess(f"email body {n}", category, T0)
    if shadow:
        session.add(ShadowScoreRow(assessment_id=assessment.id, signal_id=assessment.signal_id,
                                   model_name="triage-classifier", model_version="2", category=shadow, confidence=0.8))
    if extra_later_assessment:  # a reply after the review: not what the buyer reviewed
        assess(f"later reply {n}", extra_later_assessment, reviewed_at + dt.timedelta(hours=1))
    activity = ActivityRow(key=f"k{n}", triage_ref=f"T{n}", case_id=case.id, sink="odoo", res_model="purchase.order",
                           res_name=f"P{n:05d}", summary="s", note_html="n", deadline="2026-11-05")
    session.add(activity)
    session.flush()
    if outcome:
        session.add(FeedbackRow(activity_id=activity.id, outcome=outcome, received_at=reviewed_at))


@pytest.fixture
def session(store_url):
    engine = connect(store_url)
    migrate(engine)
    with session_scope(engine) as s:
        yield s
    engine.dispose()


def test_done_confirms_cancelled_rejects_resolved_and_documents_never_count(session):
    _case(session, 1, "delivery_delay", "done", shadow="delivery_delay")
    _case(session, 2, "price_change", "cancelled", shadow="other")
    _case(session, 3, "order_confirmation", "resolved")
    _case(session, 4, "invoice_discrepancy", "done", source="document")
    _case(session, 5, "quality_issue", None)  # no review yet
    _case(session, 6, "shipping_notice", "done", extra_later_assessment="delivery_delay")
    session.flush()
    labels = feedback_labels(session=session)
    assert [(label.category, label.outcome) for label in labels] == [
        ("delivery_delay", "done"), ("price_change", "cancelled"), ("shipping_notice", "done")]
    assert labels[0].text == "Subject 1\nemail body 1" and labels[0].shadow == {"2": "delivery_delay"}
    assert labels[0].confirmed and not labels[1].confirmed
    assert feedback_labels(session=session, since=T0 + dt.timedelta(days=2)) == []


def test_shadow_report_on_the_store(session):
    _case(session, 1, "delivery_delay", "done", shadow="delivery_delay")
    _case(session, 2, "price_change", "cancelled", shadow="other")
    _case(session, 3, "cancellation", "done", shadow="other")
    _case(session, 4, "other", None, shadow="other")  # scored, not reviewed
    session.flush()
    [report] = shadow_report(session=session)
    assert report.shadow_version == "2" and report.scored == 4 and report.agreement == 0.5
    assert (report.served.right, report.served.wrong, report.served.avoided) == (2, 1, 0)
    assert (report.shadow.right, report.shadow.wrong, report.shadow.avoided) == (1, 1, 1)
    assert report.served.accuracy == 0.6667 and report.shadow.accuracy == 0.5


def test_compare_without_feedback_reports_agreement_only():
    [report] = compare([("3", "other", "other"), ("3", "other", "price_change")], [])
    assert report.agreement == 0.5 and report.shadow.reviewed == 0 and report.shadow.accuracy is None
