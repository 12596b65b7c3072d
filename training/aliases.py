"""Moving a registry alias, always with an entry in the store's audit log (who, when, what).

Training moves ``challenger`` and ``champion`` through here, and so does ``python -m
training.promote``; with the service's own ``model_served`` entries, the audit log answers
which model served at any time.
"""

from __future__ import annotations

from typing import Any

import model_registry
from triage.config import Settings


def move_alias(settings: Settings, alias: str, version: str, *, by: str, **data: Any) -> str | None:
    """Point ``alias`` at ``version`` and audit it; returns the version it pointed to before."""
    from triage.services import open_store
    from triage.store import repository as repo
    from triage.store import session_scope

    name = settings.model.name
    previous = model_registry.alias_version(name, alias)
    model_registry.set_alias(name, alias, version)
    engine = open_store(settings)
    try:
        with session_scope(engine) as session:
            repo.audit(session, "model_alias_moved", "model", None, name=name, alias=alias, version=version,
                       previous=previous, by=by, **data)
    finally:
        engine.dispose()
    return previous


def alias_history(settings: Settings) -> list[dict[str, Any]]:
    """Alias moves and what services served, oldest first."""
    from sqlalchemy import select

    from triage.services import open_store
    from triage.store import session_scope
    from triage.store.tables import AuditEventRow

    kinds = ("model_alias_moved", "model_served", "model_load_failed")
    engine = open_store(settings)
    try:
        with session_scope(engine) as session:
            rows = session.scalars(select(AuditEventRow).where(AuditEventRow.kind.in_(kinds))
                                   .order_by(AuditEventRow.id)).all()
            return [{"at": row.at.isoformat(timespec="seconds"), "kind": row.kind, **row.data} for row in rows]
    finally:
        engine.dispose()
