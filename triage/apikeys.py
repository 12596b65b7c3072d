"""API keys with scopes: created once (shown once), stored as a SHA-256, revocable.

A key looks like ``trg_<prefix>_<secret>``; the prefix finds the row, the hash of the whole
key is compared in constant time. Scopes: ``ingest`` (post signals, classify), ``review``
(read cases, approve or reject held decisions), ``admin`` (everything).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from triage.errors import TriageError
from triage.store.repository import now
from triage.store.tables import ApiKeyRow

SCOPES = ("ingest", "review", "admin")


class ApiKeyError(TriageError):
    pass


@dataclass(frozen=True)
class Principal:
    """Who is calling: the key's name and scopes."""

    name: str
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def parse_scopes(text: str) -> list[str]:
    scopes = sorted({s.strip() for s in text.split(",") if s.strip()})
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        raise ApiKeyError(f"unknown or missing scope(s) {unknown}: choose from {', '.join(SCOPES)}")
    return scopes


def create_key(*, session: Session, name: str, scopes: list[str]) -> str:
    """A new key; returns it (the only time it exists in clear)."""
    if not name.strip():
        raise ApiKeyError("a key needs a name")
    prefix = secrets.token_hex(6)
    key = f"trg_{prefix}_{secrets.token_urlsafe(32)}"
    session.add(ApiKeyRow(name=name.strip(), prefix=prefix, key_hash=_hash(key), scopes=scopes))
    session.flush()
    return key


def revoke_key(*, session: Session, name: str) -> int:
    """Revoke every active key with this name; returns how many."""
    rows = session.scalars(select(ApiKeyRow).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))).all()
    for row in rows:
        row.revoked_at = now()
    return len(rows)


def authenticate(*, session: Session, key: str) -> Principal | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "trg":
        return None
    row = session.scalar(select(ApiKeyRow).where(ApiKeyRow.prefix == parts[1]))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.key_hash, _hash(key)):
        return None
    row.last_used_at = now()
    return Principal(name=row.name, scopes=frozenset(row.scopes))


def list_keys(*, session: Session) -> list[ApiKeyRow]:
    return list(session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.id)))
