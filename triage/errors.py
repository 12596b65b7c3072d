"""The project's own errors; adapters translate foreign ones at the boundary (``raise X from exc``).

::

    TriageError
     ├── ConfigError                    a setting or file is wrong; the message says which
     ├── SourceError                    an input could not be read
     │    ├── SourceUnavailable         the source (mailbox, Odoo) cannot be reached: retry later
     │    └── QuarantinedInput(reason)  this input is bad: store it quarantined, go on
     ├── ExtractionError(fields=...)    a parser could not read what it should
     ├── ModelError                     no model to serve, or a model that cannot load
     ├── PolicyError                    the policy file is invalid (names the rule and problem)
     ├── WriteError(retryable=...)      a write to Odoo (or a sink) failed
     └── OdooError(retryable)           a call to Odoo failed (``triage/odoo.py`` translates)
          ├── OdooUnavailable           refused, reset, timed out, HTTP 5xx: retry with backoff
          ├── OdooAuthError             wrong database, login, password or API key: not retryable
          └── OdooRejected(name)        Odoo's own error (ValidationError, AccessError, ...): not retryable
"""

from __future__ import annotations


class TriageError(Exception):
    """Base of every error triage raises on purpose."""


class ConfigError(TriageError):
    pass


class SourceError(TriageError):
    pass


class SourceUnavailable(SourceError):
    pass


class MailboxError(SourceError):
    """The mailbox cannot be polled now: a connection error (retryable) or a refused login (not)."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


class QuarantinedInput(SourceError):
    """The input cannot be processed; ``reason`` is one of ``domain.QuarantineReason``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message


class ExtractionError(TriageError):
    def __init__(self, message: str, fields: list[str] | None = None):
        super().__init__(message)
        self.fields = fields or []


class ModelError(TriageError):
    pass


class PolicyError(TriageError):
    pass


class WriteError(TriageError):
    def __init__(self, message: str, *, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


class OdooError(TriageError):
    retryable = False


class OdooUnavailable(OdooError):
    retryable = True


class OdooAuthError(OdooError):
    pass


class OdooRejected(OdooError):
    """Odoo answered with its error object; ``name`` is the exception's name
    (``odoo.exceptions.ValidationError``, ...)."""

    def __init__(self, message: str, *, name: str):
        super().__init__(message)
        self.name = name
