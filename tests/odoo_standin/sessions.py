"""Web-client sessions (the ``session_id`` cookie) and the session info Odoo answers.

The shapes of ``/web/session/authenticate`` and ``get_session_info`` answers follow the 17.0
and 18.0 recordings (admin and non-admin users differ: admins get a few tour/IAP keys). No
16.0 web-client exchange was recorded; 16 answers with the 17.0 shape.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from dataclasses import dataclass
from typing import Any

from .records import Store
from .versions import VersionProfile

COOKIE_MAX_AGE = 604800


@dataclass
class Session:
    """One web session; ``uid`` is None until someone logs in."""

    sid: str
    uid: int | None = None
    db: str | None = None
    login: str | None = None


class SessionStore:
    """The sessions of one stand-in, by cookie value."""

    def __init__(self, profile: VersionProfile) -> None:
        self._profile = profile
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def _new_sid(self) -> str:
        if self._profile.session_id_length == 40:
            return secrets.token_hex(20)
        return secrets.token_urlsafe(self._profile.session_id_length)[: self._profile.session_id_length]

    def create(self, uid: int | None = None, db: str | None = None, login: str | None = None) -> Session:
        """A new session (anonymous unless ``uid`` is given)."""
        with self._lock:
            session = Session(self._new_sid(), uid, db, login)
            self._sessions[session.sid] = session
            return session

    def get(self, sid: str | None) -> Session | None:
        """The live session of cookie value ``sid``."""
        with self._lock:
            return self._sessions.get(sid or "")

    def drop(self, sid: str) -> None:
        """Forget a session (logout)."""
        with self._lock:
            self._sessions.pop(sid, None)


def session_cookie(sid: str) -> str:
    """The ``Set-Cookie`` value Odoo sends for a session."""
    expires = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    stamp = expires.strftime("%a, %d %b %Y %H:%M:%S GMT")
    return f"session_id={sid}; Expires={stamp}; Max-Age={COOKIE_MAX_AGE}; HttpOnly; Path=/"


def session_info(store: Store, session: Session, base_url: str, admin: bool) -> dict[str, Any]:
    """The session info of a logged-in ``session`` (``authenticate``/``get_session_info``)."""
    profile = store.profile
    uid = session.uid or 0
    user = store.table("res.users").rows.get(uid, {})
    partner_id = user.get("partner_id") or False
    partner_name = store.display_name("res.partner", partner_id) if partner_id else ""
    context = {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or "Europe/Brussels", "uid": uid}
    currency_id = profile.company_currency[0]
    info: dict[str, Any] = {
        "uid": uid, "is_system": admin, "is_admin": admin, "is_internal_user": True,
        "user_context": context, "db": session.db,
        "user_settings": _user_settings(profile, uid),
        "server_version": profile.series,
        "server_version_info": profile.version_info()["server_version_info"],
        "support_url": "https://www.odoo.com/buy", "name": user.get("name") or "",
        "username": user.get("login") or "", "partner_display_name": partner_name,
        "partner_id": partner_id, "web.base.url": base_url, "active_ids_limit": 20000,
        "profile_session": None, "profile_collectors": None, "profile_params": None,
        "max_file_upload_size": 134217728, "home_action_id": False,
        "cache_hashes": {"translations": secrets.token_hex(20), "load_menus": secrets.token_hex(32)},
        "currencies": {str(currency_id): {"symbol": "$", "position": "before", "digits": [69, 2]}},
        "bundle_params": {"lang": context["lang"]},
        "user_companies": _user_companies(store),
        "show_effect": True, "display_switch_company_menu": True,
    }
    if profile.major >= 18:
        return _session_info_18(store, info, user, admin)
    return _session_info_17(info, uid, admin)


def _user_settings(profile: VersionProfile, uid: int) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "id": 1 if uid == 2 else uid, "user_id": {"id": uid},
        "is_discuss_sidebar_category_channel_open": True, "is_discuss_sidebar_category_chat_open": True,
        "push_to_talk_key": False, "use_push_to_talk": False,
    }
    if profile.major >= 18:
        settings.update(voice_active_duration=200, channel_notifications=False, mute_until_dt=False,
                        volumes=[["ADD", []]])
    else:
        settings.update(voice_active_duration=0, volume_settings_ids=[["ADD", []]])
    return settings


def _user_companies(store: Store) -> dict[str, Any]:
    companies = store.table("res.company").rows if store.has_model("res.company") else {}
    allowed = {str(cid): {"id": cid, "name": row.get("name") or "", "sequence": row.get("sequence") or 0,
                          "child_ids": [], "parent_id": False} for cid, row in companies.items()}
    return {"current_company": min(companies, default=1), "allowed_companies": allowed,
            "disallowed_ancestor_companies": {}}


def _session_info_17(info: dict[str, Any], uid: int, admin: bool) -> dict[str, Any]:
    info.update(user_id=[uid], max_time_between_keys_in_ms=100)
    if admin:
        info.update(web_tours=[], tour_disable=True)
    info.update(notification_type="email", odoobot_initialized=admin)
    if admin:
        info["iap_company_enrich"] = True
    info["is_quick_edit_mode_enabled"] = False
    return info


def _session_info_18(store: Store, info: dict[str, Any], user: dict[str, Any], admin: bool) -> dict[str, Any]:
    ordered: dict[str, Any] = {}
    for key, value in info.items():
        ordered[key] = value
        if key == "is_admin":
            ordered["is_public"] = False
        if key == "username":
            ordered["partner_write_date"] = _partner_write_date(store, user)
    ordered.update(test_mode=False, view_info=_VIEW_INFO_18)
    ordered["user_companies"] = ordered.pop("user_companies")
    ordered["show_effect"] = ordered.pop("show_effect")
    ordered["display_switch_company_menu"] = ordered.pop("display_switch_company_menu")
    ordered.update(max_time_between_keys_in_ms=150, websocket_worker_version="18.0-1",
                   tour_enabled=False, current_tour=None, storeData=_store_data(store, user, admin),
                   odoobot_initialized=False)
    if admin:
        ordered["iap_company_enrich"] = True
    ordered["can_insert_in_spreadsheet"] = False
    return ordered


def _partner_write_date(store: Store, user: dict[str, Any]) -> Any:
    partner = store.table("res.partner").rows.get(user.get("partner_id") or 0, {})
    return partner.get("write_date", False)


def _store_data(store: Store, user: dict[str, Any], admin: bool) -> dict[str, Any]:
    uid = user.get("id", 0)
    partner_id = user.get("partner_id") or 0
    settings = _user_settings(store.profile, uid)
    partners = store.table("res.partner").rows
    bot = partners.get(2, {})
    me = partners.get(partner_id, {})
    return {
        "Store": {"action_discuss_id": 121, "channel_types_with_seen_infos": ["chat", "group"],
                  "hasGifPickerFeature": False, "hasLinkPreviewFeature": True,
                  "hasMessageTranslationFeature": False, "internalUserGroupId": 1, "mt_comment_id": 1,
                  "odoobot": {"id": 2, "type": "partner"}, "self": {"id": partner_id, "type": "partner"},
                  "settings": settings},
        "res.partner": [
            {"active": False, "email": bot.get("email") or "odoobot@example.com", "id": 2,
             "im_status": "bot", "isInternalUser": True, "is_company": False,
             "name": bot.get("name") or "OdooBot", "userId": 1, "write_date": bot.get("write_date", False)},
            {"active": True, "id": partner_id, "isAdmin": admin, "isInternalUser": True,
             "name": me.get("name") or user.get("name") or "", "notification_preference": "email",
             "userId": uid, "write_date": me.get("write_date", False)},
        ],
    }


_VIEW_INFO_18 = {
    "list": {"display_name": "List", "icon": "oi oi-view-list", "multi_record": True},
    "form": {"display_name": "Form", "icon": "fa fa-address-card", "multi_record": False},
    "graph": {"display_name": "Graph", "icon": "fa fa-area-chart", "multi_record": True},
    "pivot": {"display_name": "Pivot", "icon": "oi oi-view-pivot", "multi_record": True},
    "calendar": {"display_name": "Calendar", "icon": "fa fa-calendar", "multi_record": True},
    "kanban": {"display_name": "Kanban", "icon": "oi oi-view-kanban", "multi_record": True},
    "search": {"display_name": "Search", "icon": "oi oi-search", "multi_record": True},
    "activity": {"display_name": "Activity", "icon": "fa fa-clock-o", "multi_record": True},
}
