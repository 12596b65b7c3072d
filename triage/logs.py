"""Structured logging (structlog over the standard library) that never prints secrets.

Values under keys that name a secret (password, secret, token, api_key, authorization, ...)
are replaced, and credentials inside URLs (``scheme://user:pass@host``, ``?token=...`` as the
Odoo webhook URL carries it) are masked, in our own events and in third-party log records
(uvicorn's access log included) alike.
"""

from __future__ import annotations

import logging
import re
import sys

import structlog

_SECRET_KEY = re.compile(r"pass(word)?|secret|token|api[_-]?key|authori[sz]ation|cookie|credential", re.I)
_URL_CREDENTIALS = re.compile(r"(\b[a-z][a-z0-9+.-]*://)([^/\s:@]+):([^/\s@]+)@", re.I)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I)
_QUERY_SECRET = re.compile(r"([?&](?:token|secret|password|api[_-]?key|key)=)[^&\s\"']+", re.I)
MASK = "***"


def redact_text(text: str) -> str:
    text = _URL_CREDENTIALS.sub(rf"\g<1>\g<2>:{MASK}@", text)
    return _QUERY_SECRET.sub(rf"\g<1>{MASK}", _BEARER.sub(rf"\g<1>{MASK}", text))


def _redact(value):
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: MASK if _SECRET_KEY.search(str(k)) else _redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_redact(v) for v in value)
    return value


def redact_processor(_logger, _method, event_dict):
    return _redact(event_dict)


def configure_logging(level: str = "INFO", fmt: str = "console") -> None:
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.format_exc_info,
        redact_processor,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(foreign_pre_chain=shared, processors=[
        structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("mlflow", "alembic", "sentence_transformers", "httpx", "urllib3", "git"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
