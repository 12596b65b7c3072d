"""The gateway, the activity writer and the review read-back, through the real odoorpc client
over HTTP against the Odoo stand-in, for each recorded Odoo version."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import SecretStr

from tests.conftest import odoo_standin
from tests.odoo_standin import OdooStandin
from triage.activities import key_ref
from triage.domain import ActivitySpec
from triage.errors import OdooAuthError, OdooRejected, OdooUnavailable, WriteError
from triage.odoo import RpcGateway, pages
from triage.odoo_activities import OdooWriter, Written, close_resolved, collect_reviews

pytestmark = pytest.mark.integration

VERSIONS = ["16.0", "17.0", "18.0"]


odoo = odoo_standin(VERSIONS, demo_data=True)


def _gateway(odoo, **options) -> RpcGateway:
    return RpcGateway(odoo.url, "triage", "admin", "admin", timeout=options.pop("timeout", 5), backoff=0,
                      **options)


def _po(odoo, name="P00412") -> int:
    partner = odoo.add("res.partner", {"name": "Acme GmbH", "email": "sales@acme.example"})
    return odoo.add("purchase.order", {"name": name, "partner_id": partner, "state": "purchase", "user_id": 2})


def _spec(name="P00412", ref="t0000000000000001", key="purchase.order:P00412:delivery_delay", update=False,
          note="<p>New date 3 May</p>") -> ActivitySpec:
    return ActivitySpec(key=key, triage_ref=ref, res_model="purchase.order", res_name=name, res_id=None,
                        summary="Review new date for P00412 from Acme GmbH: delayed until 3 May 2026, 12 days later",
                        note_html=f"{note}<p><small>triage-ref:{ref} triage-key:{key_ref(key)}</small></p>",
                        deadline=dt.date(2026, 11, 25), assignee=None,
                        activity_type="mail.mail_activity_data_todo", update=update)


def test_login_version_and_paged_reads(odoo):
    gateway = _gateway(odoo)
    for n in range(5):
        _po(odoo, f"P1{n:04d}")
    gateway.connect()
    assert gateway.version[0] == int(odoo.version.split(".")[0])
    names = [r["name"] for r in pages(gateway, "purchase.order", [["name", "like", "P1"]], ["name"], page=2)]
    assert names == [f"P1{n:04d}" for n in range(5)]
    assert gateway.xml_id("mail.mail_activity_data_todo")
    assert gateway.model_id("purchase.order")


def test_wrong_credentials_are_not_retried(odoo):
    gateway = RpcGateway(odoo.url, "triage", "admin", "wrong", timeout=5, backoff=0)
    with pytest.raises(OdooAuthError):
        gateway.connect()


def test_odoo_errors_are_translated_and_not_retried(odoo):
    gateway = _gateway(odoo)
    with pytest.raises(OdooRejected) as info:
        gateway.create("mail.activity", {"summary": "no record"})
    assert "ValidationError" in info.value.name
    with pytest.raises(OdooRejected):
        gateway.search_read("x.no.such.model", [], ["id"])


def test_unavailable_odoo_is_retried_until_it_answers(odoo):
    gateway = _gateway(odoo, attempts=4)
    gateway.connect()
    odoo.fail_next(2, kind="http500")
    assert gateway.search_count("purchase.order", []) >= 0  # third attempt answers
    odoo.fail_next(5, kind="http500")
    with pytest.raises(OdooUnavailable):
        gateway.search_count("purchase.order", [])


def test_the_writer_creates_once_even_when_the_answer_is_lost(odoo):
    po = _po(odoo)
    writer = OdooWriter(_gateway(odoo))
    first = writer.write(_spec())
    again = writer.write(_spec())  # a retry of the same outbox row (its answer was lost)
    assert first == again
    [activity] = [a for a in odoo.records("mail.activity").values() if a["res_id"] == po]
    assert activity["summary"].startswith("Review new date for P00412") and len(activity["summary"]) <= 80
    user = activity["user_id"]
    assert (user[0] if isinstance(user, list) else user) == 2  # the PO's buyer
    assert "triage-ref:t0000000000000001" in activity["note"]


def test_a_create_that_timed_out_is_found_not_repeated(odoo):
    _po(odoo)
    writer = OdooWriter(_gateway(odoo, timeout=1))
    writer.gateway.connect()
    creates_before = sum(1 for r in odoo.requests if r.model_method == "create")
    odoo.fail_next(1, kind="timeout", seconds=2, method="create")  # created, but the answer comes too late
    with pytest.raises(WriteError) as info:
        writer.write(_spec())
    assert info.value.retryable  # the outbox tries again later
    created = writer.write(_spec())
    assert [a["id"] for a in odoo.records("mail.activity").values()] == [created]  # one activity, not two
    assert sum(1 for r in odoo.requests if r.model_method == "create") == creates_before + 1


def test_an_update_coalesces_into_the_open_activity(odoo):
    _po(odoo)
    writer = OdooWriter(_gateway(odoo))
    first = writer.write(_spec())
    second = writer.write(_spec(ref="t0000000000000002", update=True, note="<p>Now 10 May</p>"))
    assert second == first
    [activity] = odoo.records("mail.activity").values()
    assert "New date 3 May" in activity["note"] and "Now 10 May" in activity["note"]


def test_a_missing_record_is_a_clear_permanent_failure(odoo):
    writer = OdooWriter(_gateway(odoo))
    with pytest.raises(WriteError) as info:
        writer.write(_spec(name="P99999"))
    assert not info.value.retryable and "P99999" in str(info.value)


def test_reviews_done_and_cancelled(odoo):
    po = _po(odoo)
    gateway = _gateway(odoo)
    writer = OdooWriter(gateway)
    done = writer.write(_spec(ref="t00000000000000d1", key="purchase.order:P00412:delivery_delay"))
    cancelled = writer.write(_spec(ref="t00000000000000c1", key="purchase.order:P00412:price_change"))
    still_open = writer.write(_spec(ref="t00000000000000o1", key="purchase.order:P00412:partial_shipment"))
    gateway.call("mail.activity", "action_feedback", [[done]], {"feedback": "Supplier confirmed 3 May, fine."})
    gateway.call("mail.activity", "unlink", [[cancelled]])
    written = [Written(done, "purchase.order", po, "t00000000000000d1"),
               Written(cancelled, "purchase.order", po, "t00000000000000c1"),
               Written(still_open, "purchase.order", po, "t00000000000000o1")]
    reviews = {r.odoo_id: r for r in collect_reviews(gateway, written)}
    assert set(reviews) == {done, cancelled}
    assert reviews[done].outcome == "done" and reviews[done].text == "Supplier confirmed 3 May, fine."
    assert reviews[cancelled].outcome == "cancelled" and reviews[cancelled].text == ""


def test_our_own_close_reads_back_as_resolved_and_a_record_known_by_name(odoo):
    """triage closed an activity (Odoo showed the exception resolved) but lost the answer: the
    read-back recognises its note, never a reviewer's "done"; and an activity written by the
    record's name (its id unknown to the store) is still matched by its reference."""
    _po(odoo)
    gateway = _gateway(odoo)
    ours = OdooWriter(gateway).write(_spec(ref="t00000000000000r1"))
    close_resolved(gateway, ours, "every line of P00412 is received or no longer late")
    [review] = collect_reviews(gateway, [Written(ours, "purchase.order", 0, "t00000000000000r1")])
    assert review.outcome == "resolved"
    assert review.text == ("Resolved in Odoo: every line of P00412 is received or no longer late. "
                           "Closed by triage, not by a reviewer.")


