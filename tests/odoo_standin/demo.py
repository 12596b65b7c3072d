"""The records a fresh stand-in starts with.

:func:`load_base` adds what every Odoo database has and the recordings rely on: the company,
the users given to :class:`OdooStandin` (``admin`` is uid 2 "Mitchell Admin", ``demo`` uid 6
"Marc Demo"), the activity types (the To-Do type is named per version), ``ir.model`` rows for
every served model (``purchase.order`` with its recorded id) and the external ids
(``mail.mail_activity_data_todo``, ...). :func:`load_demo` adds a small purchasing data set:
vendors, products, purchase orders in every state, receipts and vendor bills.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import orm
from .records import DATETIME_FORMAT, Env, Store
from .schema import model_description

ADMIN_UID = 2
DEMO_UID = 6
#: (id, xml name, name, category, icon or None for the version's To-Do icon, delay days)
ACTIVITY_TYPES = (
    (1, "mail_activity_data_email", "Email", "default", "fa-envelope", 0),
    (2, "mail_activity_data_call", "Call", "phonecall", "fa-phone", 2),
    (3, "mail_activity_data_meeting", "Meeting", "default", "fa-users", 0),
    (4, "mail_activity_data_todo", None, "default", None, 5),
    (5, "mail_activity_data_upload_document", "Upload Document", "upload_file", "fa-upload", 5),
)
#: display names of records of models the stand-in does not keep
FOREIGN_NAMES: dict[tuple[str, int], str] = {
    ("mail.message.subtype", 1): "Discussions", ("mail.message.subtype", 2): "Note",
    ("mail.message.subtype", 3): "Activities", ("mail.message.subtype", 7): "RFQ Confirmed",
    ("uom.uom", 1): "Units", ("uom.uom", 3): "Days", ("stock.picking.type", 1): "YourCompany: Receipts",
    ("account.journal", 2): "Vendor Bills", ("res.currency", 1): "USD", ("res.currency", 2): "EUR",
}
_MODULES = {"purchase": "purchase", "stock": "stock", "account": "account", "mail": "mail",
            "product": "product", "res": "base", "ir": "base", "base": "base_automation"}


def _add(env: Env, model: str, values: dict[str, Any]) -> int:
    fields = env.store.table(model).fields
    return orm.create_record(env, model, {k: v for k, v in values.items() if k in fields or k == "id"},
                             strict=False)


def load_base(store: Store, users: dict[str, str]) -> None:
    """Company, users, activity types, ``ir.model`` rows and external ids."""
    env = Env(store, 1)
    store.names.update(FOREIGN_NAMES)
    if store.profile.company_currency == (2, "USD"):
        store.names[("res.currency", 1)] = "EUR"
    for company_id, name, sequence in ((1, "My Company (San Francisco)", 0), (2, "My Company (Chicago)", 10)):
        _add(env, "res.company", {"id": company_id, "name": name, "sequence": sequence,
                                  "currency_id": store.profile.company_currency[0], "partner_id": 1})
    _add(env, "res.partner", {"id": 1, "name": "YourCompany", "is_company": True})
    _add(env, "res.partner", {"id": 2, "name": "OdooBot", "email": "odoobot@example.com", "active": False})
    _add(env, "res.users", {"id": 1, "login": "__system__", "name": "OdooBot", "partner_id": 2,
                            "active": False, "company_id": 1})
    _load_users(env, users)
    _load_activity_types(env)
    _load_models(env)
    _xml_id(env, "base", "main_partner", "res.partner", 1)
    _xml_id(env, "base", "main_company", "res.company", 1)
    _xml_id(env, "base", "partner_root", "res.partner", 2)
    _xml_id(env, "base", "user_root", "res.users", 1)


def _load_users(env: Env, users: dict[str, str]) -> None:
    known = {"admin": (ADMIN_UID, 3, "Mitchell Admin", "admin@yourcompany.example.com"),
             "demo": (DEMO_UID, 7, "Marc Demo", "mark.brown23@example.com")}
    next_uid, next_partner = 100, 100
    for login, password in users.items():
        if login in known:
            uid, partner_id, name, email = known[login]
        else:
            uid, partner_id, name, email = next_uid, next_partner, login.title(), f"{login}@example.com"
            next_uid, next_partner = next_uid + 1, next_partner + 1
        _add(env, "res.partner", {"id": partner_id, "name": name, "email": email, "parent_id": 1})
        _add(env, "res.users", {"id": uid, "login": login, "password": password, "name": name,
                                "partner_id": partner_id, "company_id": 1, "lang": "en_US",
                                "tz": "Europe/Brussels", "share": False, "email": email})
        env.store.row("res.users", uid)["password"] = password
        if login in known:
            _xml_id(env, "base", f"user_{login}", "res.users", uid)
            _xml_id(env, "base", f"partner_{login}", "res.partner", partner_id)


def _load_activity_types(env: Env) -> None:
    profile = env.store.profile
    for type_id, xml_name, name, category, icon, delay in ACTIVITY_TYPES:
        _add(env, "mail.activity.type", {
            "id": type_id, "name": name or profile.todo_name, "category": category,
            "icon": icon or profile.todo_icon, "delay_count": delay, "delay_unit": "days",
            "sequence": type_id, "keep_done": False, "res_model": False})
        _xml_id(env, "mail", xml_name, "mail.activity.type", type_id)


def _load_models(env: Env) -> None:
    store = env.store
    po_id = store.profile.purchase_order_model_id
    next_id = 500
    for model in sorted(store.tables):
        if model == "purchase.order":
            model_id = po_id
        else:
            next_id += 1 if next_id + 1 != po_id else 2
            model_id = next_id
        _add(env, "ir.model", {"id": model_id, "model": model, "name": model_description(model),
                               "transient": False})
        module = _MODULES.get(model.split(".")[0], "base")
        _xml_id(env, module, "model_" + model.replace(".", "_"), "ir.model", model_id)


def _xml_id(env: Env, module: str, name: str, model: str, res_id: int) -> None:
    _add(env, "ir.model.data", {"module": module, "name": name, "model": model, "res_id": res_id,
                                "complete_name": f"{module}.{name}", "noupdate": True})


# -- demo purchasing data -----------------------------------------------------------------------------
PARTNERS = ((9, "Wood Corner", "wood.corner26@example.com"), (10, "Deco Addict", "deco.addict82@example.com"),
            (11, "Gemini Furniture", "gemini.furniture39@example.com"), (12, "Ready Mat", "ready.mat28@example.com"),
            (14, "Azure Interior", "azure.Interior24@example.com"))
#: (id, name, default code, storable, standard price)
PRODUCTS = ((2, "Hotel Accommodation", False, False, 400.0), (5, "Office Chair", "FURN_7777", True, 55.0),
            (16, "Corner Desk Right Sit", "E-COM06", True, 500.0), (19, "Large Desk", "E-COM09", True, 500.0),
            (25, "Office Chair Black", "FURN_0269", True, 250.5), (31, "Acoustic Bloc Screens", "FURN_6666", True, 286.8))
#: (id, name, vendor, state, order date offset in days, planned offset, [(line id, product, qty, price)])
ORDERS = (
    (1, "P00001", 9, "draft", 0, 3, ((1, 25, 5.0, 250.5), (2, 5, 10.0, 55.0))),
    (2, "P00002", 11, "draft", 0, 1, ((3, 19, 3.0, 500.0),)),
    (4, "P00004", 12, "sent", 0, 5, ((4, 31, 10.0, 286.8),)),
    (8, "P00008", 9, "purchase", -5, 0, ((5, 5, 20.0, 55.0), (6, 16, 5.0, 500.0))),
    (9, "P00009", 11, "purchase", -15, -7, ((7, 19, 20.0, 500.0),)),
    (10, "P00010", 14, "purchase", -15, -10, ((8, 25, 10.0, 250.5),)),
    (11, "P00011", 12, "purchase", 2, 2, ((9, 31, 20.0, 286.8),)),
)


def _at(days: int) -> str:
    moment = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=days)
    return moment.strftime(DATETIME_FORMAT)


def _product_type(store: Store, storable: bool) -> dict[str, Any]:
    if store.profile.storable_is_flag:
        return {"type": "service" if not storable else "consu", "is_storable": storable}
    kind = "product" if storable else "service"
    return {"type": kind, "detailed_type": kind}


def load_demo(store: Store) -> None:
    """Vendors, products, purchase orders, receipts and vendor bills."""
    env = Env(store, ADMIN_UID if store.exists("res.users", ADMIN_UID) else 1)
    for partner_id, name, email in PARTNERS:
        _add(env, "res.partner", {"id": partner_id, "name": name, "email": email, "is_company": True})
    for product_id, name, code, storable, price in PRODUCTS:
        _add(env, "product.product", {"id": product_id, "name": name, "default_code": code,
                                      "purchase_ok": True, "standard_price": price, "uom_id": 1,
                                      "uom_po_id": 1, **_product_type(store, storable)})
    for order in ORDERS:
        _load_order(env, *order)
    _load_receipt(env, 8, 1, "WH/IN/00001", "assigned", [(5, 1), (6, 2)])
    _load_receipt(env, 9, 2, "WH/IN/00002", "assigned", [(7, 3)])
    _load_receipt(env, 10, 3, "WH/IN/00003", "done", [(8, 4)])
    _load_receipt(env, 11, 4, "WH/IN/00004", "assigned", [(9, 5)])
    _load_bill(env, 5, 10, "BILL/2026/01/0001", "posted", "INV/2026/0057", [(1, 8, 10.0, 250.5)])
    _load_bill(env, 6, 11, "/", "draft", "INV/2026/0102", [(2, 9, 20.0, 315.48)])


def _load_order(env: Env, order_id: int, name: str, partner_id: int, state: str, order_days: int,
                planned_days: int, lines: tuple[tuple[int, int, float, float], ...]) -> None:
    confirmed = state == "purchase"
    _add(env, "purchase.order", {
        "id": order_id, "name": name, "partner_id": partner_id, "state": state,
        "date_order": _at(order_days), "date_approve": _at(order_days) if confirmed else False,
        "currency_id": env.profile.company_currency[0], "company_id": 1, "user_id": ADMIN_UID,
        "priority": "0", "invoice_status": "no", "receipt_status": "pending" if confirmed else False})
    for line_id, product_id, qty, price in lines:
        _add(env, "purchase.order.line", {"id": line_id, "order_id": order_id, "product_id": product_id,
                                          "product_qty": qty, "price_unit": price,
                                          "date_planned": _at(planned_days)})


def _load_receipt(env: Env, order_id: int, picking_id: int, name: str, state: str,
                  moves: list[tuple[int, int]]) -> None:
    store = env.store
    order = store.row("purchase.order", order_id)
    scheduled = store.value("purchase.order", order, "date_planned")
    _add(env, "stock.picking", {"id": picking_id, "name": name, "origin": order["name"],
                                "partner_id": order["partner_id"], "scheduled_date": scheduled,
                                "date_deadline": scheduled, "state": state, "purchase_id": order_id,
                                "picking_type_code": "incoming", "priority": "0",
                                "date_done": scheduled if state == "done" else False})
    for line_id, move_id in moves:
        line = store.row("purchase.order.line", line_id)
        shows_quantity = state == "done" or store.profile.major >= 17  # 17+ shows reserved quantities
        _add(env, "stock.move", {
            "id": move_id, "picking_id": picking_id, "purchase_line_id": line_id, "reference": name,
            "origin": order["name"], "product_id": line["product_id"], "product_uom_qty": line["product_qty"],
            store.profile.move_quantity_field: line["product_qty"] if shows_quantity else 0.0, "state": state,
            "date": scheduled, "date_deadline": line.get("date_planned") or False, "picking_code": "incoming",
            "name": store.display_name("product.product", line["product_id"])})


def _load_bill(env: Env, move_id: int, order_id: int, name: str, state: str, ref: str,
               lines: list[tuple[int, int, float, float]]) -> None:
    order = env.store.row("purchase.order", order_id)
    date = _at(-3)[:10]
    _add(env, "account.move", {
        "id": move_id, "name": name, "ref": ref, "move_type": "in_invoice", "state": state,
        "partner_id": order["partner_id"], "invoice_date": date if state == "posted" else False,
        "invoice_date_due": _at(27)[:10], "invoice_origin": order["name"], "date": date,
        "payment_state": "not_paid", "currency_id": env.profile.company_currency[0],
        "invoice_line_ids": [[0, 0, {"id": line_id, "purchase_line_id": pol, "quantity": qty,
                                     "price_unit": price, "display_type": "product",
                                     "product_id": env.store.row("purchase.order.line", pol)["product_id"]}]
                             for line_id, pol, qty, price in lines]})
