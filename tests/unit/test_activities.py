import datetime as dt

from triage.activities import DryRunWriter, render
from triage.domain import Action, ApprovedDecision, Decision, Outcome, Proposal, RecordRef


def test_note_is_escaped_and_carries_the_reference():
    proposal = Proposal(case_key="k", exception_type="quality_issue", action=Action.OPEN_QUALITY_CLAIM,
                        record=RecordRef("purchase.order", "P00009"), assignee=None, deadline=dt.date(2026, 11, 23),
                        summary="Open quality claim on P00009", note="Subject: <script>alert(1)</script>",
                        category="quality_issue", confidence=0.9, priority=2, evidence=["a & b <img src=x>"])
    approved = ApprovedDecision(Decision(Outcome.APPROVE, "one_open_activity", (), "h"), decision_id=42)
    spec = render(proposal, approved, activity_type="mail.mail_activity_data_todo")
    assert "<script>" not in spec.note_html and "&lt;script&gt;" in spec.note_html
    assert "&lt;img src=x&gt;" in spec.note_html
    assert f"triage-ref:{spec.triage_ref}" in spec.note_html
    assert spec.key == "purchase.order:P00009:quality_issue"
    writer = DryRunWriter()
    assert writer.write(spec) is None and list(writer.written) == [spec]
