"""Activities in Odoo: writing approved ones (idempotent, coalesced) and reading the review back.

``OdooWriter.write(spec)`` puts one ``mail.activity`` on the target record:

- a create whose answer was lost is not repeated blindly: the writer first searches for the
  spec's ``triage-ref:<id>`` (archived activities included) and returns that activity;
- an update (a new signal about an exception that already has an open activity) appends the new
  note to the open activity found by its ``triage-key:<id>`` marker and moves the deadline; when
  the buyer has closed it meanwhile, a new activity is created;
- the assignee is the configured login (AP user for bills) or the PO's buyer; the summary is cut
  to 80 characters; the note is the rendered HTML (supplier text already escaped).

``OdooWriter.write_many(specs)`` is the outbox's path for creates, in few round trips: each
spec's record is resolved as for ``write`` (one that cannot be fails alone), one ``search_read``
for all their ``triage-ref:`` markers finds the creates an earlier attempt made (its answer
lost), and one ``create`` with a list of values makes the rest. A rejected batch create is
repeated one by one so only the bad spec fails; an unavailable Odoo fails every spec not yet
written as retryable, and the next attempt's search finds whichever Odoo did create.

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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

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
    _REF = re.compile(r"triage-ref:(\w+)")

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
        values = self._values(spec, res_id, activity_type=self._activity_type(spec.activity_type),
                              res_model_id=gateway.model_id(spec.res_model),
                              user=self._user(spec.assignee) if spec.assignee else buyer)
        return gateway.create("mail.activity", values)

    def write_many(self, specs: list[ActivitySpec]) -> list[int | None | WriteError]:
        """``write`` for many specs in few round trips: one search for the references of earlier
        attempts whose answer was lost, one create for the rest. One result per spec, in order.

        A spec that cannot be written (no such record, user or activity type) fails alone. When Odoo
        rejects the batch create (one bad value fails the whole call), the specs are created one by
        one so only the bad one fails. When Odoo is unavailable (5xx, timeout, connection), every
        spec not written yet gets that retryable error: the create may have happened, and the next
        attempt's reference search finds whichever did, so nothing is created twice.
        """
        results: dict[int, int | WriteError] = {}
        try:
            self._write_batch(specs, results)
        except OdooError as exc:  # only an unavailable Odoo gets here: _outcome keeps rejections per spec
            error = WriteError(str(exc), retryable=exc.retryable)
            results.update({i: error for i in range(len(specs)) if i not in results})
        self.written.extend(spec for i, spec in enumerate(specs) if not isinstance(results[i], WriteError))
        return [results[i] for i in range(len(specs))]

    def _write_batch(self, specs: list[ActivitySpec], results: dict[int, int | WriteError]) -> None:
        """Fill ``results`` (spec index -> activity id or WriteError) as each becomes known, so an
        unavailable Odoo midway keeps what was already written."""
        targets: dict[int, tuple[int, int | None]] = {}
        for i, spec in enumerate(specs):
            if spec.update:  # an update reads and rewrites the open activity: one at a time
                results[i] = self._outcome(self._write, spec)
                continue
            target = self._outcome(self._target, spec)
            if isinstance(target, WriteError):
                results[i] = target
            else:
                targets[i] = target
        results.update(self._created_before({i: specs[i] for i in targets}, [t[0] for t in targets.values()]))
        values: dict[int, dict] = {}
        ids: dict[tuple[str, str], int] = {}  # the activity types' and models' ids, asked once per batch
        for i, (res_id, buyer) in targets.items():
            if i not in results:
                vals = self._outcome(self._batch_values, specs[i], res_id, buyer, ids)
                if isinstance(vals, WriteError):
                    results[i] = vals
                else:
                    values[i] = vals
        if values:
            self._create_all(specs, values, results)

    def _created_before(self, specs: dict[int, ActivitySpec], res_ids: list[int]) -> dict[int, int]:
        """Which specs an earlier attempt already created (its answer lost): index -> activity id.

        One search for all their ``triage-ref:`` markers among the activities of their records
        (``res_ids``: the indexed column narrows the text search), archived activities included
        (a "keep done" activity the buyer already marked done was still written).
        """
        if not specs:
            return {}
        terms = [["note", "ilike", f"triage-ref:{spec.triage_ref}"] for spec in specs.values()]
        domain = [["res_id", "in", sorted(set(res_ids))], *(["|"] * (len(terms) - 1)), *terms]
        rows = self.gateway.search_read("mail.activity", domain, ["id", "note"], context=ARCHIVED)
        found: dict[str, int] = {}
        for row in sorted(rows, key=lambda row: row["id"]):
            for ref in self._REF.findall(row.get("note") or ""):  # a coalesced note holds several
                found.setdefault(ref, int(row["id"]))
        return {i: found[spec.triage_ref] for i, spec in specs.items() if spec.triage_ref in found}

    def _batch_values(self, spec: ActivitySpec, res_id: int, buyer: int | None,
                      ids: dict[tuple[str, str], int]) -> dict:
        """``_values`` with the activity type's, the model's and the assignee's ids looked up once
        per batch."""
        lookups = {("type", spec.activity_type): lambda: self._activity_type(spec.activity_type),
                   ("model", spec.res_model): lambda: self.gateway.model_id(spec.res_model)}
        if spec.assignee:
            lookups[("user", spec.assignee)] = lambda: self._user(spec.assignee)
        for key, lookup in lookups.items():
            if key not in ids:
                ids[key] = lookup()
        user = ids[("user", spec.assignee)] if spec.assignee else buyer
        return self._values(spec, res_id, activity_type=ids[("type", spec.activity_type)],
                            res_model_id=ids[("model", spec.res_model)], user=user)

    def _create_all(self, specs: list[ActivitySpec], values: dict[int, dict],
                    results: dict[int, int | WriteError]) -> None:
        """Create the activities in one call; when Odoo rejects it, one by one (only the bad one fails)."""
        try:
            created = self.gateway.create("mail.activity", list(values.values()))
        except OdooRejected:
            self._create_one_by_one(specs, values, results)
            return
        results.update(zip(values, created, strict=True))

    def _create_one_by_one(self, specs: list[ActivitySpec], values: dict[int, dict],
                           results: dict[int, int | WriteError]) -> None:
        """After a rejected batch create. Odoo rolled the whole call back; a server that kept the
        activities created before the bad one is caught by searching their references first."""
        results.update(self._created_before({i: specs[i] for i in values}, [v["res_id"] for v in values.values()]))
        for i, vals in values.items():
            if i not in results:
                results[i] = self._outcome(self.gateway.create, "mail.activity", vals)

    def _values(self, spec: ActivitySpec, res_id: int, *, activity_type: int, res_model_id: int,
                user: int | None) -> dict:
        """The new ``mail.activity``'s values (the same for a single write and a batch)."""
        values = {
            "res_model_id": res_model_id,
            "res_id": res_id,
            "activity_type_id": activity_type,
            "summary": _summary(spec.summary),
            "note": spec.note_html,
            "date_deadline": spec.deadline.isoformat(),
        }
        if user:
            values["user_id"] = user
        return values

    def _activity_type(self, xml_id: str) -> int:
        activity_type = self.gateway.xml_id(xml_id)
        if activity_type is None:
            raise OdooRejected(f"no activity type {xml_id!r} in Odoo (TRIAGE_ODOO_ACTIVITY_TYPE)",
                               name="ir.model.data")
        return activity_type

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

    @staticmethod
    def _outcome(action: Callable[..., Any], *args: Any) -> Any:
        """``action(*args)``, or the spec's own WriteError when Odoo rejects it; an unavailable Odoo
        still raises, which stops the batch (every later call would fail the same way)."""
        try:
            return action(*args)
        except OdooError as exc:
            if exc.retryable:
                raise
            return WriteError(str(exc), retryable=False)


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
    outcome: str  # done | cancelled | resolved (triage closed it: Odoo showed the exception resolved)
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
        on_record = [["res_id", "=", activity.res_id]] if activity.res_id else []  # unknown when written by name
        messages = gateway.search_read(
            "mail.message", [["model", "=", activity.res_model], *on_record,
                             ["body", "ilike", f"triage-ref:{activity.triage_ref}"]],
            ["id", "body", "date"], order="id desc", limit=1)
        if messages:
            text = feedback_text(messages[0].get("body") or "")
            outcome = "resolved" if text.startswith(RESOLVED_PREFIX) else "done"  # our own close, answer lost
            reviews.append(Review(activity.odoo_id, outcome, text, _odoo_datetime(messages[0].get("date"))))
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


RESOLVED_PREFIX = "Resolved in Odoo:"


def close_resolved(gateway: OdooGateway, odoo_id: int, reason: str) -> str:
    """Mark one of our activities done because Odoo shows its exception resolved; Odoo posts its
    usual "done" message with this feedback, which says it was triage, not a reviewer. Returns
    the feedback text (``collect_reviews`` reads it back as ``resolved`` if our answer was lost)."""
    text = f"{RESOLVED_PREFIX} {reason}. Closed by triage, not by a reviewer."
    gateway.call("mail.activity", "action_feedback", [[odoo_id]], {"feedback": text})
    return text