def test_reviews_are_stored_once_as_feedback(odoo, settings):
    from sqlalchemy import select

    from triage.feedback import collect_feedback
    from triage.services import open_store
    from triage.store import session_scope
    from triage.store.tables import ActivityRow, CaseRow, FeedbackRow

    po = _po(odoo)
    gateway = _gateway(odoo)
    writer = OdooWriter(gateway)
    engine = open_store(settings)
    refs = {"done": "t00000000000000d1", "cancelled": "t00000000000000c1", "open": "t00000000000000o1"}
    with session_scope(engine) as session:
        case = CaseRow(key="c1", exception_type="delivery_delay", category="delivery_delay")
        session.add(case)
        session.flush()
        for outcome, ref in refs.items():
            key = f"purchase.order:P00412:{outcome}"
            odoo_id = writer.write(_spec(ref=ref, key=key))
            session.add(ActivityRow(key=key, triage_ref=ref, case_id=case.id, sink="odoo", res_model="purchase.order",
                                    res_name="P00412", res_id=po, odoo_id=odoo_id, summary="s", note_html="n",
                                    deadline="2026-11-25"))
    ids = {a["note"].split("triage-ref:")[1][:17]: a["id"] for a in odoo.records("mail.activity").values()}
    gateway.call("mail.activity", "action_feedback", [[ids[refs["done"]]]], {"feedback": "Fine, thanks."})
    gateway.call("mail.activity", "unlink", [[ids[refs["cancelled"]]]])

    with session_scope(engine) as session:
        assert collect_feedback(session=session, gateway=gateway) == {"done": 1, "cancelled": 1, "resolved": 0,
                                                                      "open": 1}
    with session_scope(engine) as session:
        assert collect_feedback(session=session, gateway=gateway) == {"done": 0, "cancelled": 0, "resolved": 0, "open": 1}
        stored = {(f.outcome, f.text) for f in session.scalars(select(FeedbackRow))}
        assert stored == {("done", "Fine, thanks."), ("cancelled", "")}
    engine.dispose()


def test_readiness_checks_odoo(odoo, settings):
    from triage.api.runtime import Runtime

    good = settings.model_copy(update={"odoo": settings.odoo.model_copy(update={
        "url": odoo.url, "db": "triage", "user": "admin", "password": SecretStr("admin")})})
    runtime = Runtime.start(good)
    ok, detail = runtime.odoo_ready()
    assert ok and detail.startswith(f"Odoo {odoo.version.split('.')[0]}.")
    bad = good.model_copy(update={"odoo": good.odoo.model_copy(update={"password": SecretStr("nope")})})
    ok, detail = Runtime.start(bad).odoo_ready()
    assert not ok and detail.startswith("OdooAuthError")
    runtime.close()


@pytest.mark.parametrize("version", ["17.0", "18.0"])
def test_a_keep_done_activity_type_archives_and_still_counts_as_done(version):
    from dataclasses import replace

    with OdooStandin(version=version, db="triage", users={"admin": "admin"}) as odoo:
        po = _po(odoo)
        kept = odoo.add("mail.activity.type", {"name": "Triage review", "keep_done": True})
        odoo.add("ir.model.data", {"module": "triage", "name": "activity_review", "model": "mail.activity.type",
                                   "res_id": kept})
        gateway = _gateway(odoo)  # a fresh process: the first call is the review read, not a write
        odoo_id = OdooWriter(_gateway(odoo)).write(replace(_spec(), activity_type="triage.activity_review"))
        gateway.call("mail.activity", "action_feedback", [[odoo_id]], {"feedback": "ok"})
        [review] = collect_reviews(gateway, [Written(odoo_id, "purchase.order", po, "t0000000000000001")])
        assert review.outcome == "done"
