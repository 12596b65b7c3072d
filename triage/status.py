"""``triage status``: counts and health in the shape of ARCHITECTURE.md."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
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
        }
        for row in session.scalars(select(SourceCheckpointRow).where(SourceCheckpointRow.source == "imap"))
    }
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
        },
        "quarantine": {"by_reason": count_by(session, SignalRow.quarantine_reason,
                                             SignalRow.state == SignalState.QUARANTINED.value)},
        "cases": {"by_category": _zeros(CATEGORIES, count_by(session, CaseRow.category))},
        "decisions": {"by_outcome": _zeros([o.value for o in Outcome], count_by(session, DecisionRow.outcome))},
        "outbox": {"by_state": _zeros(["pending", "sent", "failed"], count_by(session, OutboxRow.state)),
                   "errors": _write_errors(session)},
        "feedback": {"by_outcome": _zeros(["done", "cancelled", "resolved"], count_by(session, FeedbackRow.outcome))},
        "mailboxes": mailboxes,
        "odoo": odoo,
        "model": model,
    }


def _write_errors(session: Session, limit: int = 20) -> list[dict[str, Any]]:
    """The newest writes that failed or wait for a retry, with Odoo's reason."""
    rows = session.scalars(select(OutboxRow).where(OutboxRow.last_error.is_not(None),
                                                   OutboxRow.state.in_(("failed", "pending")))
                           .order_by(OutboxRow.id.desc()).limit(limit))
    return [{"decision_id": row.decision_id, "state": row.state, "attempts": row.attempts,
             "record": f"{row.payload.get('res_model')} {row.payload.get('res_name')}", "error": row.last_error}
            for row in rows]
