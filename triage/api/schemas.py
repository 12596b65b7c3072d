"""Request and response bodies of the HTTP API (OpenAPI carries their examples)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")
MAX_ID = 2**31 - 1  # ids and offsets fit a 32-bit integer column on every store

EMAIL_EXAMPLE = {
    "id": "mail-1",
    "subject": "P00412 - new delivery date",
    "body": "Dear buyer, due to a machine breakdown the bearings of your order P00412 will now arrive "
            "on 17 November 2026 instead of 27 October. Best regards, Nordic Bearing Supply",
    "from": "Anna Berg <anna.berg@nordicbearing.example>",
    "date": "2026-11-02T09:12:00+01:00",
}


class Attachment(BaseModel):
    filename: str
    content_type: str
    content_base64: str


class EmailRow(BaseModel):
    """An email as JSON (classify input, ``POST /v1/signals``)."""

    model_config = ConfigDict(populate_by_name=True, json_schema_extra={"examples": [EMAIL_EXAMPLE]})

    id: str | int | None = None
    subject: str = Field(max_length=2000)
    body: str
    from_: str = Field(default="", alias="from")
    date: str | None = Field(default=None, description="RFC 2822 or ISO 8601")
    to: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)


class SignalAccepted(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"id": 42, "state": "processed", "duplicate": False}]})

    id: int
    state: str = Field(description="received | processed | quarantined")
    duplicate: bool
    reason: str | None = Field(default=None, description="the quarantine reason, when quarantined")


class Money(BaseModel):
    value: float
    currency: str


class Fields(BaseModel):
    po_refs: list[str] = []
    invoice_refs: list[str] = []
    new_date: dt.date | None = None
    amounts: list[Money] = []
    tracking_numbers: list[str] = []
    sku_refs: list[str] = []


class Neighbour(BaseModel):
    id: str
    category: str
    similarity: float
    subject: str


class Explanation(BaseModel):
    summary: str
    scores: dict[str, float] = {}
    terms: list[str] = Field(default=[], description="words that pushed the model towards the category")
    cues: list[str] = Field(default=[], description="cue-lexicon topics that pushed it there")
    nearest: list[Neighbour] = Field(default=[], description="the most similar labelled training emails")
    priority_reasons: list[str] = []


class ClassifyRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"rows": [EMAIL_EXAMPLE]}]})

    rows: list[EmailRow] = Field(min_length=1, max_length=500)


class ClassifyResult(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "mail-1", "category": "delivery_delay", "confidence": 0.93, "priority": 2,
        "fields": {"po_refs": ["P00412"], "invoice_refs": [], "new_date": "2026-11-17", "amounts": [],
                   "tracking_numbers": [], "sku_refs": []},
        "low_confidence": False, "language": "en",
        "explanation": {
            "summary": "delivery_delay 0.93; order_confirmation 0.03; shipping_notice 0.01 | words: postponed, eta",
            "scores": {"delivery_delay": 0.93, "order_confirmation": 0.03, "shipping_notice": 0.01},
            "terms": ["postponed", "eta"], "cues": ["cue_delay"],
            "nearest": [{"id": "delivery_delay-001", "category": "delivery_delay", "similarity": 0.71,
                         "subject": "P01187 - new ETA"}],
            "priority_reasons": ["delay of 9 days"]}}]})

    id: str | int | None
    category: str
    confidence: float
    low_confidence: bool = False
    priority: int = Field(ge=1, le=4)
    language: str = Field(default="und", description="ISO 639-1 code of the newest message; und when unsure")
    fields: Fields
    explanation: Explanation | None = None


class ClassifyResponse(BaseModel):
    results: list[ClassifyResult]
    model: dict[str, str]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class RuleStep(BaseModel):
    rule: str
    outcome: str | None
    detail: str
    inputs: dict[str, Any] = {}


class WriteRead(BaseModel):
    """An approved decision's write to Odoo (the outbox): pending (with the retry time), sent, or
    failed with Odoo's reason (validation and access errors are not retried)."""

    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None


