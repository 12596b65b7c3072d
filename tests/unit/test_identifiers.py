"""IBANs, VAT numbers and supplier references found in text, and the bank-detail comparison."""

from __future__ import annotations

from triage.ingest.identifiers import iban_valid, ibans, supplier_refs, vat_numbers
from triage.models.anomaly import BANK_PRIORITY, bank_details_change


def test_ibans_checked_by_mod_97_and_not_swallowing_the_bic():
    text = ("Neue Bankverbindung: IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX.\n"
            "Nouveau RIB : FR14 2004 1010 0505 0001 3M02 606 — merci.\nAlt: DE89370400440532013001 (typo)")
    assert ibans(text) == ["DE89370400440532013000", "FR1420041010050500013M02606"]
    assert iban_valid("GB82 WEST 1234 5698 7654 32")
    assert not iban_valid("GB82 WEST 1234 5698 7654 33")  # one digit off
    assert not iban_valid("DE8937040044053201300")  # a German IBAN is 22 characters
    assert ibans("PO P00412, invoice INV-2026-0057, tracking 1Z999AA10123456784") == []


def test_vat_numbers_compact_anywhere_spaced_only_after_a_label():
    text = ("USt-IdNr.: DE 123 456 789 · TVA intracom FR 40 303 265 045 · NL123456789B01\n"
            "Lieferung DE 2026 05 03 14 (not a VAT number) · IBAN DE89370400440532013000")
    assert vat_numbers(text) == ["DE123456789", "FR40303265045", "NL123456789B01"]
    assert vat_numbers("P.IVA IT 01234567890") == ["IT01234567890"]
    assert vat_numbers("order 12345678") == []


def test_supplier_refs_in_several_languages():
    assert supplier_refs("Our order confirmation AB-2291 for your PO P00412") == ["AB-2291"]
    assert supplier_refs("Unsere Auftragsnummer: 4501234 / Ihre Bestellung P00412") == ["4501234"]
    assert supplier_refs("Notre confirmation n° CDE-77812") == ["CDE-77812"]
    assert supplier_refs("nuestro pedido 880123; onze referentie OR-5521") == ["880123", "OR-5521"]
    assert supplier_refs("our order will ship next week") == []  # no reference after the label


def test_bank_details_change_by_what_odoo_has():
    new, old = "DE89370400440532013000", "DE02120300000000202051"
    changed = bank_details_change([new], [old], "Acme GmbH")
    assert changed.code == "bank_account_not_on_file" and BANK_PRIORITY[changed.code] == 1
    assert "DE89 …3000" in changed.message and "on file: DE02 …2051" in changed.message
    assert new not in changed.message  # the full number is not repeated
    same = bank_details_change([old], [old], "Acme GmbH")
    assert same.code == "bank_account_on_file" and BANK_PRIORITY[same.code] == 3
    silent = bank_details_change([], [old], "Acme GmbH")
    assert silent.code == "bank_account_not_quoted" and BANK_PRIORITY[silent.code] == 2
    first = bank_details_change([new], [], "Acme GmbH")  # no account on file yet: still new
    assert first.code == "bank_account_not_on_file" and "on file: none" in first.message
    stranger = bank_details_change([new], None, None)
    assert stranger.code == "bank_vendor_unknown" and BANK_PRIORITY[stranger.code] == 2
