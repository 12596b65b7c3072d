"""Purchase orders, receipts and vendor bills, and the partners and products they reference.

The behaviour a triage client relies on, as in the recordings: a created PO gets a ``P000NN``
name and a "Purchase Order created" note; ``button_confirm`` makes it a purchase, creates an
incoming picking with one move per line and posts "RFQ Confirmed"; lines of a (draft) vendor
bill linked by ``purchase_line_id`` count in the line's ``qty_invoiced``; a confirmed PO cannot
be deleted. Amounts are untaxed sums (no tax engine). Display names follow Odoo's rules
("P00012 (REF)", "[CODE] Product", "Company, Contact", "Draft Bill (* 16) (REF)").
"""

from __future__ import annotations

import re
from typing import Any

from . import errors, orm
from .activities import SUBTYPE_NOTE, post_message
from .records import Compute, Env, Row, Store

SUBTYPE_RFQ_CONFIRMED = 7
_DRAFT_LABELS = {"in_invoice": "Draft Bill", "in_refund": "Draft Vendor Credit Note",
                 "out_invoice": "Draft Invoice", "out_refund": "Draft Credit Note",
                 "entry": "Draft Entry"}
_BILL_PREFIX = {"in_invoice": "BILL", "in_refund": "RBILL", "out_invoice": "INV",
                "out_refund": "RINV", "entry": "MISC"}


def install(store: Store) -> None:
    """Register the purchasing behaviour on ``store``."""
    hooks = store.hooks
    hooks.display_names.update({
        "purchase.order": _order_name, "product.product": _product_name,
        "res.partner": _partner_name, "account.move": _move_name,
        "res.partner.bank": lambda store, row: str(row.get("acc_number") or ""),
    })
    hooks.defaults.update({
        "purchase.order": _order_defaults, "purchase.order.line": _line_defaults,
        "stock.picking": _picking_defaults, "stock.move": _move_defaults,
        "account.move": _bill_defaults, "account.move.line": _bill_line_defaults,
    })
    hooks.mandatory.update({"purchase.order": ("partner_id",), "product.product": ("name",),
                            "res.partner.bank": ("acc_number", "partner_id"),
                            "account.move.line": ("move_id",)})
    hooks.constraints["res.partner"] = _partner_named
    hooks.after_create["purchase.order"] = _order_created
    hooks.before_unlink["purchase.order"] = _order_unlinkable
    hooks.computes.setdefault("purchase.order", {}).update(_ORDER_COMPUTES)
    hooks.computes.setdefault("purchase.order.line", {}).update(_LINE_COMPUTES)
    hooks.computes.setdefault("account.move", {}).update(_BILL_COMPUTES)
    hooks.computes.setdefault("account.move.line", {}).update(
        {"price_subtotal": lambda store, model, row: round(_product(row, "quantity"), 2)})
    hooks.methods.setdefault("purchase.order", {}).update(
        {"button_confirm": button_confirm, "button_cancel": button_cancel, "button_draft": button_draft})
    hooks.methods.setdefault("stock.picking", {})["button_validate"] = button_validate
    hooks.methods.setdefault("account.move", {})["action_post"] = action_post


# -- display names --------------------------------------------------------------------------------
def _order_name(store: Store, row: Row) -> str:
    ref = row.get("partner_ref")
    return f"{row.get('name') or ''} ({ref})" if ref else str(row.get("name") or "")


def _product_name(store: Store, row: Row) -> str:
    code = row.get("default_code")
    return f"[{code}] {row.get('name') or ''}" if code else str(row.get("name") or "")


def _partner_name(store: Store, row: Row) -> str:
    parent = row.get("parent_id")
    name = str(row.get("name") or "")
    if parent and not row.get("is_company") and store.exists("res.partner", parent):
        return f"{store.row('res.partner', parent).get('name') or ''}, {name}"
    return name


