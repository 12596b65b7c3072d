"""The gateway's pure parts: endpoint from the URL, version parsing, error translation, and the
feedback text of Odoo's "done" messages as recorded from real 16, 17 and 18 servers."""

from __future__ import annotations

import json
import socket
import urllib.error
from pathlib import Path

import odoorpc
import pytest

from triage.errors import ConfigError, OdooAuthError, OdooRejected, OdooUnavailable
from triage.odoo import Endpoint, _parse_version, translate
from triage.odoo_activities import feedback_text

WIRE = Path(__file__).parents[2].parent / "shared" / "odoo-wire"


@pytest.mark.parametrize(("url", "expected"), [
    ("https://erp.example.com", Endpoint("erp.example.com", 443, "jsonrpc+ssl")),
    ("http://127.0.0.1:8069", Endpoint("127.0.0.1", 8069, "jsonrpc")),
    ("odoo.internal:8069", Endpoint("odoo.internal", 8069, "jsonrpc")),
    ("https://erp.example.com:8443/", Endpoint("erp.example.com", 8443, "jsonrpc+ssl")),
])
def test_the_scheme_and_port_decide_the_protocol(url, expected):
    assert Endpoint.parse(url) == expected


def test_a_bad_url_is_a_config_error():
    with pytest.raises(ConfigError, match="TRIAGE_ODOO_URL"):
        Endpoint.parse("ftp://erp.example.com")


@pytest.mark.parametrize(("text", "expected"), [("17.0", (17, 0)), ("saas~17.2", (17, 2)), ("18.0+e", (18, 0)),
                                                ("16.0-20240101", (16, 0)), (None, (0, 0))])
def test_versions(text, expected):
    assert _parse_version(text) == expected


def _rpc_error(name: str, message: str = "x") -> odoorpc.error.RPCError:
    return odoorpc.error.RPCError(message, {"code": 200, "message": "Odoo Server Error",
                                            "data": {"name": name, "message": message, "debug": ""}})


def test_foreign_errors_become_ours():
    assert isinstance(translate(urllib.error.URLError(ConnectionRefusedError(111, "refused"))), OdooUnavailable)
    assert isinstance(translate(socket.timeout("timed out")), OdooUnavailable)
    assert isinstance(translate(urllib.error.HTTPError("http://x/jsonrpc", 502, "Bad Gateway", {}, None)),
                      OdooUnavailable)
    assert translate(OdooUnavailable("x")).retryable
    denied = translate(_rpc_error("odoo.exceptions.AccessDenied", "Access Denied"))
    assert isinstance(denied, OdooAuthError) and not denied.retryable
    rejected = translate(_rpc_error("odoo.exceptions.ValidationError", "Missing required value"))
    assert isinstance(rejected, OdooRejected) and rejected.name == "odoo.exceptions.ValidationError"
    assert not rejected.retryable and "ValidationError: Missing required value" in str(rejected)
    with pytest.raises(KeyError):  # not a foreign error we know: it is a bug, not an Odoo answer
        translate(KeyError("x"))


def _recorded_done_messages():
    if not WIRE.is_dir():
        pytest.skip(f"the recorded Odoo exchanges are not beside the project ({WIRE})")
    for path in sorted(WIRE.glob("*/*mail-message_read.json")):
        for message in json.loads(path.read_text())["response"]["body"].get("result") or []:
            if " done" in (message.get("body") or ""):
                yield path.parent.name, message["body"]


def test_feedback_text_from_real_done_messages():
    found = {version: feedback_text(body) for version, body in _recorded_done_messages()}
    assert found == {"16.0": "Vendor confirmed new date, OK.", "17.0": "Received all 10 units, OK.",
                     "18.0": "Vendor confirmed, OK."}
