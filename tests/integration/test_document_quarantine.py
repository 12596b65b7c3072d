"""Bad PDFs through the flow: each stored quarantined with its reason and its original kept
(a person can still open it), the good document beside them processed, nothing lost."""

from __future__ import annotations

import pytest

from tests.bad_pdfs import bomb, drawing_only, encrypted, handmade, slow, text_pdf
from tests.integration.test_document_flow import invoice_pdf
from triage import pipeline
from triage.config import LimitSettings
from triage.ingest.files import from_pdf
from triage.store import repository as repo
from triage.store import session_scope
from triage.store.tables import SignalRow

pytestmark = pytest.mark.integration


def test_each_bad_pdf_is_quarantined_with_its_reason_and_kept(trained_flow):
    limits = LimitSettings(pdf_pages=3, pdf_seconds=5.0, pdf_memory_mb=400, attachment_bytes=2_000_000)
    engine, services = trained_flow(limits=limits)
    files = {
        "encrypted.pdf": (encrypted(), "pdf_encrypted"),
        "corrupt.pdf": (text_pdf()[:300], "pdf_corrupt"),
        "no-pages.pdf": (handmade(None), "pdf_corrupt"),
        "scan.pdf": (drawing_only(), "pdf_no_text"),
        "long.pdf": (handmade(b"BT /F1 12 Tf 72 720 Td (x) Tj ET", pages=5), "pdf_too_many_pages"),
        "huge.pdf": (text_pdf() + b"%" + b"x" * 2_100_000, "oversized"),
        "slow.pdf": (slow(), "pdf_timeout"),
        "bomb.pdf": (bomb(600), "pdf_memory"),
        "good.pdf": (invoice_pdf([("FURN_7777", "Office Chair", 2, 55.0)]), None),
    }
    ids = {}
    for name, (data, _) in files.items():
        with session_scope(engine) as session:
            ids[name] = pipeline.ingest(session, from_pdf(data, name, limits), services).signal_id
    with session_scope(engine) as session:
        for name, (data, reason) in files.items():
            row = session.get(SignalRow, ids[name])
            if reason is None:
                assert row.state == "processed" and row.meta["document"]["fields"]["document_number"] == "RE-2026-4417"
                continue
            assert (row.state, row.quarantine_reason) == ("quarantined", reason), name
            assert row.error, name
            assert repo.original(session=session, sha=row.raw_sha256) == data, name  # the original is kept
        scan = session.get(SignalRow, ids["scan.pdf"])
        assert "OCR" in scan.error
