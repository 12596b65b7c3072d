"""What ``triage extract`` reports per file: the read document in the shape of
docs/ARCHITECTURE.md, ``needs_ocr`` for a PDF without text, ``quarantined`` with the reason
for a file that cannot be read."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from triage.config import LimitSettings
from triage.domain import QuarantineReason
from triage.errors import QuarantinedInput
from triage.ingest.document.reader import FIELDS
from triage.ingest.files import read_document


def extract_file(path: Path, limits: LimitSettings) -> dict[str, Any]:
    """One file's extract result; never raises for a bad file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return {"file": str(path), "status": "quarantined", "reason": "unreadable", "error": str(exc)}
    try:
        document = read_document(data, limits)
    except QuarantinedInput as exc:
        if exc.reason == QuarantineReason.PDF_NO_TEXT:
            fields: dict[str, Any] = {**dict.fromkeys(FIELDS), "po_refs": []}
            return {"file": str(path), "doc_type": "other", "status": "needs_ocr", "fields": fields,
                    "lines": [], "confidence": dict.fromkeys(FIELDS, 0.0), "flags": [], "error": exc.message}
        return {"file": str(path), "status": "quarantined", "reason": str(exc.reason), "error": exc.message}
    return {"file": str(path), **document.as_dict()}
