"""The store: SQLAlchemy 2 tables, Alembic migrations, sessions. SQLite by default, PostgreSQL in production."""

from triage.store.db import connect, migrate, session_scope

__all__ = ["connect", "migrate", "session_scope"]
