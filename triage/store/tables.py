"""SQLAlchemy 2 tables of the store. Migrations in ``migrations/versions`` must match these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UTCDateTime}


class SignalRow(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)
    source: Mapped[str] = mapped_column(String(20), index=True)
    state: Mapped[str] = mapped_column(String(20), index=True, default="received")
    quarantine_reason: Mapped[str | None] = mapped_column(String(40), index=True)
    error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]
    subject: Mapped[str] = mapped_column(Text, default="")
    sender: Mapped[str] = mapped_column(String(320), default="")
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    thread_ids: Mapped[list[Any]] = mapped_column(default=list)
    doc_type: Mapped[str | None] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    raw_sha256: Mapped[str | None] = mapped_column(String(64))
    raw_name: Mapped[str | None] = mapped_column(String(500))
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    processed_at: Mapped[dt.datetime | None]
    submitted_by: Mapped[str | None] = mapped_column(String(100))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    # stored from its headers (the mailbox); the flow reads the body from the original first
    unread: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # failed processing attempts


class OriginalRow(Base):
    """The original bytes of every intake, content-addressed (a signal's ``raw_sha256``): kept
    in the same transaction as the signal, and reachable from every worker of a deployment."""

    __tablename__ = "originals"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    kept_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CaseRow(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(600), unique=True)
    exception_type: Mapped[str] = mapped_column(String(40), index=True)
    category: Mapped[str | None] = mapped_column(String(40), index=True)
    record_model: Mapped[str | None] = mapped_column(String(64))
    record_name: Mapped[str | None] = mapped_column(String(200))
    record_id: Mapped[int | None]
    state: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AssessmentRow(Base):
    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    priority: Mapped[int]
    priority_score: Mapped[float] = mapped_column(Float)
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(100))
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    findings: Mapped[list[Any]] = mapped_column(default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ShadowScoreRow(Base):
    """A shadow model's prediction for a signal the served model assessed; it never decides."""

    __tablename__ = "shadow_scores"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(100), index=True)
    category: Mapped[str] = mapped_column(String(40))
    confidence: Mapped[float] = mapped_column(Float)
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ProposalRow(Base):
    __tablename__ = "proposals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"))
    action: Mapped[str] = mapped_column(String(40))
    exception_type: Mapped[str] = mapped_column(String(40))
    record_model: Mapped[str | None] = mapped_column(String(64))
    record_name: Mapped[str | None] = mapped_column(String(200))
    record_id: Mapped[int | None]
    assignee: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    supplier: Mapped[str | None] = mapped_column(String(200), index=True)  # who the per-supplier cap counts
    suppliers: Mapped[list[Any] | None] = mapped_column(default=list)  # every name the supplier lists match
    amount: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    owner: Mapped[str | None] = mapped_column(String(100))  # the record's buyer in Odoo ("user:<id>")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DecisionRow(Base):
    __tablename__ = "decisions"
    # the gate counts today's approvals under its caps: equality on the outcome, a range on the
    # day (the outcome index alone covers every approval ever made)
    __table_args__ = (Index("ix_decisions_outcome_decided_at", "outcome", "decided_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(10), index=True)
    rule: Mapped[str] = mapped_column(String(100))
    trace: Mapped[list[Any]] = mapped_column(default=list)
    policy_hash: Mapped[str] = mapped_column(String(64))
    model_version: Mapped[str | None] = mapped_column(String(100))
    is_update: Mapped[bool] = mapped_column(default=False)
    assignee: Mapped[str | None] = mapped_column(String(200))  # the activity's (an escalation changes it)
    deadline: Mapped[str | None] = mapped_column(String(10))  # the activity's (the deadline rule may move it)
    reviewer: Mapped[str | None] = mapped_column(String(200))
    reviewed_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)  # by the gate or the reviewer
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class OutboxRow(Base):
    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), unique=True)
    activity_key: Mapped[str | None] = mapped_column(String(300), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(10), index=True, default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class ActivityRow(Base):
    __tablename__ = "activities"
    # the gate's open-activity lookup: the key and the state together (without statistics SQLite
    # would scan every open activity through the state index)
    __table_args__ = (Index("ix_activities_key_state", "key", "state"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    triage_ref: Mapped[str] = mapped_column(String(64), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    sink: Mapped[str] = mapped_column(String(20))
    res_model: Mapped[str] = mapped_column(String(64))
    res_name: Mapped[str] = mapped_column(String(200))
    res_id: Mapped[int | None]
    odoo_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(Text)
    note_html: Mapped[str] = mapped_column(Text)
    deadline: Mapped[str] = mapped_column(String(10))
    assignee: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default="open", index=True)
    updates: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuditEventRow(Base):
    """Append-only: rows are inserted, never updated or deleted."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SourceCheckpointRow(Base):
    __tablename__ = "source_checkpoints"
    __table_args__ = (UniqueConstraint("source", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(300))
    uidvalidity: Mapped[int | None]
    last_uid: Mapped[int | None]
    cursor: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_success: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiKeyRow(Base):
    """An API key: only its SHA-256 is stored; ``prefix`` finds it without scanning hashes."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


class SwitchRow(Base):
    """Operational switches set through the CLI or the API (the kill switch), with who set them."""

    __tablename__ = "switches"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    on: Mapped[bool] = mapped_column(Boolean, default=False)
    reason: Mapped[str] = mapped_column(Text, default="")
    set_by: Mapped[str] = mapped_column(String(200), default="")
    set_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
