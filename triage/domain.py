"""The project's vocabulary as plain data: no I/O, no sessions, no models.

Signal -> (Fields) -> Assessment (+ Findings) -> Case -> Proposal -> Decision -> Activity -> Feedback.
See docs/ARCHITECTURE.md for what each means.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Category(StrEnum):
    DELIVERY_DELAY = "delivery_delay"
    PARTIAL_SHIPMENT = "partial_shipment"
    PRICE_CHANGE = "price_change"
    INVOICE_DISCREPANCY = "invoice_discrepancy"
    ORDER_CONFIRMATION = "order_confirmation"
    CANCELLATION = "cancellation"
    QUALITY_ISSUE = "quality_issue"
    PAYMENT_REMINDER = "payment_reminder"
    SHIPPING_NOTICE = "shipping_notice"
    OTHER = "other"


CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)

# The exceptions Odoo itself shows (their cases' exception types; e-mail cases use the category).
ODOO_EXCEPTION_TYPES: tuple[str, ...] = ("late_receipt", "unconfirmed_po", "overdue_transfer", "bill_mismatch",
                                         "duplicate_bill")


class Source(StrEnum):
    EMAIL = "email"
    DOCUMENT = "document"
    ODOO = "odoo"
    WEBHOOK = "webhook"
    API = "api"


class SignalState(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    QUARANTINED = "quarantined"


class QuarantineReason(StrEnum):
    """The fixed list of reasons an input is quarantined (counted in status and metrics)."""

    MALFORMED_MIME = "malformed_mime"
    BAD_CHARSET = "bad_charset"
    OVERSIZED = "oversized"
    UNSUPPORTED_TYPE = "unsupported_type"
    INVALID_JSON = "invalid_json"
    PDF_ENCRYPTED = "pdf_encrypted"
    PDF_CORRUPT = "pdf_corrupt"
    PDF_NO_TEXT = "pdf_no_text"
    PDF_TOO_MANY_PAGES = "pdf_too_many_pages"
    PDF_TIMEOUT = "pdf_timeout"
    PDF_MEMORY = "pdf_memory"
    EMPTY = "empty"
    PROCESSING_ERROR = "processing_error"


class Outcome(StrEnum):
    APPROVE = "approve"
    HOLD = "hold"
    REJECT = "reject"


class Action(StrEnum):
    """The action catalog: what a proposal can ask of a person (the policy refers to these)."""

    CHASE_SUPPLIER = "chase_supplier"
    REVIEW_NEW_DATE = "review_new_date"
    DECIDE_BACKORDER = "decide_backorder"
    REVIEW_PRICE_CHANGE = "review_price_change"
    REVIEW_BILL_MISMATCH = "review_bill_mismatch"
    CHECK_DUPLICATE_BILL = "check_duplicate_bill"
    OPEN_QUALITY_CLAIM = "open_quality_claim"
    FIND_ALTERNATIVE_SOURCE = "find_alternative_source"
    CHECK_PAYMENT_STATUS = "check_payment_status"
    VERIFY_BANK_DETAILS = "verify_bank_details"
    NONE = "none"


@dataclass(frozen=True)
class Money:
    value: float
    currency: str

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "currency": self.currency}


@dataclass
class Fields:
    """What extraction found in a signal's text (the classify output's ``fields``)."""

    po_refs: list[str] = field(default_factory=list)
    invoice_refs: list[str] = field(default_factory=list)
    new_date: dt.date | None = None
    amounts: list[Money] = field(default_factory=list)
    tracking_numbers: list[str] = field(default_factory=list)
    sku_refs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "po_refs": list(self.po_refs),
            "invoice_refs": list(self.invoice_refs),
            "new_date": self.new_date.isoformat() if self.new_date else None,
            "amounts": [m.as_dict() for m in self.amounts],
            "tracking_numbers": list(self.tracking_numbers),
            "sku_refs": list(self.sku_refs),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Fields:
        data = data or {}
        new_date = data.get("new_date")
        return cls(
            po_refs=list(data.get("po_refs") or []),
            invoice_refs=list(data.get("invoice_refs") or []),
            new_date=dt.date.fromisoformat(new_date) if new_date else None,
            amounts=[Money(float(a["value"]), str(a["currency"])) for a in data.get("amounts") or []],
            tracking_numbers=list(data.get("tracking_numbers") or []),
            sku_refs=list(data.get("sku_refs") or []),
        )


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int
    sha256: str


@dataclass
class Signal:
    """One ingested thing, ready for the flow (the store adds its id)."""

    key: str
    source: Source
    received_at: dt.datetime
    subject: str = ""
    text: str = ""
    sender: str = ""
    sent_at: dt.datetime | None = None
    message_id: str | None = None
    thread_ids: list[str] = field(default_factory=list)
    doc_type: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass
class Finding:
    """A measured anomaly with its numbers and a sentence a buyer understands."""

    code: str
    message: str
    numbers: dict[str, float] = field(default_factory=dict)


@dataclass
class Assessment:
    category: str
    confidence: float
    priority: int
    priority_score: float
    model_name: str
    model_version: str
    scores: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    explanation: str = ""


@dataclass(frozen=True)
class RecordRef:
    """An Odoo record a case is about; ``id`` is known once Odoo has been asked."""

    model: str
    name: str
    id: int | None = None


@dataclass
class Case:
    key: str
    exception_type: str
    record: RecordRef | None = None
    id: int | None = None


@dataclass
class Proposal:
    case_key: str
    exception_type: str
    action: Action
    record: RecordRef | None
    assignee: str | None
    deadline: dt.date
    summary: str
    note: str
    category: str
    confidence: float
    priority: int
    amount: float | None = None
    supplier: str | None = None
    evidence: list[str] = field(default_factory=list)
    id: int | None = None
    currency: str | None = None  # of ``amount``
    owner: str | None = None  # the record's buyer as Odoo names it ("user:<id>"), who gets it when no assignee is set


@dataclass(frozen=True)
class RuleResult:
    rule: str
    outcome: Outcome | None  # None: the rule passed and did not decide
    detail: str
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "outcome": self.outcome.value if self.outcome else None,
            "detail": self.detail,
            "inputs": self.inputs,
        }


@dataclass(frozen=True)
class Decision:
    """The gate's verdict. ``assignee`` and ``deadline`` are what the activity gets: the
    proposal's, unless a rule changed them (an amount escalation, a deadline rule)."""

    outcome: Outcome
    rule: str
    trace: tuple[RuleResult, ...]
    policy_hash: str
    is_update: bool = False
    assignee: str | None = None
    deadline: dt.date | None = None


@dataclass(frozen=True)
class ApprovedDecision:
    """The only thing the outbox and the Odoo writer accept.

    Built only by ``approved()`` from a Decision whose outcome is approve, so an unapproved
    decision cannot reach Odoo by construction.
    """

    decision: Decision
    decision_id: int

    def __post_init__(self) -> None:
        if self.decision.outcome is not Outcome.APPROVE:
            raise TypeError(f"decision {self.decision_id} is {self.decision.outcome}, not approve")


@dataclass(frozen=True)
class ActivitySpec:
    """What the writer puts in Odoo: one mail.activity on a record."""

    key: str  # (record, exception type): one open activity per key
    triage_ref: str
    res_model: str
    res_name: str
    res_id: int | None
    summary: str
    note_html: str
    deadline: dt.date
    assignee: str | None
    activity_type: str
    update: bool = False
