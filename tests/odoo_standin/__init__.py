"""A faithful stand-in for an Odoo 16.0 / 17.0 / 18.0 server, for tests.

``OdooStandin`` is a real HTTP server answering the JSON-RPC (``/jsonrpc``) and web-client
(``/web/session/*``, ``/web/dataset/call_kw``) protocols with the shapes recorded from real
servers in ``../shared/odoo-wire/``, over an in-memory database of the models triage uses.
"""

from .routes import SeenRequest
from .server import WIRE_DIR, OdooStandin

__all__ = ["OdooStandin", "SeenRequest", "WIRE_DIR"]
