"""Activities in Odoo: writing approved ones (idempotent, coalesced) and reading the review back.

``OdooWriter.write(spec)`` puts one ``mail.activity`` on the target record:

- a create whose answer was lost is not repeated blindly: the writer first searches for the
  spec's ``triage-ref:<id>`` (archived activities included) and returns that activity;
- an update (a new signal about an exception that already has an open activity) appends the new
  note to the open activity found by its ``triage-key:<id>`` marker and moves the deadline; when
  the buyer has closed it meanwhile, a new activity is created;
- the assignee is the configured login (AP user for bills) or the PO's buyer; the summary is cut
  to 80 characters; the note is the rendered HTML (supplier text already escaped).

``collect_reviews`` tells, for activities triage wrote, which were marked done (with the
feedback text) and which were cancelled: Odoo deletes a done activity and posts a message
quoting its note (with our reference), deletes a cancelled one and posts nothing; an activity
type with "keep done" archives the activity instead of deleting it (17+).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from triage.activities import key_ref
from triage.domain import ActivitySpec
from triage.errors import OdooError, OdooRejected, WriteError
from triage.odoo import OdooGateway

SUMMARY_MAX = 80
ARCHIVED = {"active_test": False}


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


class OdooWriter:
    """An ``ActivityWriter`` for Odoo; Odoo's errors become ``WriteError(retryable=...)``."""

    name = "odoo"

    def __init__(self, gateway: OdooGateway):
        self.gateway = gateway
        self.written: deque[ActivitySpec] = deque(maxlen=1000)  # this process's recent writes (for the CLI)

    def write(self, spec: ActivitySpec) -> int:
        try:
            odoo_id = self._write(spec)
        except OdooError as exc:
            raise WriteError(str(exc), retryable=exc.retryable) from exc
        self.written.append(spec)
        return odoo_id

    def _write(self, spec: ActivitySpec) -> int:
        gateway = self.gateway
        res_id, buyer = self._target(spec)
        done_before = self._find(spec.res_model, res_id, f"triage-ref:{spec.triage_ref}", archived=True)
        if done_before is not None:  # the answer to an earlier attempt was lost
            return done_before
        if spec.update:
            open_id = self._find(spec.res_model, res_id, f"triage-key:{key_ref(spec.key)}", archived=False)
            if open_id is not None:
                [current] = gateway.read("mail.activity", [open_id], ["note"]) or [{"note": ""}]
                gateway.write("mail.activity", [open_id], {
                    "note": f"{current.get('note') or ''}<hr/>{spec.note_html}",
                    "date_deadline": spec.deadline.isoformat(),
                })
                return open_id
        activity_type = gateway.xml_id(spec.activity_type)
        if activity_type is None:
            raise OdooRejected(f"no activity type {spec.activity_type!r} in Odoo (TRIAGE_ODOO_ACTIVITY_TYPE)",
                               name="ir.model.data")
        values = {
            "res_model_id": gateway.model_id(spec.res_model),
            "res_id": res_id,
            "activity_type_id": activity_type,
            "summary": _summary(spec.summary),
            "note": spec.note_html,
            "date_deadline": spec.deadline.isoformat(),
        }
        user = self._user(spec.assignee) if spec.assignee else buyer
        if user:
            values["user_id"] = user
        return gateway.create("mail.activity", values)

    def _target(self, spec: ActivitySpec) -> tuple[int, int | None]:
        """(record id, its buyer's user id) of the record the activity goes on."""
        fields = ["id", "user_id"] if spec.res_model in ("purchase.order", "account.move") else ["id"]
        if spec.res_id:
            rows = self.gateway.read(spec.res_model, [spec.res_id], fields)
        else:
            domain: list = [["name", "=", spec.res_name]]
            if spec.res_model == "account.move":  # a supplier's invoice number is the bill's reference
                domain = ["|", ["name", "=", spec.res_name], ["ref", "=", spec.res_name]]
            elif spec.res_model == "res.partner" and "." in spec.res_name and " " not in spec.res_name:
                # a supplier known by its mail domain: the company, not its contacts
                domain = [["email", "=ilike", f"%@{spec.res_name}"], ["is_company", "=", True]]
            rows = self.gateway.search_read(spec.res_model, domain, fields, limit=2)
        if not rows:
            raise OdooRejected(f"no {spec.res_model} {spec.res_name!r} in Odoo", name="not found")
        if len(rows) > 1:
            raise OdooRejected(f"{spec.res_name!r} names more than one {spec.res_model} in Odoo", name="ambiguous")
        user = rows[0].get("user_id")
        return int(rows[0]["id"]), (user[0] if isinstance(user, list) and user else None)

    def _user(self, login: str) -> int:
        rows = self.gateway.search_read("res.users", [["login", "=", login]], ["id"], limit=1)
        if not rows:
            raise OdooRejected(f"no Odoo user with the login {login!r} (TRIAGE_ODOO_AP_USER)", name="res.users")
        return int(rows[0]["id"])

    def _find(self, model: str, res_id: int, marker: str, *, archived: bool) -> int | None:
        domain = [["res_model", "=", model], ["res_id", "=", res_id], ["note", "ilike", marker]]
        rows = self.gateway.search_read("mail.activity", domain, ["id"], limit=1,
                                        context=ARCHIVED if archived else None)
        return int(rows[0]["id"]) if rows else None


