"""Linking emails and documents to Odoo records, through the real odoorpc client against the
Odoo stand-in, for every recorded Odoo version; then the flow on linked, ambiguous and
bank-detail emails (the real trained model, a real store)."""

from __future__ import annotations

import datetime as dt
import email.message

import pytest

from tests.conftest import odoo_standin
from triage import pipeline
from triage.ingest.files import from_eml
from triage.odoo_links import link
from triage.store import session_scope
from triage.store.tables import DecisionRow, ProposalRow, SignalRow

pytestmark = pytest.mark.integration

NEW_IBAN = "DE89370400440532013000"  # valid check digits
OLD_IBAN = "DE02120300000000202051"


odoo = odoo_standin(["16.0", "17.0", "18.0"], demo_data=False)


def _vendor(odoo, name, email, vat=None, contact=None):
    vendor = odoo.add("res.partner", {"name": name, "email": email, "is_company": True, "vat": vat or False})
    if contact:
        odoo.add("res.partner", {"name": f"{name} sales", "email": contact, "parent_id": vendor})
    return vendor


def _links(gateway, sender="", po=(), supplier=(), invoices=(), vats=(), bank=False):
    return link(gateway, sender=sender, po_refs=list(po), supplier_refs=list(supplier), invoice_refs=list(invoices),
                vats=list(vats), bank_change=bank)


