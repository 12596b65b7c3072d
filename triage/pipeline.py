"""Runs the stages for one signal; the only place that knows their order.

    intake -> stored Signal -> fields -> Assessment -> Odoo links -> Case -> Proposal -> Decision -> outbox

An exception the Odoo queries found skips the model and the field extraction (Odoo already
says what it is); an Odoo webhook is stored as a hint for the next Odoo round.

Each stage is a pure function elsewhere (extract, models, proposals, policies.gate,
activities.render) except linking, which reads Odoo (``odoo_links.link``) when Odoo is
configured; this module reads and writes the store around them. A signal that
fails in any stage is quarantined with its reason and the loop goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass, field
from email.utils import parseaddr

from sqlalchemy.orm import Session

from triage import outbox
from triage.activities import render
from triage.classify import explanation
from triage.domain import (
    Action,
    ApprovedDecision,
    Assessment,
    Category,
    Fields,
    Finding,
    Outcome,
    QuarantineReason,
    RecordRef,
    SignalState,
    Source,
)
from triage.document_lines import document_fields, line_findings
from triage.errors import OdooError, TriageError
from triage.ingest import Intake
from triage.ingest.files import from_eml
from triage.ingest.extract import extract_fields, month_first_sender
from triage.ingest.identifiers import ibans, supplier_refs, vat_numbers
from triage.ingest.language import detect_language
from triage.ingest.odoo_records import EXCEPTION_CATEGORY
from triage.ingest.odoo_webhook import is_hint
from triage.ingest.reply import split_reply
from triage.links import Links
from triage.models.anomaly import BANK_PRIORITY, bank_details_change
from triage.models.priority import Impact, prioritise
from triage.models.text import join_newest
from triage.gating import gate_context, supplier_key
from triage.policies.gate import decide
from triage.odoo_links import link
from triage.proposals import choose_action, propose, propose_exception
from triage.services import Services
from triage.store import repository as repo
from triage.store.tables import AssessmentRow, DecisionRow, ProposalRow, ShadowScoreRow, SignalRow
from triage.switches import writes_stopped

log = logging.getLogger(__name__)
LINK_RETRY_SECONDS = 60

# Documents are assessed by their type until the documents issue trains a model for them.
_DOC_CATEGORY = {
    "credit_note": "invoice_discrepancy",
    "invoice": "other",
    "order_confirmation": "order_confirmation",
    "delivery_note": "shipping_notice",
    "other": "other",
}


@dataclass
class FlowResult:
    """What happened to one signal (for the CLI and API)."""

    signal_id: int
    duplicate: bool
    state: str
    case_id: int | None = None
    category: str | None = None
    confidence: float | None = None
    priority: int | None = None
    action: str | None = None
    decision: str | None = None
    rule: str | None = None
    reason: str | None = None
    notes: list[str] = field(default_factory=list)
    children: list[int] = field(default_factory=list)  # signal ids of the attached documents


def _supplier(sender: str) -> str | None:
    match = re.search(r"@([\w.-]+)", sender or "")
    return match.group(1).lower() if match else (sender.strip() or None)


def assess(signal: SignalRow, services: Services) -> tuple[Assessment, str, str | None]:
    """Category and confidence from the model (or the document type): (assessment, the newest
    message, the model's input text or None for a document)."""
    if signal.source == Source.DOCUMENT.value:
        category = _DOC_CATEGORY.get(signal.doc_type or "other", "other")
        assessment = Assessment(category=category, confidence=0.9, priority=4, priority_score=0.0,
                                model_name="document-type", model_version="rules-1",
                                explanation=f"document type {signal.doc_type}")
        return assessment, signal.text, None
    newest = split_reply(signal.text).newest
    model_text = join_newest(signal.subject, newest)
    model = services.model  # one read: the alias check may swap in another version meanwhile
    prediction = model.predict([model_text])[0]
    assessment = Assessment(
        category=prediction.category, confidence=prediction.confidence, priority=4, priority_score=0.0,
        model_name=model.name, model_version=model.version, scores=prediction.scores,
        explanation=explanation(prediction, [])["summary"],
    )
    return assessment, newest, model_text


def shadow_score(session: Session, services: Services, text: str, assessment_id: int, signal_id: int) -> None:
    """The shadow model's prediction for the same text, stored beside the assessment. It never
    decides, and its failure never fails the signal."""
    shadow = services.shadow
    if shadow is None:
        return
    try:
        prediction = shadow.predict([text], explain=False)[0]
    except Exception:
        log.exception("shadow model %s v%s failed on signal %s", shadow.name, shadow.version, signal_id)
        return
    session.add(ShadowScoreRow(assessment_id=assessment_id, signal_id=signal_id, model_name=shadow.name,
                               model_version=shadow.version, category=prediction.category,
                               confidence=prediction.confidence, scores=prediction.scores))


def _join_case(session: Session, signal: SignalRow, category: str, record: RecordRef | None):
    case = repo.thread_case(session=session, thread_ids=list(signal.thread_ids or []))
    if case is None and record is not None:
        key = f"record:{record.model}:{record.name}:{category}"
        case = repo.case_by_key(session=session, key=key) or repo.create_case(
            session=session, key=key, exception_type=category, category=category, record=record)
    if case is None:
        case = repo.create_case(session=session, key=f"signal:{signal.key}", exception_type=category,
                                category=category, record=None)
    elif signal.source == Source.DOCUMENT.value:  # a document's type never re-labels its thread's case
        case.updated_at = repo.now()
        return case
    case.exception_type = case.category = category
    case.updated_at = repo.now()
    return case


def process(session: Session, signal: SignalRow, services: Services, *, now: dt.datetime | None = None) -> FlowResult:
    """Run the flow on one stored, received signal. The caller commits."""
    now = now or repo.now()
    result = FlowResult(signal_id=signal.id, duplicate=False, state=signal.state)
    if is_hint(signal.doc_type):  # an Odoo webhook: stored as a hint; the Odoo sync reads the record itself
        signal.state, signal.processed_at = SignalState.PROCESSED.value, now
        result.state = signal.state
        result.notes.append(f"hint: {signal.subject}; the Odoo sync re-reads the record by its write_date")
        return result
    if signal.source == Source.ODOO.value:
        return _process_odoo_exception(session, signal, services, now, result)
    assessment, newest, model_text = assess(signal, services)
    sent = (signal.sent_at or signal.received_at).date()
    full_text = f"{signal.subject}\n{signal.text}"
    language = detect_language(f"{signal.subject}\n{newest}")[0]
    offset = (signal.meta or {}).get("utc_offset_minutes")
    sent_at = dt.datetime.combine(sent, dt.time(), dt.timezone(dt.timedelta(minutes=offset))) if offset is not None else None
    fields = extract_fields(full_text, sent, assessment.category, month_first=month_first_sender(sent_at, language))
    document = (signal.meta or {}).get("document") if signal.source == Source.DOCUMENT.value else None
    if document:
        fields = document_fields(document, fields)
    signal.meta = {**(signal.meta or {}), "language": language}
    signal.fields = fields.as_dict()

    supplier = _supplier(signal.sender) or ((document or {}).get("fields") or {}).get("supplier_name")
    bank_change = choose_action(assessment.category, f"{signal.subject}\n{newest}", fields) is Action.VERIFY_BANK_DETAILS
    links = _link(services, signal, fields, full_text, bank_change, result, document=document)
    if document and links is not None:
        _compare_lines(services, document, links, assessment, result)
    prio = prioritise(assessment.category, f"{signal.subject}\n{newest}", fields, sent)
    assessment.priority, assessment.priority_score = prio.priority, prio.score
    if bank_change and links is not None:
        finding = bank_details_change(ibans(f"{signal.subject}\n{newest}"), links.bank_accounts,
                                      links.vendor.name if links.vendor else None)
        assessment.findings.append(finding)
        assessment.priority = BANK_PRIORITY[finding.code]
    proposal = propose(
        case_key="", assessment=assessment, fields=fields, newest_text=newest, subject=signal.subject,
        supplier=supplier, now=now, timezone=services.settings.timezone, ap_user=services.settings.odoo.ap_user,
        links=links,
    )
    case = _join_case(session, signal, assessment.category, proposal.record)
    if proposal.record is None and case.record_model:  # a thread reply inherits the case's record
        proposal.record = RecordRef(case.record_model, case.record_name, case.record_id)
    proposal.case_key = case.key
    signal.case_id = case.id
    vendor = links.vendor.name if links is not None and links.vendor else None
    suppliers = tuple(dict.fromkeys(s for s in (vendor, supplier, parseaddr(signal.sender or '')[1]) if s))
    return _decide(session, signal, services, assessment, proposal, case, now, result, model_text=model_text,
                   suppliers=suppliers, links=links)


def _compare_lines(services: Services, document: dict, links: Links, assessment: Assessment,
                   result: FlowResult) -> None:
    """An invoice's lines against its linked POs' lines and receipts: findings make it an
    invoice discrepancy (``document_lines.py``)."""
    try:
        findings, notes = line_findings(services.odoo, document, links, services.settings.findings.tolerances())
    except OdooError as exc:
        findings, notes = [], [f"lines not compared with the PO: {exc}"]
    result.notes += notes
    if findings:
        assessment.category = Category.INVOICE_DISCREPANCY.value
        assessment.findings += findings
        assessment.explanation = f"{assessment.explanation}; {len(findings)} finding(s) against the PO"


def _link(services: Services, signal: SignalRow, fields: Fields, text: str, bank_change: bool,
          result: FlowResult, *, document: dict | None = None) -> Links | None:
    """The Odoo records the signal quotes (``odoo_links.link``), kept in its meta; None when Odoo
    is not configured or cannot be asked now: the flow goes on with the references by name (the
    writer finds the record when it writes) and Odoo is not asked again for a minute."""
    if services.odoo is None:
        return None
    if time.monotonic() < services.odoo_retry_at:
        result.notes.append("links not checked: Odoo was unavailable a moment ago")
        return None
    try:
        printed = (document or {}).get("fields") or {}
        links = link(services.odoo, sender=signal.sender, po_refs=fields.po_refs, supplier_refs=supplier_refs(text),
                     invoice_refs=fields.invoice_refs, vats=[*([printed["vat"]] if printed.get("vat") else []),
                                                             *vat_numbers(text)],
                     names=[printed["supplier_name"]] if printed.get("supplier_name") else [], bank_change=bank_change)
    except OdooError as exc:
        services.odoo_retry_at = time.monotonic() + LINK_RETRY_SECONDS
        log.warning("linking signal %s to Odoo failed (links not checked): %s", signal.id, exc)
        signal.meta = {**(signal.meta or {}), "links": {"error": str(exc)}}
        result.notes.append(f"links not checked: {exc}")
        return None
    signal.meta = {**(signal.meta or {}), "links": links.as_dict()}
    return links


def _process_odoo_exception(session: Session, signal: SignalRow, services: Services, now: dt.datetime,
                            result: FlowResult) -> FlowResult:
    """An exception Odoo already shows (``ingest/odoo_records.py``): no model; its category,
    findings and record come from the query, its priority from the rubric and the impact the
    query put in the details (order value, need date, quantity short, stock-out). The priority
    reasons go into the explanation: for these signals nothing else keeps them."""
    exception = (signal.meta or {}).get("odoo_exception") or {}
    kind = exception.get("exception_type")
    if kind not in EXCEPTION_CATEGORY:
        raise ValueError(f"Odoo signal {signal.key} has no known exception type ({kind!r})")
    category = EXCEPTION_CATEGORY[kind]
    findings = [Finding(**f) for f in exception.get("findings") or []]
    details = exception.get("details") or {}
    need = details.get("need_date")
    impact = Impact(order_value=details.get("amount_total"), need_date=dt.date.fromisoformat(need) if need else None,
                    qty_short=details.get("qty_short"),
                    # no consumption rate is known: only "nothing left to cover the shortfall" is a cover
                    stock_cover_days=0.0 if details.get("stock_out") else None)
    prio = prioritise(category, signal.text, Fields(), now.date(), impact,
                      rules=services.settings.findings.impact_rules())
    assessment = Assessment(category=category, confidence=1.0, priority=prio.priority, priority_score=prio.score,
                            model_name="odoo-query", model_version=kind, findings=findings,
                            explanation=f"Odoo shows it: {signal.subject} | priority: {'; '.join(prio.reasons)}")
    record = RecordRef(exception["model"], exception["name"], exception.get("record_id"))
    proposal = propose_exception(
        exception_type=kind, assessment=assessment, record=record, summary_line=signal.subject, details=details,
        supplier=exception.get("partner"), now=now, timezone=services.settings.timezone,
        ap_user=services.settings.odoo.ap_user)
    key = f"record:{record.model}:{record.name}:{kind}"
    case = repo.case_by_key(session=session, key=key) or repo.create_case(
        session=session, key=key, exception_type=kind, category=category, record=record)
    case.updated_at = repo.now()
    proposal.case_key = case.key
    signal.case_id = case.id
    return _decide(session, signal, services, assessment, proposal, case, now, result, model_text=None,
                   suppliers=(exception["partner"],) if exception.get("partner") else ())


def _decide(session: Session, signal: SignalRow, services: Services, assessment: Assessment, proposal, case,
            now: dt.datetime, result: FlowResult, *, model_text: str | None, suppliers: tuple[str, ...],
            links: Links | None = None) -> FlowResult:
    """Store the assessment and proposal, pass the gate, queue an approved activity."""
    assessment_row = AssessmentRow(
        case_id=case.id, signal_id=signal.id, category=assessment.category, confidence=assessment.confidence,
        priority=assessment.priority, priority_score=assessment.priority_score, model_name=assessment.model_name,
        model_version=assessment.model_version, scores=assessment.scores,
        findings=[vars(f) for f in assessment.findings], explanation=assessment.explanation,
    )
    session.add(assessment_row)
    session.flush()
    if model_text is not None:
        shadow_score(session, services, model_text, assessment_row.id, signal.id)
    proposal_row = ProposalRow(
        case_id=case.id, assessment_id=assessment_row.id, action=proposal.action.value,
        exception_type=proposal.exception_type,
        record_model=proposal.record.model if proposal.record else None,
        record_name=proposal.record.name if proposal.record else None,
        record_id=proposal.record.id if proposal.record else None,
        assignee=proposal.assignee, deadline=proposal.deadline.isoformat(), summary=proposal.summary,
        note=proposal.note, evidence=proposal.evidence, supplier=supplier_key(suppliers), suppliers=list(suppliers),
        amount=proposal.amount, currency=proposal.currency, owner=proposal.owner,
    )
    session.add(proposal_row)
    session.flush()

    policy = services.policy
    context = gate_context(session, proposal, policy, now=now, timezone=services.settings.timezone,
                           suppliers=suppliers, link_problems=tuple(links.problems()) if links else (),
                           stopped=writes_stopped(session, services.policy_file))
    decision = decide(proposal, policy, context)
    decision_row = DecisionRow(
        proposal_id=proposal_row.id, outcome=decision.outcome.value, rule=decision.rule,
        trace=[r.as_dict() for r in decision.trace], policy_hash=decision.policy_hash,
        model_version=f"{assessment.model_name}:{assessment.model_version}", is_update=decision.is_update,
        assignee=decision.assignee, deadline=decision.deadline.isoformat() if decision.deadline else None,
        decided_at=now,
    )
    session.add(decision_row)
    session.flush()
    repo.audit(session, "decision", "decision", decision_row.id, outcome=decision.outcome.value,
               rule=decision.rule, trace=decision_row.trace, policy_hash=decision.policy_hash,
               model_version=decision_row.model_version, signal_id=signal.id, case_id=case.id)
    if decision.outcome is Outcome.APPROVE:
        approved = ApprovedDecision(decision=decision, decision_id=decision_row.id)
        spec = render(proposal, approved, activity_type=services.settings.odoo.activity_type)
        outbox.enqueue(session, approved, spec)

    signal.state, signal.processed_at = SignalState.PROCESSED.value, now
    result.state = signal.state
    result.case_id, result.category, result.confidence = case.id, assessment.category, assessment.confidence
    result.priority, result.action = assessment.priority, proposal.action.value
    result.decision, result.rule = decision.outcome.value, decision.rule
    return result


def run(session: Session, row: SignalRow, services: Services) -> FlowResult:
    """Run the flow on a stored, received signal inside a savepoint (an email stored unread is
    read first; its new attached documents are in ``children`` for the caller to run next). A
    failure rolls the savepoint back and counts a try: the signal stays received for a retry
    (``retry_signals``, or the reclaim job in scale-out) until ``TRIAGE_PROCESSING_TRIES``
    failures quarantine it (``processing_error``, the dead letter that ``triage replay`` takes
    back). The caller commits."""
    savepoint = session.begin_nested()
    try:
        children = read(session, row, services) if row.unread else []
        if row.state == SignalState.QUARANTINED.value:
            result = FlowResult(signal_id=row.id, duplicate=False, state=row.state, reason=row.quarantine_reason)
        else:
            result = process(session, row, services)
        result.children = [child.id for child in children]
        savepoint.commit()
        return result
    except (TriageError, ValueError, KeyError, TypeError) as exc:
        savepoint.rollback()
        log.exception("processing signal %s failed (try %d of %d)", row.id, row.tries + 1,
                      services.settings.processing_tries)
        row.tries += 1
        error = f"{type(exc).__name__}: {exc}"
        if row.tries >= services.settings.processing_tries:
            tries = f"after {row.tries} tries: " if row.tries > 1 else ""
            repo.quarantine(session=session, row=row, reason=QuarantineReason.PROCESSING_ERROR.value,
                            error=f"{tries}{error}")
        else:
            row.error = f"try {row.tries} of {services.settings.processing_tries} failed: {error}"[:2000]
        return FlowResult(signal_id=row.id, duplicate=False, state=row.state, reason=row.quarantine_reason)


def run_family(session: Session, row: SignalRow, services: Services) -> FlowResult:
    """``run``, then the attached documents its reading stored (they join its case)."""
    result = run(session, row, services)
    for child_id in result.children:
        child = session.get(SignalRow, child_id)
        if child is not None and child.state == SignalState.RECEIVED.value:
            run(session, child, services)
    return result


def store_family(session: Session, intake: Intake, services: Services, *, submitted_by: str | None = None
                 ) -> list[tuple[SignalRow, bool]]:
    """Store an intake, then its children (an email's attached PDFs), each once by its key:
    (row, duplicate) of each, the intake first."""
    return repo.store_intakes(session=session, intakes=[intake, *intake.children], submitted_by=submitted_by)


def read(session: Session, row: SignalRow, services: Services) -> list[SignalRow]:
    """An email the mailbox stored by its headers: read whole from its original (``from_eml``:
    the same key), the row completed, its attached PDFs stored as document signals; a message
    that cannot be read is quarantined with the reason. The new children (received or
    quarantined), for the caller to run after this signal."""
    raw = repo.original(session=session, sha=row.raw_sha256, raw_dir=services.settings.raw_dir)
    row.unread = False
    if raw is None:
        repo.quarantine(session=session, row=row, reason=QuarantineReason.PROCESSING_ERROR.value,
                        error="the original of this message is missing from the store")
        return []
    intake = from_eml(raw, row.raw_name or "message.eml", services.settings.limits)
    if intake.quarantine is not None:
        repo.quarantine(session=session, row=row, reason=str(intake.quarantine.reason), error=intake.quarantine.message)
        return []
    repo.update_from(row, intake.signal)
    stored = repo.store_intakes(session=session, intakes=intake.children, submitted_by=row.submitted_by)
    return [child for child, again in stored if not again]


def accept(engine, intake: Intake, services: Services, *, submitted_by: str | None = None) -> FlowResult:
    """Store an intake in its own committed transaction, for a worker to process (scale-out
    mode): the caller enqueues it only after this returns, so the worker always finds it."""
    from triage.store import session_scope

    with session_scope(engine) as session:
        (row, duplicate), *children = store_family(session, intake, services, submitted_by=submitted_by)
        return FlowResult(signal_id=row.id, duplicate=duplicate, state=row.state, reason=row.quarantine_reason,
                          children=[child.id for child, again in children if not again])


def ingest(session: Session, intake: Intake, services: Services, *, submitted_by: str | None = None) -> FlowResult:
    """Store an intake (once) and run the flow on it now (the in-process mode), then on its
    children (they join its case through the thread)."""
    (row, duplicate), *children = store_family(session, intake, services, submitted_by=submitted_by)
    if duplicate or row.state != SignalState.RECEIVED.value:
        result = FlowResult(signal_id=row.id, duplicate=duplicate, state=row.state, reason=row.quarantine_reason)
    else:
        result = run_family(session, row, services)
    for child, again in children:
        if not again and child.state == SignalState.RECEIVED.value:
            run(session, child, services)
        result.children.append(child.id)
    return result
