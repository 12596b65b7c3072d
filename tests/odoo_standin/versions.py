"""What differs between the Odoo series the stand-in speaks (16.0, 17.0, 18.0).

Every version switch of the stand-in reads one :class:`VersionProfile`; the values come from
the wire recordings in ``../shared/odoo-wire/<series>/`` and their READMEs.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VersionProfile:
    """The version-dependent facts of one Odoo series."""

    series: str
    major: int
    #: name of the demo "To Do" activity type (``mail.mail_activity_data_todo``)
    todo_name: str
    #: its Font Awesome icon, also used in the "done" message body
    todo_icon: str
    #: ``ir.model`` id of ``purchase.order`` in the recorded demo databases
    purchase_order_model_id: int
    #: ``name_get`` still exists (removed from the ORM in 17.0)
    has_name_get: bool
    #: ``mail.activity`` has ``active``/``date_done`` and types have ``keep_done``
    has_keep_done: bool
    #: ``mail.activity.action_cancel`` exists
    has_action_cancel: bool
    #: reading a missing ``mail.activity`` raises MissingError instead of returning ``[]``
    activity_read_missing_raises: bool
    #: every model has the magic ``__last_update`` field
    has_last_update: bool
    #: an unknown model over ``/web/dataset/call_kw`` is a werkzeug NotFound (else KeyError)
    call_kw_unknown_model_not_found: bool
    #: storable products are ``type == "product"`` (16/17) or ``is_storable`` (18)
    storable_is_flag: bool
    #: name of the done quantity on ``stock.move``
    move_quantity_field: str
    #: length of the ``session_id`` cookie value (hex in 16/17, urlsafe token in 18)
    session_id_length: int
    #: the company currency (id, name) of the recorded demo database
    company_currency: tuple[int, str]

    def version_info(self) -> dict[str, object]:
        """The answer of ``/web/webclient/version_info`` and ``common.version``."""
        return {
            "server_version": self.series,
            "server_version_info": [self.major, 0, 0, "final", 0, ""],
            "server_serie": self.series,
            "protocol_version": 1,
        }

    def unknown_method_message(self, model: str, method: str) -> str:
        """The AttributeError text for a method the model does not have."""
        if self.major == 17:
            return f"type object '{model}' has no attribute '{method}'"
        return f"The method '{method}' does not exist on the model '{model}'"


PROFILES: dict[str, VersionProfile] = {
    "16.0": VersionProfile(
        series="16.0", major=16, todo_name="To Do", todo_icon="fa-tasks",
        purchase_order_model_id=533, has_name_get=True, has_keep_done=False,
        has_action_cancel=False, activity_read_missing_raises=True, has_last_update=True,
        call_kw_unknown_model_not_found=False, storable_is_flag=False,
        move_quantity_field="quantity_done", session_id_length=40, company_currency=(2, "USD"),
    ),
    "17.0": VersionProfile(
        series="17.0", major=17, todo_name="To-Do", todo_icon="fa-tasks",
        purchase_order_model_id=533, has_name_get=False, has_keep_done=True,
        has_action_cancel=False, activity_read_missing_raises=False, has_last_update=False,
        call_kw_unknown_model_not_found=False, storable_is_flag=False,
        move_quantity_field="quantity", session_id_length=40, company_currency=(1, "USD"),
    ),
    "18.0": VersionProfile(
        series="18.0", major=18, todo_name="To-Do", todo_icon="fa-check",
        purchase_order_model_id=560, has_name_get=False, has_keep_done=True,
        has_action_cancel=True, activity_read_missing_raises=False, has_last_update=False,
        call_kw_unknown_model_not_found=True, storable_is_flag=True,
        move_quantity_field="quantity", session_id_length=84, company_currency=(1, "USD"),
    ),
}


def profile(version: str) -> VersionProfile:
    """The profile of ``version`` ("16.0", "17.0" or "18.0"; "17" is accepted too)."""
    key = version if "." in version else f"{version}.0"
    try:
        return PROFILES[key]
    except KeyError:
        raise ValueError(f"unsupported Odoo version {version!r}; use one of {sorted(PROFILES)}") from None
