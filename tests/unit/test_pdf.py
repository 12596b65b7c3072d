import pytest

from tests.conftest import SAMPLES
from triage.errors import QuarantinedInput
from triage.ingest.pdf import doc_type, read_pdf


def test_invoice_and_credit_note_types_and_text():
    invoice = read_pdf((SAMPLES / "invoice_INV-2026-0815.pdf").read_bytes(), max_pages=10)
    credit = read_pdf((SAMPLES / "credit_note_CN-2026-0042.pdf").read_bytes(), max_pages=10)
    assert invoice.doc_type == "invoice" and "P00412" in invoice.text
    assert credit.doc_type == "credit_note" and "737.80" in credit.text


def test_label_is_not_a_title():
    assert doc_type("ACME\nDelivery note: LS-1\nINVOICE 123") == "invoice"
    assert doc_type("Lieferschein 4711\nBestellung P00412") == "delivery_note"


@pytest.mark.parametrize("data,reason", [
    (b"hello", "pdf_corrupt"),
    (b"%PDF-1.7\n garbage without objects", "pdf_corrupt"),
])
def test_bad_files_are_quarantined_with_reason(data, reason):
    with pytest.raises(QuarantinedInput) as info:
        read_pdf(data, max_pages=10)
    assert info.value.reason == reason


def test_page_limit():
    with pytest.raises(QuarantinedInput) as info:
        read_pdf((SAMPLES / "invoice_INV-2026-0815.pdf").read_bytes(), max_pages=0)
    assert info.value.reason == "pdf_too_many_pages"
