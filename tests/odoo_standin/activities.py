"""``mail.activity`` and the chatter: activity states, done/cancel, the messages they post.

As recorded on 16-18: ``action_feedback``/``action_done`` post a ``notification`` message with
subtype "Activities" on the target record (HTML body "<type> done", summary, feedback,
original note) and delete the activity - or archive it (``active`` false, ``date_done`` set,
state "done") when its type has ``keep_done`` (17+). ``unlink`` (and 18's ``action_cancel``)
deletes and posts nothing. Models with ``activity_ids`` get the computed ``activity_*`` fields.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import errors, orm
from .records import DATETIME_FORMAT, Env, Row, Store, today_in

SUBTYPE_NOTE = 2
SUBTYPE_ACTIVITIES = 3
_STATE_RANK = {"overdue": 0, "today": 1, "planned": 2}


def install(store: Store) -> None:
    """Register the activity and chatter behaviour on ``store``."""
    hooks = store.hooks
    hooks.defaults["mail.activity"] = _activity_defaults
    hooks.mandatory["mail.activity"] = ("res_model_id",)
    hooks.constraints["mail.activity"] = _activity_constraint
    hooks.computes["mail.activity"] = {
        "state": _state, "res_model": _res_model, "res_name": _res_name,
        "activity_category": _category, "can_write": lambda store, model, row: True,
        "icon": lambda store, model, row: _type_value(store, row, "icon"),
    }
    hooks.defaults["mail.message"] = _message_defaults
    hooks.mandatory["mail.activity.type"] = ("name",)
    methods = hooks.methods.setdefault("mail.activity", {})
    methods["action_feedback"] = action_feedback
    methods["action_done"] = action_done
    if store.profile.has_action_cancel:
        methods["action_cancel"] = action_cancel
    for model, table in store.tables.items():
        if "activity_ids" in table.fields and model != "mail.activity":
            hooks.computes.setdefault(model, {}).update(_THREAD_COMPUTES)


# -- mail.activity values -------------------------------------------------------------------------
def _activity_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    if values.get("res_model_id"):
        values.pop("res_model", None)  # related to res_model_id, read-only
    values.setdefault("user_id", env.uid)
    values.setdefault("date_deadline", env.today())
    values.setdefault("res_id", 0)
    return values


def _activity_constraint(env: Env, values: dict[str, Any]) -> None:
    if not values.get("res_id"):
        raise errors.validation_error("The operation cannot be completed: Activities have to be "
                                      "linked to records with a not null res_id.")
    model = _model_of(env.store, values.get("res_model_id"))
    if model is None:
        raise errors.missing_error("ir.model", [values["res_model_id"]], env.uid)
    if not env.store.exists(model, values["res_id"]):
        raise errors.missing_error(model, [values["res_id"]], env.uid)


def _model_of(store: Store, model_id: Any) -> str | None:
    if store.exists("ir.model", model_id):
        return store.row("ir.model", model_id).get("model")
    return None


def _res_model(store: Store, model: str, row: Row) -> Any:
    return _model_of(store, row.get("res_model_id")) or row.get("res_model", False)


def _res_name(store: Store, model: str, row: Row) -> Any:
    target = _res_model(store, model, row)
    if target and store.exists(target, row.get("res_id")):
        return store.display_name(target, row["res_id"])
    return row.get("res_name", False)


def _type_value(store: Store, row: Row, name: str) -> Any:
    type_id = row.get("activity_type_id")
    if store.exists("mail.activity.type", type_id):
        return store.row("mail.activity.type", type_id).get(name, False)
    return False


def _category(store: Store, model: str, row: Row) -> Any:
    return _type_value(store, row, "category") or "default"


def _state(store: Store, model: str, row: Row) -> Any:
    if row.get("date_done") or row.get("active") is False:
        return "done"
    deadline = row.get("date_deadline")
    if not deadline:
        return False
    today = today_in(store, row.get("user_id"))
    if deadline == today:
        return "today"
    return "overdue" if deadline < today else "planned"


# -- computed activity fields of the records activities are attached to --------------------------
def _first_activity(store: Store, model: str, row: Row) -> Row | None:
    ids = store.value(model, row, "activity_ids")
    return store.row("mail.activity", ids[0]) if ids else None


def _thread_activity_state(store: Store, model: str, row: Row) -> Any:
    states = [_state(store, "mail.activity", store.row("mail.activity", i))
              for i in store.value(model, row, "activity_ids")]
    ranked = sorted((s for s in states if s in _STATE_RANK), key=_STATE_RANK.__getitem__)
    return ranked[0] if ranked else False


def _from_first(name: str, fallback: Any = False) -> Any:
    def compute(store: Store, model: str, row: Row) -> Any:
        first = _first_activity(store, model, row)
        if first is None:
            return fallback
        if name == "icon":
            return _type_value(store, first, "icon")
        return first.get(name, fallback)
    return compute


def _has_message(store: Store, model: str, row: Row) -> bool:
    return bool(store.value(model, row, "message_ids")) if "message_ids" in store.table(model).fields else False


_THREAD_COMPUTES = {
    "activity_state": _thread_activity_state,
    "activity_summary": _from_first("summary"),
    "activity_date_deadline": _from_first("date_deadline"),
    "activity_user_id": _from_first("user_id"),
    "activity_type_id": _from_first("activity_type_id"),
    "activity_type_icon": _from_first("icon"),
    "has_message": _has_message,
}


# -- done / cancel --------------------------------------------------------------------------------
def action_feedback(env: Env, model: str, ids: Any, feedback: Any = False,
                    attachment_ids: Any = None) -> int | bool:
    """Mark activities done with ``feedback``; the id of the first message posted."""
    messages = _mark_done(env, orm.record_ids(model, ids), feedback or "")
    return messages[0] if messages else False


def action_done(env: Env, model: str, ids: Any) -> int | bool:
    """Mark activities done without feedback."""
    return action_feedback(env, model, ids)


def action_cancel(env: Env, model: str, ids: Any) -> None:
    """18's cancel: delete, post nothing, answer without a result."""
    orm.unlink(env, model, ids)


