"""``triage status``: counts and health in the shape of ARCHITECTURE.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.domain import CATEGORIES, Outcome, SignalState, Source
from triage.store.repository import count_by
from triage.store.tables import (
    CaseRow,
    DecisionRow,
    FeedbackRow,
    OutboxRow,
    SignalRow,
    SourceCheckpointRow,
)


def _zeros(keys, counts: dict[str, int]) -> dict[str, int]:
    return {**{k: 0 for k in keys}, **counts}


def status(session: Session, *, model: dict[str, str | None]) -> dict[str, Any]:
    mailboxes = {
        row.name: {
            "last_success": row.last_success.isoformat() if row.last_success else None,
            "last_error": row.last_error,
            "messages": _zeros(["seen", "stored", "duplicates", "quarantined", "documents"], dict(row.cursor or {})),
            "quarantined_by_reason": {},
        }
        for row in session.scalars(select(SourceCheckpointRow).where(SourceCheckpointRow.source == "imap"))
    }
    folders = {name.split("/", 1)[-1]: entry for name, entry in mailboxes.items()}
    for reason, meta in session.execute(select(SignalRow.quarantine_reason, SignalRow.meta).where(
            SignalRow.submitted_by == "imap", SignalRow.state == SignalState.QUARANTINED.value)):
        entry = folders.get((meta or {}).get("mailbox"))
        if entry is not None:
            entry["quarantined_by_reason"][reason] = entry["quarantined_by_reason"].get(reason, 0) + 1
    odoo = {
        row.name: {
            "last_success": row.last_success.isoformat() if row.last_success else None,
            "last_error": row.last_error,
        }
        for row in session.scalars(select(SourceCheckpointRow).where(SourceCheckpointRow.source == "odoo"))
    }
    return {
        "signals": {
            "by_source": _zeros([s.value for s in Source], count_by(session, SignalRow.source)),
            "by_state": _zeros([s.value for s in SignalState], count_by(session, SignalRow.state)),
            # failed at least once, waiting for a retry before TRIAGE_PROCESSING_TRIES dead-letters them
            "retrying": session.scalar(select(func.count()).select_from(SignalRow).where(
                SignalRow.state == SignalState.RECEIVED.value, SignalRow.tries > 0)),
        },
        "quarantine": {"by_reason": count_by(session, SignalRow.quarantine_reason,
                                             SignalRow.state == SignalState.QUARANTINED.value)},
        "cases": {"by_category": _zeros(CATEGORIES, count_by(session, CaseRow.category))},
        "decisions": {"by_outcome": _zeros([o.value for o in Outcome], count_by(session, DecisionRow.outcome)),
                      # the hold queue by the rule that held (what an operations lead asks first)
                      "held_by_rule": count_by(session, DecisionRow.rule, DecisionRow.outcome == Outcome.HOLD.value)},
        "outbox": {"by_state": _zeros(["pending", "sent", "failed"], count_by(session, OutboxRow.state)),
                   "errors": write_errors(session)},
        "feedback": {"by_outcome": _zeros(["done", "cancelled", "resolved"], count_by(session, FeedbackRow.outcome))},
        "mailboxes": mailboxes,
        "odoo": odoo,
        "model": model,
    }


def write_errors(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The newest writes that failed or wait for a retry, with Odoo's reason."""
    rows = session.scalars(select(OutboxRow).where(OutboxRow.last_error.is_not(None),
                                                   OutboxRow.state.in_(("failed", "pending")))
                           .order_by(OutboxRow.id.desc()).limit(limit))
    return [{"decision_id": row.decision_id, "state": row.state, "attempts": row.attempts,
             "record": f"{row.payload.get('res_model')} {row.payload.get('res_name')}", "error": row.last_error}
            for row in rows]
