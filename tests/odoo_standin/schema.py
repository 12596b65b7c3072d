"""Field definitions (``fields_get`` answers) and model metadata of the stand-in.

At start-up the stand-in takes the ``fields_get`` results recorded from the real server of
its version in the wire folder (``<wire>/<series>/NNN_*fields_get.json``). A core model that
was not recorded for that version borrows the recording of a neighbouring version (with the
attribute keys of its own version); a core model recorded nowhere, or every model when the
wire folder is absent, gets the small built-in field set of :data:`MINIMAL_FIELDS`.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .versions import VersionProfile

log = logging.getLogger(__name__)

FieldDef = dict[str, Any]
Fields = dict[str, FieldDef]


@dataclass(frozen=True)
class ModelInfo:
    """What the stand-in knows of a model besides its fields."""

    description: str
    order: str = "id"


#: the models the stand-in keeps records of, with their description and default order
CORE_MODELS: dict[str, ModelInfo] = {
    "purchase.order": ModelInfo("Purchase Order", "priority desc, id desc"),
    "purchase.order.line": ModelInfo("Purchase Order Line", "order_id desc, sequence, id"),
    "stock.picking": ModelInfo("Transfer", "priority desc, scheduled_date, id desc"),
    "stock.move": ModelInfo("Stock Move", "sequence, id"),
    "account.move": ModelInfo("Journal Entry", "date desc, name desc, id desc"),
    "account.move.line": ModelInfo("Journal Item", "date desc, move_name desc, id"),
    "product.product": ModelInfo("Product Variant", "priority desc, default_code, name, id"),
    "res.partner": ModelInfo("Contact", "name, id desc"),
    "res.partner.bank": ModelInfo("Bank Accounts", "sequence, id"),
    "res.users": ModelInfo("User", "name, login"),
    "res.company": ModelInfo("Companies", "sequence, name"),
    "mail.activity": ModelInfo("Activity", "date_deadline, id"),
    "mail.activity.type": ModelInfo("Activity Type", "sequence, id"),
    "mail.message": ModelInfo("Message", "id desc"),
    "ir.model": ModelInfo("Models", "model"),
    "ir.model.data": ModelInfo("Model Data", "module, model, name"),
    "ir.config_parameter": ModelInfo("System Parameter", "key"),
}

#: which recordings a version borrows from, per core model missing in its own folder
BORROW_ORDER: dict[str, tuple[str, ...]] = {
    "16.0": ("17.0", "18.0"),
    "17.0": ("18.0", "16.0"),
    "18.0": ("17.0", "16.0"),
}
#: exceptions to BORROW_ORDER (17's product.product is 16's: type "product", detailed_type)
BORROW_OVERRIDES: dict[tuple[str, str], tuple[str, ...]] = {
    ("17.0", "product.product"): ("16.0", "18.0"),
}

# A compact spec: "field:type[=relation[/inverse]][!]" with "!" for required, an optional
# "[a|b]" selection ("~" for a space) and a version marker "@16", "@17+" or "@-17".
MINIMAL_FIELDS: dict[str, str] = {
    "purchase.order": (
        "name:char! partner_id:many2one=res.partner! partner_ref:char origin:char notes:html "
        "state:selection[draft|sent|to~approve|purchase|done|cancel] date_order:datetime! "
        "date_approve:datetime date_planned:datetime currency_id:many2one=res.currency! "
        "company_id:many2one=res.company! user_id:many2one=res.users priority:selection[0|1] "
        "order_line:one2many=purchase.order.line/order_id amount_untaxed:monetary "
        "amount_total:monetary receipt_status:selection[pending|partial|full] "
        "invoice_status:selection[no|to~invoice|invoiced] picking_ids:many2many=stock.picking "
        "invoice_ids:many2many=account.move invoice_count:integer "
        "activity_ids:one2many=mail.activity/res_id activity_state:selection[overdue|today|planned] "
        "activity_summary:char activity_date_deadline:date activity_user_id:many2one=res.users "
        "activity_type_id:many2one=mail.activity.type message_ids:one2many=mail.message/res_id"
    ),
    "purchase.order.line": (
        "name:text! order_id:many2one=purchase.order! product_id:many2one=product.product "
        "sequence:integer product_qty:float! price_unit:float! price_subtotal:monetary "
        "date_planned:datetime qty_received:float qty_invoiced:float qty_to_invoice:float "
        "move_ids:one2many=stock.move/purchase_line_id "
        "invoice_lines:one2many=account.move.line/purchase_line_id"
    ),
    "stock.picking": (
        "name:char origin:char partner_id:many2one=res.partner scheduled_date:datetime "
        "date_deadline:datetime date_done:datetime priority:selection[0|1] "
        "state:selection[draft|waiting|confirmed|assigned|done|cancel] "
        "purchase_id:many2one=purchase.order picking_type_code:selection[incoming|outgoing|internal] "
        "move_ids:one2many=stock.move/picking_id"
    ),
    "stock.move": (
        "name:char! reference:char product_id:many2one=product.product! product_uom_qty:float! "
        "quantity:float@17+ picked:boolean@17+ quantity_done:float@16 sequence:integer "
        "state:selection[draft|waiting|confirmed|assigned|done|cancel] date:datetime! "
        "date_deadline:datetime purchase_line_id:many2one=purchase.order.line "
        "picking_id:many2one=stock.picking origin:char picking_code:selection[incoming|outgoing|internal]"
    ),
    "account.move": (
        "name:char ref:char move_type:selection[entry|out_invoice|out_refund|in_invoice|in_refund]! "
        "state:selection[draft|posted|cancel]! date:date! "
        "payment_state:selection[not_paid|in_payment|paid|partial|reversed] "
        "partner_id:many2one=res.partner invoice_date:date invoice_date_due:date invoice_origin:char "
        "amount_total:monetary currency_id:many2one=res.currency! "
        "invoice_line_ids:one2many=account.move.line/move_id"
    ),
    "account.move.line": (
        "move_id:many2one=account.move! move_name:char date:date name:char "
        "product_id:many2one=product.product quantity:float price_unit:float price_subtotal:monetary "
        "purchase_line_id:many2one=purchase.order.line purchase_order_id:many2one=purchase.order "
        "display_type:selection[product|line_section|line_note]!"
    ),
    "product.product": (
        "name:char! default_code:char type:selection detailed_type:selection@-17 "
        "is_storable:boolean@18+ purchase_ok:boolean standard_price:float priority:selection[0|1]@-17 "
        "uom_id:many2one=uom.uom uom_po_id:many2one=uom.uom qty_available:float "
        "virtual_available:float active:boolean"
    ),
    "res.partner": (
        "name:char email:char phone:char is_company:boolean parent_id:many2one=res.partner "
        "active:boolean vat:char ref:char company_id:many2one=res.company "
        "bank_ids:one2many=res.partner.bank/partner_id"
    ),
    "res.partner.bank": (
        "acc_number:char! partner_id:many2one=res.partner! acc_holder_name:char sequence:integer "
        "active:boolean"
    ),
    "res.users": (
        "name:char login:char! partner_id:many2one=res.partner! company_id:many2one=res.company! "
        "active:boolean lang:selection tz:selection share:boolean email:char"
    ),
    "res.company": "name:char! sequence:integer currency_id:many2one=res.currency partner_id:many2one=res.partner",
    "mail.activity": (
        "res_model_id:many2one=ir.model! res_model:char res_id:many2one_reference res_name:char "
        "activity_type_id:many2one=mail.activity.type summary:char note:html date_deadline:date! "
        "user_id:many2one=res.users! state:selection[overdue|today|planned|done] "
        "active:boolean@17+ date_done:date@17+ activity_category:selection can_write:boolean"
    ),
    "mail.activity.type": (
        "name:char! category:selection icon:char delay_count:integer delay_unit:selection! "
        "res_model:selection sequence:integer active:boolean keep_done:boolean@17+ summary:char"
    ),
    "mail.message": (
        "body:html subject:char message_type:selection! subtype_id:many2one=mail.message.subtype "
        "mail_activity_type_id:many2one=mail.activity.type model:char res_id:many2one_reference "
        "record_name:char author_id:many2one=res.partner date:datetime "
        "tracking_value_ids:one2many=mail.tracking.value/mail_message_id"
    ),
    "ir.model": "name:char! model:char! info:text transient:boolean",
    "ir.model.data": "name:char! module:char! model:char! res_id:many2one_reference complete_name:char noupdate:boolean",
    "ir.config_parameter": "key:char! value:text!",
}

_SPEC = re.compile(
    r"^(?P<name>\w+):(?P<type>\w+)(?:\[(?P<sel>[^\]]*)\])?(?:=(?P<rel>[\w.]+)(?:/(?P<inv>\w+))?)?"
    r"(?P<req>!)?(?:@(?P<ver>-?\d+\+?))?$"
)
#: labels of the built-in fields that appear in error messages, as Odoo names them
_LABELS = {("mail.activity", "res_model_id"): "Document Model", ("mail.activity", "res_id"): "Related Document ID",
           ("purchase.order", "partner_id"): "Vendor", ("res.partner.bank", "acc_number"): "Account Number",
           ("res.partner.bank", "partner_id"): "Account Holder", ("mail.activity.type", "name"): "Name",
           ("account.move.line", "move_id"): "Journal Entry", ("product.product", "name"): "Name"}
_ATTRIBUTE_RENAMES = {"group_operator": "aggregator"}
_ATTRIBUTES_16_ONLY = ("states",)
_ATTRIBUTES_17_ONLY = ("definition_record", "definition_record_field")
_ATTRIBUTES_18_ONLY = ("groupable", "model_field")


def _label(name: str) -> str:
    return " ".join(part.capitalize() for part in name.removesuffix("_id").removesuffix("_ids").split("_"))


def _in_version(marker: str | None, major: int) -> bool:
    if not marker:
        return True
    if marker.endswith("+"):
        return major >= int(marker[:-1])
    if marker.startswith("-"):
        return major <= int(marker[1:])
    return major == int(marker)


def _field(name: str, type_: str, *, string: str | None = None, required: bool = False,
           readonly: bool = False) -> FieldDef:
    return {"name": name, "type": type_, "string": string or _label(name), "required": required,
            "readonly": readonly, "store": True, "searchable": True, "sortable": True}


def minimal_fields(model: str, major: int) -> Fields:
    """The built-in field set of ``model`` for Odoo ``major``."""
    fields: Fields = {}
    for token in MINIMAL_FIELDS[model].split():
        match = _SPEC.match(token)
        if match is None:
            raise ValueError(f"bad field spec {token!r} for {model}")
        if not _in_version(match["ver"], major):
            continue
        definition = _field(match["name"], match["type"], required=bool(match["req"]),
                            string=_LABELS.get((model, match["name"])))
        if match["rel"]:
            definition["relation"] = match["rel"]
        if match["inv"]:
            definition["relation_field"] = match["inv"]
        if match["type"] == "selection":
            choices = match["sel"].replace("~", " ").split("|") if match["sel"] else []
            definition["selection"] = [[c, c.title()] for c in choices]
        fields[match["name"]] = definition
    return _with_magic_fields(fields, major)


def _with_magic_fields(fields: Fields, major: int) -> Fields:
    magic: Fields = {
        "id": _field("id", "integer", string="ID", readonly=True),
        "display_name": _field("display_name", "char", string="Display Name", readonly=True),
        "create_uid": {**_field("create_uid", "many2one", string="Created by", readonly=True),
                       "relation": "res.users"},
        "create_date": _field("create_date", "datetime", string="Created on", readonly=True),
        "write_uid": {**_field("write_uid", "many2one", string="Last Updated by", readonly=True),
                      "relation": "res.users"},
        "write_date": _field("write_date", "datetime", string="Last Updated on", readonly=True),
    }
    if major == 16:
        magic["__last_update"] = _field("__last_update", "datetime", string="Last Modified on",
                                        readonly=True)
    return {**fields, **{k: v for k, v in magic.items() if k not in fields}}


@functools.lru_cache(maxsize=8)
def recorded_fields(series_dir: Path) -> dict[str, Fields]:
    """The complete ``fields_get`` answers recorded in one version folder, per model."""
    found: dict[str, Fields] = {}
    for path in sorted(series_dir.glob("[0-9]*fields_get*.json")):
        exchange = json.loads(path.read_text(encoding="utf-8"))
        params = (exchange["request"].get("body") or {}).get("params") or {}
        args = params.get("args") or []
        result = (exchange["response"].get("body") or {}).get("result")
        complete = params.get("method") == "execute" and len(args) == 5 and args[4] == "fields_get"
        if complete and isinstance(result, dict) and len(result) > len(found.get(args[3], {})):
            found[args[3]] = result
    return found


def _adapt(fields: Fields, source_major: int, target_major: int) -> Fields:
    """Give fields recorded on one version the attribute keys of another."""
    adapted: Fields = {}
    for name, definition in fields.items():
        if name == "__last_update" and target_major != 16:
            continue
        new = dict(definition)
        for key in _ATTRIBUTES_16_ONLY if target_major != 16 else ():
            new.pop(key, None)
        for key in _ATTRIBUTES_17_ONLY if target_major != 17 else ():
            new.pop(key, None)
        for key in _ATTRIBUTES_18_ONLY if target_major != 18 else ():
            new.pop(key, None)
        for old_key, new_key in _ATTRIBUTE_RENAMES.items():
            if target_major >= 18 and old_key in new:
                new[new_key] = new.pop(old_key)
            elif target_major < 18 and new_key in new:
                new[old_key] = new.pop(new_key)
        adapted[name] = new
    if target_major == 16 and source_major != 16 and "__last_update" not in adapted:
        adapted["__last_update"] = _field("__last_update", "datetime", string="Last Modified on",
                                          readonly=True)
    return adapted


def load_fields(profile: VersionProfile, wire_dir: Path | None) -> dict[str, Fields]:
    """Field definitions of every model the stand-in serves for ``profile``."""
    own_dir = wire_dir / profile.series if wire_dir is not None else None
    if own_dir is None or not own_dir.is_dir():
        log.debug("no wire recordings for %s; using the built-in field sets", profile.series)
        return {model: minimal_fields(model, profile.major) for model in CORE_MODELS}
    schemas: dict[str, Fields] = dict(recorded_fields(own_dir))
    for model in CORE_MODELS:
        if model not in schemas:
            schemas[model] = _borrowed(model, profile, wire_dir)
    return schemas


def _borrowed(model: str, profile: VersionProfile, wire_dir: Path) -> Fields:
    order = BORROW_OVERRIDES.get((profile.series, model), BORROW_ORDER[profile.series])
    for series in order:
        other = wire_dir / series
        if other.is_dir() and model in recorded_fields(other):
            return _adapt(recorded_fields(other)[model], int(series.split(".")[0]), profile.major)
    return minimal_fields(model, profile.major)


def model_description(model: str) -> str:
    """The human name of ``model`` (used in error messages and ``ir.model``)."""
    info = CORE_MODELS.get(model)
    return info.description if info else model.replace(".", " ").title()


def default_order(model: str) -> str:
    """The ``_order`` of ``model``."""
    info = CORE_MODELS.get(model)
    return info.order if info else "id"