def _partner_named(env: Env, values: dict[str, Any]) -> None:
    if not values.get("name") and values.get("type", "contact") == "contact":
        raise errors.validation_error("The operation cannot be completed: Contacts require a name")


def _move_name(store: Store, row: Row) -> str:
    name = row.get("name")
    if row.get("state", "draft") == "draft" and name in (None, False, "/"):
        name = f"{_DRAFT_LABELS.get(row.get('move_type') or 'entry', 'Draft Entry')} (* {row['id']})"
    ref = row.get("ref")
    return f"{name} ({ref})" if ref else str(name or "/")


# -- purchase orders ------------------------------------------------------------------------------
def _next_name(store: Store, model: str, prefix: str, width: int = 5) -> str:
    numbers = [int(m.group(1)) for row in store.table(model).rows.values()
               if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", str(row.get("name") or "")))]
    return f"{prefix}{max(numbers, default=0) + 1:0{width}d}"


def _order_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    fields = env.store.table("purchase.order").fields
    now = env.now()
    defaults = {"name": _next_name(env.store, "purchase.order", "P"), "state": "draft",
                "date_order": now, "date_planned": now, "currency_id": env.profile.company_currency[0],
                "company_id": 1, "user_id": env.uid, "priority": "0", "picking_type_id": 1}
    return {**{k: v for k, v in defaults.items() if k in fields}, **values}


def _order_created(env: Env, order_id: int) -> None:
    post_message(env, "purchase.order", order_id, "<p>Purchase Order created</p>",
                 subtype_id=SUBTYPE_NOTE, record_name=False)


def _order_unlinkable(env: Env, ids: list[int]) -> None:
    for order_id in ids:
        if env.store.row("purchase.order", order_id).get("state") not in ("draft", "cancel"):
            raise errors.user_error("In order to delete a purchase order, you must cancel it first.")


def _lines(store: Store, order: Row) -> list[Row]:
    return [store.row("purchase.order.line", i) for i in store.value("purchase.order", order, "order_line")]


def _amount(store: Store, model: str, row: Row) -> Any:
    lines = _lines(store, row)
    if not lines:
        return row.get("amount_total", 0.0)
    return round(sum(_product(line, "product_qty") for line in lines), 2)


def _date_planned(store: Store, model: str, row: Row) -> Any:
    dates = [line.get("date_planned") for line in _lines(store, row) if line.get("date_planned")]
    return min(dates) if dates else row.get("date_planned", False)


def _pickings(store: Store, model: str, row: Row) -> list[int]:
    found = store.search("stock.picking", [("purchase_id", "=", row["id"])])
    return found or list(row.get("picking_ids", []))


def _invoices(store: Store, model: str, row: Row) -> list[int]:
    line_ids = store.value(model, row, "order_line")
    bill_lines = store.search("account.move.line", [("purchase_line_id", "in", line_ids)]) if line_ids else []
    moves = {store.row("account.move.line", i).get("move_id") for i in bill_lines}
    found = sorted(m for m in moves if m)
    return found or list(row.get("invoice_ids", []))


def _receipt_status(store: Store, model: str, row: Row) -> Any:
    pickings = [store.row("stock.picking", i) for i in _pickings(store, model, row)
                if store.exists("stock.picking", i)]
    if row.get("state") not in ("purchase", "done") or not pickings:
        return row.get("receipt_status", False)
    done = [p for p in pickings if p.get("state") == "done"]
    return "full" if len(done) == len(pickings) else ("partial" if done else "pending")


def _invoice_status(store: Store, model: str, row: Row) -> Any:
    lines = _lines(store, row)
    if row.get("state") not in ("purchase", "done"):
        return "no"
    if not lines:
        return row.get("invoice_status", "no")
    if any(_qty_to_invoice(store, "purchase.order.line", line) for line in lines):
        return "to invoice"
    invoiced = all(_qty_invoiced(store, "purchase.order.line", line) >= (line.get("product_qty") or 0)
                   for line in lines)
    return "invoiced" if invoiced else "no"


def _stored_or(name: str, compute: Compute) -> Compute:
    """A compute that keeps a value stored on the record (seeded, e.g. from a recording)."""
    def value(store: Store, model: str, row: Row) -> Any:
        return row[name] if row.get(name) not in (None, False) else compute(store, model, row)
    return value


def _access_url(store: Store, model: str, row: Row) -> str:
    return f"/my/purchase/{row['id']}"


def _date_calendar_start(store: Store, model: str, row: Row) -> Any:
    return row.get("date_approve") or row.get("date_order") or False


def _tax_totals(store: Store, model: str, row: Row) -> dict[str, Any]:
    """Odoo's tax summary widget value, for orders without taxes."""
    amount = float(_amount(store, model, row) or 0.0)
    if store.profile.major >= 18:
        currency = store.profile.company_currency[0]
        subtotal = {"tax_groups": [], "tax_amount_currency": 0.0, "tax_amount": 0.0,
                    "base_amount_currency": amount, "base_amount": amount, "name": "Untaxed Amount"}
        return {"currency_id": currency, "currency_pd": 0.01, "company_currency_id": currency,
                "company_currency_pd": 0.01, "has_tax_groups": False, "subtotals": [subtotal],
                "base_amount_currency": amount, "base_amount": amount, "tax_amount_currency": 0.0,
                "tax_amount": 0.0, "same_tax_base": False, "total_amount_currency": amount,
                "total_amount": amount}
    shown = f"$\u00a0{amount:,.2f}"
    return {"amount_untaxed": amount, "amount_total": amount, "formatted_amount_total": shown,
            "formatted_amount_untaxed": shown, "groups_by_subtotal": {}, "subtotals": [],
            "subtotals_order": [], "display_tax_base": False}


_ORDER_COMPUTES = {
    "access_url": _stored_or("access_url", _access_url),
    "access_warning": lambda store, model, row: row.get("access_warning") or "",
    "date_calendar_start": _stored_or("date_calendar_start", _date_calendar_start),
    "tax_totals": _stored_or("tax_totals", _tax_totals),
    "country_code": lambda store, model, row: row.get("country_code") or "US",
    "default_location_dest_id_usage": lambda store, model, row: row.get("default_location_dest_id_usage") or "internal",
    "amount_total": _amount, "amount_untaxed": _amount, "date_planned": _date_planned,
    "picking_ids": _pickings, "invoice_ids": _invoices, "receipt_status": _receipt_status,
    "invoice_status": _invoice_status,
    "incoming_picking_count": lambda store, model, row: len(_pickings(store, model, row)),
    "invoice_count": lambda store, model, row: len(_invoices(store, model, row)),
}


def button_confirm(env: Env, model: str, ids: Any) -> bool:
    """Confirm RFQs: state "purchase", an incoming picking, an "RFQ Confirmed" message."""
    orders = orm.record_ids(model, ids)
    for order_id in orders:
        order = env.store.row(model, order_id) if env.store.exists(model, order_id) else None
        if order is None or order.get("state") not in ("draft", "sent", "to approve"):
            continue
        orm.write_records(env, model, [order_id], {"state": "purchase", "date_approve": env.now()})
        _create_receipt(env, order)
        post_message(env, model, order_id, "", subtype_id=SUBTYPE_RFQ_CONFIRMED)
    return True


def button_cancel(env: Env, model: str, ids: Any) -> bool:
    """Cancel orders."""
    orm.write_records(env, model, orm.record_ids(model, ids), {"state": "cancel"})
    return True


def button_draft(env: Env, model: str, ids: Any) -> bool:
    """Set cancelled orders back to RFQ."""
    orm.write_records(env, model, orm.record_ids(model, ids), {"state": "draft"})
    return True


def _create_receipt(env: Env, order: Row) -> None:
    store = env.store
    lines = _lines(store, order)
    if not lines:
        return
    picking_id = orm.create_record(env, "stock.picking", {
        "origin": order.get("name"), "partner_id": order.get("partner_id") or False,
        "scheduled_date": _date_planned(store, "purchase.order", order), "state": "assigned",
        "purchase_id": order["id"], "picking_type_code": "incoming",
        "date_deadline": _date_planned(store, "purchase.order", order)})
    for line in lines:
        ordered = float(line.get("product_qty") or 0.0)
        reserved = ordered if env.profile.major >= 17 else 0.0  # 17+ shows the reserved quantity
        orm.create_record(env, "stock.move", {
            "picking_id": picking_id, "purchase_line_id": line["id"], "origin": order.get("name"),
            "product_id": line.get("product_id") or False, "product_uom_qty": ordered,
            env.profile.move_quantity_field: reserved,
            "state": "assigned", "date": _date_planned(store, "purchase.order", order),
            "date_deadline": line.get("date_planned") or False, "picking_code": "incoming"})


# -- order lines ----------------------------------------------------------------------------------
def _product(row: Row, quantity_field: str) -> float:
    return float(row.get(quantity_field) or 0.0) * float(row.get("price_unit") or 0.0)


def _line_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    store = env.store
    product_id = values.get("product_id")
    product = store.row("product.product", product_id) if store.exists("product.product", product_id) else {}
    order_id = values.get("order_id")
    order = store.row("purchase.order", order_id) if store.exists("purchase.order", order_id) else {}
    storable = product.get("is_storable") or product.get("type") == "product"
    defaults = {"name": store.display_name("product.product", product_id) if product_id else False,
                "product_qty": 1.0, "price_unit": product.get("standard_price", 0.0), "sequence": 10,
                "date_planned": order.get("date_planned") or env.now(), "qty_received": 0.0,
                "qty_received_method": "stock_moves" if storable else "manual"}
    fields = store.table("purchase.order.line").fields
    return {**{k: v for k, v in defaults.items() if k in fields}, **values}


def _qty_invoiced(store: Store, model: str, row: Row) -> Any:
    lines = store.search("account.move.line", [("purchase_line_id", "=", row["id"])])
    if not lines:
        return row.get("qty_invoiced", 0.0)
    return float(sum(store.row("account.move.line", i).get("quantity") or 0.0 for i in lines))


def _qty_received(store: Store, model: str, row: Row) -> Any:
    quantity = store.profile.move_quantity_field
    moves = [store.row("stock.move", i) for i in store.search("stock.move", [("purchase_line_id", "=", row["id"])])]
    if not moves:
        return row.get("qty_received", 0.0)
    return float(sum(m.get(quantity) or 0.0 for m in moves if m.get("state") == "done"))


def _qty_to_invoice(store: Store, model: str, row: Row) -> Any:
    order = store.row("purchase.order", row["order_id"]) if store.exists("purchase.order", row.get("order_id")) else {}
    if order.get("state") not in ("purchase", "done"):
        return 0.0
    return _qty_received(store, model, row) - _qty_invoiced(store, model, row)


def _from_order(name: str) -> Compute:
    """A field related to the line's order (Odoo: ``related='order_id.<name>', store=True``)."""

    def value(store: Store, model: str, row: Row) -> Any:
        if not store.exists("purchase.order", row.get("order_id")):
            return False
        return store.row("purchase.order", row["order_id"]).get(name, False)

    return value


_LINE_COMPUTES = {
    "price_subtotal": lambda store, model, row: round(_product(row, "product_qty"), 2),
    "qty_invoiced": _qty_invoiced, "qty_received": _qty_received, "qty_to_invoice": _qty_to_invoice,
    "state": _from_order("state"), "partner_id": _from_order("partner_id"),
    "currency_id": _from_order("currency_id"),
}


# -- receipts -------------------------------------------------------------------------------------
def _picking_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    defaults = {"name": _next_name(env.store, "stock.picking", "WH/IN/"), "state": "draft",
                "scheduled_date": env.now(), "picking_type_code": "incoming", "priority": "0"}
    return {**defaults, **values}


def _move_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    store = env.store
    picking = values.get("picking_id")
    reference = store.row("stock.picking", picking).get("name") if store.exists("stock.picking", picking) else False
    defaults = {"name": store.display_name("product.product", values.get("product_id") or 0),
                "reference": reference, "state": "draft", "date": env.now(), "sequence": 10}
    return {**{k: v for k, v in defaults.items() if k in store.table("stock.move").fields}, **values}


def button_validate(env: Env, model: str, ids: Any) -> bool:
    """Validate receipts: everything received, state "done"."""
    store = env.store
    for picking_id in orm.record_ids(model, ids):
        picking = store.row(model, picking_id)
        for move_id in store.value(model, picking, "move_ids"):
            move = store.row("stock.move", move_id)
            orm.write_records(env, "stock.move", [move_id], {
                "state": "done", store.profile.move_quantity_field: move.get("product_uom_qty") or 0.0})
        orm.write_records(env, model, [picking_id], {"state": "done", "date_done": env.now()})
    return True


# -- vendor bills ---------------------------------------------------------------------------------
def _bill_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    today = env.today()
    defaults = {"name": "/", "state": "draft", "move_type": "entry", "payment_state": "not_paid",
                "date": today, "currency_id": env.profile.company_currency[0],
                "invoice_date_due": values.get("invoice_date") or today}
    fields = env.store.table("account.move").fields
    return {**{k: v for k, v in defaults.items() if k in fields}, **values}


def _bill_line_defaults(env: Env, values: dict[str, Any]) -> dict[str, Any]:
    store = env.store
    line_id = values.get("purchase_line_id")
    order = store.row("purchase.order.line", line_id).get("order_id") if store.exists("purchase.order.line", line_id) else False
    defaults = {"display_type": "product", "quantity": 1.0, "purchase_order_id": order,
                "name": store.display_name("product.product", values.get("product_id") or 0)}
    fields = store.table("account.move.line").fields
    return {**{k: v for k, v in defaults.items() if k in fields}, **values}


def _bill_amount(store: Store, model: str, row: Row) -> Any:
    lines = [store.row("account.move.line", i) for i in store.value(model, row, "invoice_line_ids")]
    if not lines:
        return row.get("amount_total", 0.0)
    return round(sum(_product(line, "quantity") for line in lines), 2)


def _purchase_order_count(store: Store, model: str, row: Row) -> int:
    lines = [store.row("account.move.line", i) for i in store.value(model, row, "invoice_line_ids")]
    return len({line.get("purchase_order_id") for line in lines if line.get("purchase_order_id")})


def _status_in_payment(store: Store, model: str, row: Row) -> Any:
    state = row.get("state", "draft")
    return state if state in ("draft", "cancel") else row.get("payment_state") or "not_paid"


_BILL_COMPUTES = {"amount_total": _bill_amount, "amount_untaxed": _bill_amount,
                  "purchase_order_count": _purchase_order_count, "status_in_payment": _status_in_payment}


def action_post(env: Env, model: str, ids: Any) -> bool:
    """Post entries: a sequence name (``BILL/2026/11/0001``) and state "posted"."""
    store = env.store
    for move_id in orm.record_ids(model, ids):
        row = store.row(model, move_id)
        name = row.get("name")
        if name in (None, False, "/"):
            date = str(row.get("invoice_date") or row.get("date") or env.today())
            prefix = f"{_BILL_PREFIX.get(row.get('move_type') or 'entry', 'MISC')}/{date[:4]}/{date[5:7]}/"
            name = _next_name(store, model, prefix, width=4)
        orm.write_records(env, model, [move_id], {"state": "posted", "name": name})
    return True
