"""Signed webhooks: ``X-Triage-Signature: t=<unix time>,sha256=<hex HMAC-SHA256 of "t.body">``.

Checked in constant time; refused outside the replay window (five minutes by default).
"""

from __future__ import annotations

import hashlib
import hmac
import time

WINDOW_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},sha256={digest}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None, window: int = WINDOW_SECONDS) -> bool:
    try:
        parts = dict(item.strip().split("=", 1) for item in header.split(","))
        t = int(parts["t"])
        given = parts["sha256"]
    except (ValueError, KeyError):
        return False
    if abs((time.time() if now is None else now) - t) > window:
        return False
    expected = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, given)