def test_vendor_by_contact_address_vat_and_domain(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example", vat="DE 123 456 789", contact="anna@acme.example")
    _vendor(odoo, "Borg BV", "sales@borg.example", vat="NL123456789B01")
    odoo.write("res.partner", [1], {"vat": "BE0477472701"})  # our own company: on every invoice we get

    by_contact = _links(gateway, sender="Anna@Acme.example")
    assert (by_contact.vendor.id, by_contact.vendor.via) == (acme, "sender address")
    assert by_contact.vendor.name == "Acme GmbH"  # the contact's company, not the contact
    by_domain = _links(gateway, sender="someone.new@acme.example")
    assert (by_domain.vendor.id, by_domain.vendor.via) == (acme, "mail domain")
    by_vat = _links(gateway, sender="billing@outsourced-ap.example", vats=["BE0477472701", "DE123456789"])
    assert (by_vat.vendor.id, by_vat.vendor.via, by_vat.vendor.ref) == (acme, "VAT number", "DE123456789")
    nobody = _links(gateway, sender="acme.gmbh@gmail.com")  # a free-mail domain says nothing
    assert nobody.vendor is None and not nobody.ambiguous


def test_a_shared_domain_is_ambiguous_not_guessed(odoo, gateway):
    _vendor(odoo, "Acme GmbH", "info@group.example")
    _vendor(odoo, "Acme France SAS", "ventes@group.example")
    links = _links(gateway, sender="new.person@group.example")
    assert links.vendor is None
    assert links.ambiguous == ["the mail domain group.example matches 2 vendors in Odoo (Acme France SAS, Acme GmbH)"]


def test_orders_by_name_and_by_the_suppliers_own_reference(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example")
    odoo.add("purchase.order", {"name": "P00412", "partner_id": acme, "state": "purchase"})
    odoo.add("purchase.order", {"name": "P00413", "partner_id": acme, "state": "purchase", "partner_ref": "AB-002291"})

    links = _links(gateway, sender="info@acme.example", po=["P00412", "P09999"], supplier=["AB 2291", "SO-1"])
    assert [(o.name, o.via, o.ref) for o in links.orders] == [("P00412", "PO name", "P00412"),
                                                             ("P00413", "vendor reference", "AB 2291")]
    assert links.unknown == ["P09999"]  # a PO reference Odoo does not know; a supplier ref never is "unknown"
    assert links.problems() == ["P09999 is not in Odoo"]


def test_a_reference_of_two_vendors_is_narrowed_by_the_sender_or_left_ambiguous(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example")
    borg = _vendor(odoo, "Borg BV", "sales@borg.example")
    odoo.add("purchase.order", {"name": "P00500", "partner_id": acme, "state": "purchase", "partner_ref": "4711"})
    mine = odoo.add("purchase.order", {"name": "P00501", "partner_id": borg, "state": "purchase", "partner_ref": "4711"})

    narrowed = _links(gateway, sender="sales@borg.example", supplier=["4711"], po=[])
    assert [(o.id, o.name) for o in narrowed.orders] == [(mine, "P00501")]
    unknown_sender = _links(gateway, sender="x@elsewhere.example", po=["4711"])
    assert unknown_sender.orders == []
    assert unknown_sender.ambiguous == ["4711 names 2 purchase orders in Odoo: P00500 (Acme GmbH), P00501 (Borg BV)"]


def test_a_po_of_another_vendor_is_linked_and_flagged(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example")
    _vendor(odoo, "Borg BV", "sales@borg.example")
    odoo.add("purchase.order", {"name": "P00412", "partner_id": acme, "state": "purchase"})
    links = _links(gateway, sender="sales@borg.example", po=["P00412"])
    assert [o.name for o in links.orders] == ["P00412"]
    assert links.notes == ["P00412 belongs to Acme GmbH, not to the sender's company Borg BV"]


def test_bills_by_reference_loosely_and_a_draft_by_its_reference(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example")
    posted = odoo.add("account.move", {"name": "BILL/2026/11/0007", "ref": "INV/2026/0057", "move_type": "in_invoice",
                                       "state": "posted", "partner_id": acme})
    draft = odoo.add("account.move", {"name": "/", "ref": "RE-88412", "move_type": "in_invoice", "state": "draft",
                                      "partner_id": acme})
    odoo.add("account.move", {"name": "INV/2026/00057", "ref": "X", "move_type": "out_invoice", "state": "posted",
                              "partner_id": acme})  # a customer invoice: never a link

    links = _links(gateway, sender="info@acme.example", invoices=["INV-2026-57", "RE 88412"])
    assert [(b.id, b.name, b.via) for b in links.bills] == [(posted, "BILL/2026/11/0007", "bill reference"),
                                                           (draft, "RE-88412", "bill reference")]


def test_bank_accounts_of_the_vendor_and_its_contacts(odoo, gateway):
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example", contact="anna@acme.example")
    contact = next(pid for pid, row in odoo.records("res.partner").items() if row.get("parent_id") == acme)
    odoo.add("res.partner.bank", {"acc_number": "DE02 1203 0000 0000 2020 51", "partner_id": acme})
    odoo.add("res.partner.bank", {"acc_number": "FR14 2004 1010 0505 0001 3M02 606", "partner_id": contact})
    links = _links(gateway, sender="anna@acme.example", bank=True)
    assert sorted(links.bank_accounts) == [OLD_IBAN, "FR1420041010050500013M02606"]
    assert _links(gateway, sender="anna@acme.example").bank_accounts is None  # only read for a bank change


# -- the flow -----------------------------------------------------------------------------------------------
def _eml(sender: str, subject: str, body: str, n: int) -> bytes:
    msg = email.message.EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "purchasing@ourco.example", subject
    msg["Message-ID"] = f"<link-test-{n}@example>"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0100"
    msg.set_content(body)
    return msg.as_bytes()


BANK_EMAIL = ("Dear customer,\n\nPlease note that our bank details have changed. From now on please pay all open "
              "invoices to our new account:\nIBAN {iban}\nBIC COBADEFFXXX\n\nKind regards\nAnna, Acme GmbH accounting")
DELAY_EMAIL = ("Hello,\n\nunfortunately the goods of our order confirmation {ref} are delayed. The new delivery "
               "date is 15 December 2026 instead of 2 December.\n\nBest regards\nAnna, Acme GmbH")


@pytest.fixture
def flow(odoo_flow, odoo):
    return odoo_flow(odoo)


def _ingest(engine, services, raw: bytes, name: str):
    with session_scope(engine) as session:
        result = pipeline.ingest(session, from_eml(raw, name, services.settings.limits), services)
    with session_scope(engine) as session:
        proposal = session.query(ProposalRow).filter_by(case_id=result.case_id).order_by(ProposalRow.id.desc()).first()
        decision = session.query(DecisionRow).filter_by(proposal_id=proposal.id).one()
        signal = session.get(SignalRow, result.signal_id)
        return result, (proposal.action, proposal.record_model, proposal.record_name, proposal.record_id,
                        proposal.note), decision.trace, signal.meta


@pytest.mark.slow
def test_flow_bank_details_compared_with_odoo(flow, odoo):
    engine, services = flow
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example", contact="anna@acme.example")
    odoo.add("res.partner.bank", {"acc_number": "DE02 1203 0000 0000 2020 51", "partner_id": acme})
    spaced = " ".join(NEW_IBAN[i:i + 4] for i in range(0, len(NEW_IBAN), 4))

    result, (action, model, name, record_id, note), _, meta = _ingest(
        engine, services, _eml("Anna <anna@acme.example>", "New bank details", BANK_EMAIL.format(iban=spaced), 1),
        "bank-new.eml")
    assert (action, model, name, record_id) == ("verify_bank_details", "res.partner", "Acme GmbH", acme)
    assert result.priority == 1
    assert "an account Odoo does not have for Acme GmbH (on file: DE02 …2051)" in note
    assert meta["links"]["vendor"]["via"] == "sender address" and meta["links"]["bank_accounts_on_file"] == 1
    assert NEW_IBAN not in str(meta)  # account numbers are not copied into the store's meta

    same, (*_, note_same), _, _ = _ingest(
        engine, services, _eml("anna@acme.example", "Bank details", BANK_EMAIL.format(iban=OLD_IBAN), 2), "same.eml")
    assert same.priority == 3 and "one Odoo already has" in note_same
    stranger, (_, model, _, _, note_unknown), trace, _ = _ingest(
        engine, services, _eml("accounts@acme-payments.example", "New bank details",
                               BANK_EMAIL.format(iban=spaced), 3), "stranger.eml")
    assert stranger.priority == 2 and model is None and stranger.decision == "hold"
    assert "Finding: The sender is not a known vendor in Odoo" in note_unknown
    assert next(r for r in trace if r["rule"] == "hold_unlinked")["outcome"] == "hold"


@pytest.mark.slow
def test_flow_links_the_suppliers_reference_and_holds_an_ambiguous_one(flow, odoo):
    engine, services = flow
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example", contact="anna@acme.example")
    borg = _vendor(odoo, "Borg BV", "sales@borg.example")
    po = odoo.add("purchase.order", {"name": "P00413", "partner_id": acme, "state": "purchase",
                                     "partner_ref": "AB-2291"})
    odoo.add("purchase.order", {"name": "P00600", "partner_id": acme, "state": "purchase", "partner_ref": "SO 5150"})
    odoo.add("purchase.order", {"name": "P00601", "partner_id": borg, "state": "purchase", "partner_ref": "SO-5150"})

    linked, (_, model, name, record_id, note), _, _ = _ingest(
        engine, services, _eml("anna@acme.example", "Delay AB-2291", DELAY_EMAIL.format(ref="AB-2291"), 10), "d1.eml")
    assert (model, name, record_id) == ("purchase.order", "P00413", po)  # the supplier never wrote our PO name
    assert "Linked in Odoo: Acme GmbH (sender address anna@acme.example); P00413 (vendor reference AB-2291)" in note

    held, (_, model, *_), trace, _ = _ingest(
        engine, services, _eml("someone@gmail.com", "Delay SO-5150", DELAY_EMAIL.format(ref="SO-5150"), 11), "d2.eml")
    assert model is None and held.decision == "hold" and held.rule == "hold_unlinked"
    unlinked = next(r for r in trace if r["rule"] == "hold_unlinked")
    assert "SO-5150 names 2 purchase orders in Odoo: P00600 (Acme GmbH), P00601 (Borg BV)" in unlinked["detail"]


@pytest.mark.slow
def test_flow_goes_on_when_odoo_cannot_be_asked(flow, odoo):
    engine, services = flow
    odoo.fail_next(50, "http500")
    result, (_, model, name, record_id, _), _, meta = _ingest(
        engine, services, _eml("anna@acme.example", "Delay P00412", DELAY_EMAIL.format(ref="P00412"), 20), "d3.eml")
    assert result.state == "processed"
    assert (model, name, record_id) == ("purchase.order", "P00412", None)  # by name: the writer finds it later
    assert "links not checked" in " ".join(result.notes) and "error" in meta["links"]
    again, *_ = _ingest(engine, services, _eml("anna@acme.example", "Delay P00412 again",
                                               DELAY_EMAIL.format(ref="P00412"), 21), "d4.eml")
    assert "Odoo was unavailable a moment ago" in " ".join(again.notes)  # not asked again at once
    assert services.odoo_retry_at > 0


@pytest.mark.slow
def test_a_write_odoo_refuses_shows_its_reason_in_status_and_the_api(flow, odoo):
    from fastapi.testclient import TestClient

    from triage import outbox
    from triage.api import create_app
    from triage.api.runtime import Runtime
    from triage.apikeys import create_key
    from triage.ingest.odoo_records import OdooException, to_intake
    from triage.odoo_activities import OdooWriter
    from triage.status import status
    from triage.store import repository as repo

    engine, services = flow
    services.settings.odoo.ap_user = "nobody"  # bills go to an AP user Odoo does not have
    acme = _vendor(odoo, "Acme GmbH", "info@acme.example")
    bill = odoo.add("account.move", {"name": "BILL/2026/11/0001", "ref": "INV-77", "move_type": "in_invoice",
                                     "state": "posted", "partner_id": acme})
    exception = OdooException("bill_mismatch", "account.move", bill, "BILL/2026/11/0001", "2026-11-20 10:00:00",
                              "Acme GmbH", "BILL/2026/11/0001 (INV-77): billed above the PO price",
                              {"reference": "INV-77", "amount_total": 1200.0})
    with session_scope(engine) as session:
        result = pipeline.ingest(session, to_intake(exception, dt.datetime.now(dt.UTC)), services)
    assert result.decision == "approve"
    with session_scope(engine) as session:
        flushed = outbox.flush(session, OdooWriter(services.odoo),
                               case_of_decision=lambda d: repo.case_of_decision(session=session, decision_id=d))
    assert (flushed.sent, flushed.failed, flushed.retrying) == (0, 1, 0)  # a validation error is not retried
    with session_scope(engine) as session:
        [error] = status(session, model={})["outbox"]["errors"]
        key = create_key(session=session, name="reviewer", scopes=["review"])
    assert error["state"] == "failed" and "no Odoo user with the login 'nobody'" in error["error"]
    assert error["record"] == "account.move BILL/2026/11/0001"

    runtime = Runtime.start(services.settings)
    with TestClient(create_app(services.settings, runtime=runtime)) as client:
        case = client.get(f"/v1/cases/{result.case_id}", headers={"Authorization": f"Bearer {key}"}).json()
    runtime.close()
    write = case["assessments"][-1]["decision"]["write"]
    assert write["state"] == "failed" and write["attempts"] == 1
    assert "no Odoo user with the login 'nobody'" in write["last_error"]
