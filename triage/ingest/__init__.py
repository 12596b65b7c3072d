"""Sources -> Signals. One module per source, one small contract:

every source turns its input into an ``Intake`` (below): the ``Signal``, the original bytes
to keep, and, when the input cannot be processed, the ``QuarantinedInput`` that says why.
The store keeps every intake, quarantined or not, so nothing is silently lost.

Sources: ``files`` (``.eml``, ``.pdf``, ``.json`` files and API bodies), ``imap`` (the
mailbox), ``odoo_records`` (Odoo's exceptions), ``odoo_webhook`` (hints). Parsers they use:
``mime`` (message -> text + attachments), ``pdf`` (pdfplumber), ``reply`` (newest message),
``extract`` (fields).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from triage.domain import Signal
from triage.errors import QuarantinedInput


@dataclass
class Intake:
    signal: Signal
    raw: bytes
    raw_name: str
    quarantine: QuarantinedInput | None = None
    children: list[Intake] = field(default_factory=list)  # an email's PDF attachments, as documents
    unread: bool = False  # headers only so far (the mailbox): the flow reads the body from the original
    sha256: str = ""  # of ``raw``: computed here unless the reader already did (keys and the originals use it)

    def __post_init__(self) -> None:
        if not self.sha256:
            self.sha256 = hashlib.sha256(self.raw).hexdigest()