class DecisionRead(BaseModel):
    id: int
    outcome: str
    rule: str
    trace: list[RuleStep]
    policy_hash: str
    model_version: str | None
    is_update: bool
    assignee: str | None = None  # the activity's, after an amount escalation
    deadline: dt.date | None = None  # the activity's, after the deadline rule
    reviewer: str | None
    reviewed_at: dt.datetime | None
    created_at: dt.datetime
    write: WriteRead | None = None


class ProposalRead(BaseModel):
    id: int
    action: str
    exception_type: str
    record_model: str | None
    record_name: str | None
    assignee: str | None
    deadline: dt.date
    summary: str
    note: str
    evidence: list[str]
    supplier: str | None = None
    amount: float | None = None
    currency: str | None = None


class Finding(BaseModel):
    code: str
    message: str
    numbers: dict[str, float] = {}


class AssessmentRead(BaseModel):
    id: int
    signal_id: int
    category: str
    confidence: float
    priority: int
    priority_score: float
    model_name: str
    model_version: str
    findings: list[Finding]
    explanation: str
    created_at: dt.datetime
    proposal: ProposalRead | None = None
    decision: DecisionRead | None = None


class SignalRead(BaseModel):
    id: int
    source: str
    state: str
    quarantine_reason: str | None
    subject: str
    sender: str
    received_at: dt.datetime
    sent_at: dt.datetime | None
    doc_type: str | None
    fields: dict[str, Any]


class QuarantinedSignal(BaseModel):
    id: int
    source: str
    reason: str | None
    error: str | None = Field(description="why, in words (for a failed processing: the last error)")
    tries: int = Field(description="failed processing attempts")
    subject: str
    sender: str
    raw_name: str | None
    received_at: dt.datetime


class ReplayRequest(BaseModel):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(default_factory=list, max_length=500,
                                                               description="signal ids; none: by reason")
    reason: str | None = Field(default=None, max_length=40, description="every quarantined signal with this reason")


class ReplayResult(BaseModel):
    signal_id: int
    outcome: str = Field(description="processed | retrying | quarantined | duplicate | missing")
    detail: str = ""


class CaseSummary(BaseModel):
    id: int
    exception_type: str
    category: str | None
    state: str
    record_model: str | None
    record_name: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    confidence: float | None = None
    priority: int | None = None
    action: str | None = None
    outcome: str | None = None


class CaseRead(CaseSummary):
    signals: list[SignalRead]
    assessments: list[AssessmentRead]


class HeldDecision(BaseModel):
    decision: DecisionRead
    case_id: int
    proposal: ProposalRead


class RecordLink(BaseModel):
    model: str = Field(pattern=r"^(purchase\.order|account\.move|stock\.picking|res\.partner)$")
    name: str = Field(min_length=1, max_length=200)


class ReviewRequest(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"comment": "checked with the supplier by phone"}]})

    comment: str = Field(default="", max_length=2000)
    record: RecordLink | None = Field(default=None, description="link an unlinked proposal to this record")


class ModelInfo(BaseModel):
    name: str
    alias: str
    version: str | None
    classes: list[str]
    loaded: bool


class Health(BaseModel):
    status: str
    checks: dict[str, str] = {}


class KillSwitchRead(BaseModel):
    on: bool
    reason: str
    set_by: str
    set_at: dt.datetime


class PolicyRead(BaseModel):
    policy_file: str
    hash: str
    writes_stopped: str | None = Field(description="why nothing is written to Odoo now; null: writes go ahead")
    store_switch: KillSwitchRead | None = Field(description="the kill switch as last set through the CLI or API")


class KillSwitchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    on: bool
    reason: str = Field("", max_length=500)


class SimulateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: str | None = Field(None, max_length=200_000,
                               description="the policy YAML to try (default: the policy in force)")
    since: str = Field("30d", max_length=40, description="30d, 12h, 2w or a date")
    examples: int = Field(5, ge=0, le=50)