def _mark_done(env: Env, ids: list[int], feedback: str) -> list[int]:
    store = env.store
    missing = [i for i in ids if not store.exists("mail.activity", i)]
    if missing:
        raise errors.missing_error("mail.activity", missing, env.uid)
    messages: list[int] = []
    for activity_id in ids:
        row = store.row("mail.activity", activity_id)
        target = _res_model(store, "mail.activity", row)
        messages.append(post_message(
            env, target or "", row.get("res_id") or 0, done_body(store, row, feedback),
            subtype_id=SUBTYPE_ACTIVITIES, activity_type_id=row.get("activity_type_id") or False))
        if env.profile.has_keep_done and _type_value(store, row, "keep_done"):
            orm.write_records(env, "mail.activity", [activity_id],
                              {"active": False, "date_done": env.today()})
        else:
            orm.delete_records(env, "mail.activity", [activity_id])
    return messages


def done_body(store: Store, row: Row, feedback: str) -> str:
    """The HTML body Odoo posts when an activity is done (per version layout)."""
    type_name = _type_value(store, row, "name") or ""
    icon = _type_value(store, row, "icon") or "fa-tasks"
    summary, note = row.get("summary") or "", row.get("note") or ""
    head = f'\n    <p>\n        <span class="fa {icon} fa-fw"></span><span>{escape(type_name)}</span> done\n        '
    if summary:
        head += f"<span>: </span><span>{escape(summary)}</span>\n    "
    head += "</p>\n    "
    lines = "<br>".join(escape(line) for line in feedback.split("\n")) if feedback else ""
    has_note = bool(note) and note != "<p><br></p>"
    if store.profile.major >= 18:
        note_html = (f'\n        <div class="o_mail_note_title fw-bold">Original note:</div>\n'
                     f"        <div>{note}</div>\n    ") if has_note else ""
        feedback_html = (f'<div>\n        <div class="fw-bold">Feedback:</div>\n            {lines}\n'
                         "    </div>\n") if lines else ""
        return head + note_html + feedback_html
    feedback_html = f"<div>\n            {lines}\n    </div>\n    " if lines else ""
    note_html = ('\n        <div class="o_mail_note_title"><strong>Original note:</strong></div>\n'
                 f"        <div>{note}</div>\n") if has_note else "\n"
    return head + feedback_html + note_html


def escape(text: str) -> str:
    """HTML-escape like QWeb's ``t-esc`` (markupsafe)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


# -- chatter --------------------------------------------------------------------------------------
def _message_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    values.setdefault("message_type", "notification")
    values.setdefault("date", env.now())
    values.setdefault("author_id", _partner_of(env))
    return values


def _partner_of(env: Env) -> Any:
    return env.store.table("res.users").rows.get(env.uid, {}).get("partner_id", False)


def post_message(env: Env, model: str, res_id: int, body: str, *, subtype_id: int = SUBTYPE_NOTE,
                 activity_type_id: Any = False, record_name: Any = None) -> int:
    """Post a ``notification`` on (``model``, ``res_id``) as the current user; the message id."""
    store = env.store
    if record_name is None:
        record_name = store.display_name(model, res_id) if store.exists(model, res_id) else False
    values = {"body": body, "message_type": "notification", "subtype_id": subtype_id,
              "mail_activity_type_id": activity_type_id, "model": model, "res_id": res_id,
              "record_name": record_name, "subject": False,
              "date": dt.datetime.now(dt.timezone.utc).strftime(DATETIME_FORMAT)}
    known = store.table("mail.message").fields
    return orm.create_record(env, "mail.message", {k: v for k, v in values.items() if k in known})