@dataclass(frozen=True)
class Written:
    """An activity triage wrote and has not seen reviewed yet."""

    odoo_id: int
    res_model: str
    res_id: int
    triage_ref: str


@dataclass(frozen=True)
class Review:
    odoo_id: int
    outcome: str  # done | cancelled
    text: str = ""
    at: dt.datetime | None = None


def collect_reviews(gateway: OdooGateway, written: Iterable[Written]) -> list[Review]:
    """Reviews of the activities that are no longer open in Odoo (open ones are not reported)."""
    written = list(written)
    if not written:
        return []
    ids = [w.odoo_id for w in written]
    fields = ["id", "active", "date_done"] if gateway.version[0] >= 17 else ["id"]
    present = {row["id"]: row for row in gateway.search_read("mail.activity", [["id", "in", ids]], fields,
                                                             context=ARCHIVED)}
    reviews = []
    for activity in written:
        row = present.get(activity.odoo_id)
        if row is not None:
            if row.get("active") is False:  # "keep done" activity types archive instead of deleting
                done = row.get("date_done")
                reviews.append(Review(activity.odoo_id, "done", "",
                                      dt.datetime.combine(dt.date.fromisoformat(done), dt.time(), dt.UTC)
                                      if done else None))
            continue
        messages = gateway.search_read(
            "mail.message", [["model", "=", activity.res_model], ["res_id", "=", activity.res_id],
                             ["body", "ilike", f"triage-ref:{activity.triage_ref}"]],
            ["id", "body", "date"], order="id desc", limit=1)
        if messages:
            reviews.append(Review(activity.odoo_id, "done", feedback_text(messages[0].get("body") or ""),
                                  _odoo_datetime(messages[0].get("date"))))
        else:
            reviews.append(Review(activity.odoo_id, "cancelled"))
    return reviews


_FEEDBACK_18 = re.compile(r"Feedback:\s*</div>(.*?)</div>", re.S)
_FEEDBACK_16_17 = re.compile(r"</p>\s*<div>(.*?)</div>\s*(?:<div class=\"o_mail_note_title|$)", re.S)


def feedback_text(body: str) -> str:
    """The buyer's feedback in Odoo's "<type> done" message (16/17 and 18 layouts)."""
    match = _FEEDBACK_18.search(body) or _FEEDBACK_16_17.search(body)
    if not match:
        return ""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _odoo_datetime(value) -> dt.datetime | None:
    if not value:
        return None
    return dt.datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC)
