"""The model methods the stand-in answers over RPC, and how a call reaches them.

:func:`call` is what ``object.execute``/``execute_kw`` and ``/web/dataset/call_kw`` end in:
it refuses private methods, applies the few access rules the recordings show for non-admin
users, binds the arguments like Python (Odoo answers a TypeError otherwise) and runs either
a generic ORM method (``search``, ``read``, ``create``, ...) or a model-specific one registered
by a behaviour module. :func:`create_record` and :func:`write_records` are the create/write
pipeline (defaults, mandatory fields, constraints, x2many commands, hooks) shared with
:meth:`OdooStandin.add`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from . import errors
from .domain import like
from .records import X2MANY, Env, Row, Store, empty_value
from .schema import model_description

READ_METHODS = frozenset({"search", "search_read", "search_count", "read", "name_get", "name_search",
                          "web_search_read", "web_read", "fields_get", "context_get",
                          "check_object_reference"})
#: model -> (operations refused to non-admin users, the group the error names)
RESTRICTED_MODELS: dict[str, tuple[frozenset[str], str]] = {
    "ir.config_parameter": (frozenset({"read", "write", "create", "unlink"}), "Administration/Settings"),
    "res.company": (frozenset({"write", "create", "unlink"}), "Administration/Access Rights"),
}
_VERBS = {"read": "access", "write": "modify", "create": "create", "unlink": "delete"}


# -- dispatch ---------------------------------------------------------------------------------
def call(env: Env, model: str, method: str, args: list[Any] | tuple[Any, ...],
         kwargs: dict[str, Any] | None) -> Any:
    """Run ``model.method(*args, **kwargs)`` as user ``env.uid`` (the model must exist)."""
    if method.startswith("_"):
        raise errors.private_method(method)
    function = find_method(env, model, method)
    if function is None:
        raise errors.attribute_error(env.profile.unknown_method_message(model, method))
    check_access(env, model, _operation(method))
    kwargs = dict(kwargs or {})
    context = kwargs.pop("context", None)
    if isinstance(context, dict):
        env = Env(env.store, env.uid, {**env.context, **context})
    try:
        bound = inspect.signature(function).bind(env, model, *args, **kwargs)
    except TypeError as exc:
        raise errors.type_error(f"{method}() {exc}") from None
    return function(*bound.args, **bound.kwargs)


def find_method(env: Env, model: str, method: str) -> Callable[..., Any] | None:
    """The function serving ``model.method`` on this version, if any."""
    specific = env.store.hooks.methods.get(model, {}).get(method)
    if specific is not None:
        return specific
    if method == "name_get" and not env.profile.has_name_get:
        return None
    if method == "web_read" and env.profile.major == 16:
        return None
    if method == "web_search_read" and env.profile.major == 16:
        return web_search_read_16
    return GENERIC_METHODS.get(method)


def _operation(method: str) -> str:
    if method in READ_METHODS:
        return "read"
    return method if method in ("create", "unlink") else "write"


def is_admin(store: Store, uid: int) -> bool:
    """Whether ``uid`` is the administrator (or the superuser)."""
    user = store.table("res.users").rows.get(uid, {})
    return uid == 1 or user.get("login") == "admin"


def check_access(env: Env, model: str, operation: str) -> None:
    """Raise the recorded AccessError when a non-admin touches a restricted model."""
    restricted = RESTRICTED_MODELS.get(model)
    if restricted and operation in restricted[0] and not is_admin(env.store, env.uid):
        raise errors.access_rights_error(model, model_description(model), _VERBS[operation],
                                         restricted[1])


# -- arguments ------------------------------------------------------------------------------
def record_ids(model: str, value: Any) -> list[int]:
    """The ids a recordset method was called on (an int, a list, or garbage as Odoo sees it)."""
    if isinstance(value, bool):
        raise errors.invalid_text_representation(model.replace(".", "_"), str(value))
    if isinstance(value, int):
        return [value]
    if isinstance(value, str):
        raise errors.invalid_text_representation(model.replace(".", "_"), value)
    ids = list(value or [])
    for item in ids:
        if not isinstance(item, int) or isinstance(item, bool):
            raise errors.invalid_text_representation(model.replace(".", "_"), str(item))
    return ids


def check_fields(store: Store, model: str, names: list[str]) -> None:
    """Raise Odoo's ValueError for a field ``model`` does not have."""
    known = store.table(model).fields
    for name in names:
        if name not in known and name != "id":
            raise errors.invalid_field(model, name)


def _field_names(store: Store, model: str, fields: list[str] | None) -> list[str]:
    if not fields:
        return [name for name in store.table(model).fields if name != "id"]
    check_fields(store, model, fields)
    return [name for name in fields if name != "id"]


def _check_order(store: Store, model: str, order: str | None) -> None:
    if order:
        check_fields(store, model, [term.split()[0] for term in order.split(",") if term.strip()])


def _active_test(env: Env) -> bool:
    return env.context.get("active_test", True) is not False


# -- generic read methods -------------------------------------------------------------------------
def _search_ids(env: Env, model: str, domain: list[Any] | None, offset: int = 0,
                limit: int | None = None, order: str | None = None) -> list[int]:
    _check_order(env.store, model, order)
    return env.store.search(model, domain, order=order, offset=offset or 0, limit=limit,
                            active_test=_active_test(env))


def search(env: Env, model: str, domain: list[Any] | None = None, offset: int = 0,
           limit: int | None = None, order: str | None = None, count: bool = False) -> list[int] | int:
    """``search`` (16 still accepts ``count=True``)."""
    if count and env.profile.major >= 17:
        raise errors.type_error("BaseModel.search() got an unexpected keyword argument 'count'")
    ids = _search_ids(env, model, domain, offset, limit, order)
    return len(ids) if count else ids


def search_count(env: Env, model: str, domain: list[Any] | None = None, limit: int | None = None) -> int:
    """``search_count``."""
    return len(env.store.search(model, domain, limit=limit, active_test=_active_test(env)))


def read(env: Env, model: str, ids: Any, fields: list[str] | None = None,
         load: str | None = "_classic_read") -> list[dict[str, Any]]:
    """``read``: missing ids are left out (16 raises MissingError for ``mail.activity``)."""
    wanted = record_ids(model, ids)
    names = _field_names(env.store, model, fields)
    missing = [i for i in wanted if not env.store.exists(model, i)]
    if missing and model == "mail.activity" and env.profile.activity_read_missing_raises:
        raise errors.missing_error(model, missing, env.uid)
    return [env.store.read_row(model, env.store.row(model, i), names, load=load)
            for i in wanted if env.store.exists(model, i)]


def search_read(env: Env, model: str, domain: list[Any] | None = None, fields: list[str] | None = None,
                offset: int = 0, limit: int | None = None, order: str | None = None,
                load: str | None = "_classic_read") -> list[dict[str, Any]]:
    """``search_read``."""
    if env.profile.major >= 17:  # 16 validates the fields only when it found records
        _field_names(env.store, model, fields)
    ids = _search_ids(env, model, domain, offset, limit, order)
    if not ids:
        return []
    names = _field_names(env.store, model, fields)
    return [env.store.read_row(model, env.store.row(model, i), names, load=load) for i in ids]


def fields_get(env: Env, model: str, allfields: list[str] | None = None,
               attributes: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """``fields_get``, optionally restricted to some fields and attributes."""
    fields = env.store.table(model).fields
    names = [name for name in fields if not allfields or name in allfields]
    if not attributes:
        return {name: dict(fields[name]) for name in names}
    return {name: {key: fields[name][key] for key in attributes if key in fields[name]}
            for name in names}


def name_get(env: Env, model: str, ids: Any) -> list[list[Any]]:
    """``name_get`` (16 only)."""
    return [[i, env.store.display_name(model, i)] for i in record_ids(model, ids)
            if env.store.exists(model, i)]


def name_search(env: Env, model: str, name: str = "", args: list[Any] | None = None,
                operator: str = "ilike", limit: int | None = 100) -> list[list[Any]]:
    """``name_search`` on the display names."""
    found = []
    for record_id in env.store.search(model, args, active_test=_active_test(env)):
        shown = env.store.display_name(model, record_id)
        mode = operator if operator in ("like", "ilike", "=like", "=ilike") else "ilike"
        if not name or (operator == "=" and shown == name) or (operator != "=" and like(shown, mode, name)):
            found.append([record_id, shown])
    return found[:limit] if limit else found


def web_read(env: Env, model: str, ids: Any, specification: dict[str, Any]) -> list[dict[str, Any]]:
    """``web_read`` (17+): values shaped by a field specification."""
    wanted = [i for i in record_ids(model, ids) if env.store.exists(model, i)]
    check_fields(env.store, model, list(specification))
    return [_web_row(env, model, env.store.row(model, i), specification) for i in wanted]


def web_search_read(env: Env, model: str, domain: list[Any] | None = None,
                    specification: dict[str, Any] | None = None, offset: int = 0,
                    limit: int | None = None, order: str | None = None,
                    count_limit: int | None = None) -> dict[str, Any]:
    """``web_search_read`` (17+): ``{"length": .., "records": [..]}``."""
    spec = specification or {}
    all_ids = _search_ids(env, model, domain, order=order)
    page = all_ids[offset:offset + limit] if limit else all_ids[offset:]
    return {"length": len(all_ids), "records": web_read(env, model, page, spec)}


def web_search_read_16(env: Env, model: str, domain: list[Any] | None = None,
                       fields: list[str] | None = None, offset: int = 0, limit: int | None = None,
                       order: str | None = None, count_limit: int | None = None) -> dict[str, Any]:
    """``web_search_read`` as 16 has it (a field list, ``read`` values)."""
    total = search_count(env, model, domain)
    return {"length": total, "records": search_read(env, model, domain, fields, offset, limit, order)}


def _web_row(env: Env, model: str, row: Row, specification: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"id": row["id"]}
    for name, spec in specification.items():
        values[name] = _web_value(env, model, row, name, spec or {})
    return values


def _web_value(env: Env, model: str, row: Row, name: str, spec: dict[str, Any]) -> Any:
    store = env.store
    definition = store.table(model).fields.get(name, {})
    raw = store.value(model, row, name)
    relation = definition.get("relation", "")
    if definition.get("type") == "many2one":
        if not raw or "fields" not in spec:
            return raw or False
        if not store.has_model(relation) or not store.exists(relation, raw):
            return {"id": raw, "display_name": store.display_name(relation, raw)}
        return _web_row(env, relation, store.row(relation, raw), spec["fields"])
    if definition.get("type") in X2MANY:
        if "fields" not in spec or not store.has_model(relation):
            return list(raw)
        return web_read(env, relation, list(raw), spec["fields"])
    return store.read_value(model, row, name)


# -- generic write methods ---------------------------------------------------------------------
def create(env: Env, model: str, vals_list: dict[str, Any] | list[dict[str, Any]]) -> int | list[int]:
    """``create``: a dict gives an id, a list of dicts a list of ids."""
    if isinstance(vals_list, dict):
        return create_record(env, model, vals_list)
    return [create_record(env, model, vals) for vals in vals_list]


def write(env: Env, model: str, ids: Any, vals: dict[str, Any]) -> bool:
    """``write``: MissingError when a record does not exist."""
    write_records(env, model, record_ids(model, ids), vals)
    return True


def unlink(env: Env, model: str, ids: Any) -> bool:
    """``unlink``: MissingError when a record does not exist; cascades to children."""
    wanted = record_ids(model, ids)
    _require_existing(env, model, wanted)
    hook = env.store.hooks.before_unlink.get(model)
    if hook is not None:
        hook(env, wanted)
    delete_records(env, model, wanted)
    return True


def delete_records(env: Env, model: str, ids: list[int]) -> None:
    """Remove ``ids`` and the records that cannot live without them."""
    store = env.store
    table = store.table(model)
    for record_id in ids:
        row = table.rows.get(record_id)
        if row is None:
            continue
        children = [(d["relation"], store.value(model, row, name)) for name, d in table.fields.items()
                    if d.get("type") == "one2many" and _cascades(store, d)]
        del table.rows[record_id]
        for relation, child_ids in children:
            delete_records(env, relation, [c for c in child_ids if store.exists(relation, c)])


def _cascades(store: Store, definition: dict[str, Any]) -> bool:
    relation, inverse = definition.get("relation"), definition.get("relation_field")
    if not store.has_model(relation or "") or inverse not in store.table(relation or "").fields:
        return False
    return inverse == "res_id" or bool(store.table(relation or "").fields[inverse].get("required"))


def _require_existing(env: Env, model: str, ids: list[int]) -> None:
    missing = [i for i in ids if not env.store.exists(model, i)]
    if missing:
        raise errors.missing_error(model, missing, env.uid)


# -- the create / write pipeline ---------------------------------------------------------------
def create_record(env: Env, model: str, vals: dict[str, Any], *, strict: bool = True) -> int:
    """Create one record: defaults, mandatory fields, constraints, x2many commands, hooks.

    ``strict=False`` is the seeding path of :meth:`OdooStandin.add`: it accepts an explicit
    ``id``, many2one values as ``[id, name]``, skips the mandatory-field and constraint checks
    and runs no side effects (no chatter message, no picking).
    """
    store, hooks = env.store, env.store.hooks
    values = dict(vals)
    wanted_id = values.pop("id", None) if not strict else None
    check_fields(store, model, list(values))
    relational = {k: values.pop(k) for k in list(values) if _type(store, model, k) in X2MANY}
    values = {k: _to_raw(store, model, k, v) for k, v in values.items()}
    if "active" in store.table(model).fields:
        values.setdefault("active", True)
    defaults = hooks.defaults.get(model)
    values = defaults(env, values) if defaults else values
    if strict:
        _check_mandatory(store, model, values, hooks.mandatory.get(model, ()))
        constraint = hooks.constraints.get(model)
        if constraint is not None:
            constraint(env, values)
    now = env.now()
    new_id = store.table(model).take_id(wanted_id)
    store.table(model).rows[new_id] = {"create_uid": env.uid, "create_date": now, "write_uid": env.uid,
                                       "write_date": now, **values, "id": new_id}
    for name, commands in relational.items():
        apply_x2many(env, model, new_id, name, commands, strict=strict)
    after = hooks.after_create.get(model)
    if strict and after is not None:
        after(env, new_id)
    return new_id


def write_records(env: Env, model: str, ids: list[int], vals: dict[str, Any]) -> None:
    """Write ``vals`` on existing records ``ids`` (MissingError otherwise)."""
    store = env.store
    _require_existing(env, model, ids)
    check_fields(store, model, list(vals))
    relational = {k: v for k, v in vals.items() if _type(store, model, k) in X2MANY}
    plain = {k: _to_raw(store, model, k, v) for k, v in vals.items() if k not in relational}
    for record_id in ids:
        row = store.row(model, record_id)
        row.update(plain)
        row.update(write_uid=env.uid, write_date=env.now())
        for name, commands in relational.items():
            apply_x2many(env, model, record_id, name, commands)
    hook = store.hooks.after_write.get(model)
    if hook is not None:
        hook(env, ids, vals)


def _type(store: Store, model: str, name: str) -> str:
    return str(store.table(model).fields.get(name, {}).get("type", ""))


def _to_raw(store: Store, model: str, name: str, value: Any) -> Any:
    """A client value in storage form (many2one ``[id, name]`` becomes ``id``)."""
    definition = store.table(model).fields.get(name, {})
    if definition.get("type") == "many2one" and isinstance(value, (list, tuple)):
        if not value:
            return False
        if len(value) > 1 and isinstance(value[1], str):
            relation = definition.get("relation", "")
            if not store.exists(relation, value[0]):
                store.names[(relation, value[0])] = value[1]
        return value[0]
    if value is None:
        return empty_value(str(definition.get("type", "char")))
    return value


def _check_mandatory(store: Store, model: str, values: dict[str, Any], names: tuple[str, ...]) -> None:
    for name in names:
        if values.get(name) in (None, False, "", 0, []):
            definition = store.table(model).fields.get(name, {})
            raise errors.mandatory_field(model, model_description(model), name,
                                         str(definition.get("string", name)))


def apply_x2many(env: Env, model: str, record_id: int, name: str, value: Any, *, strict: bool = True) -> None:
    """Apply x2many ``value`` (command triples or a plain id list) to one record."""
    store = env.store
    definition = store.table(model).fields[name]
    relation = str(definition.get("relation", ""))
    inverse = definition.get("relation_field") if definition["type"] == "one2many" else None
    linked = inverse if inverse and store.has_model(relation) and inverse in store.table(relation).fields else None
    row = store.row(model, record_id)
    current = list(store.value(model, row, name))
    for command in _commands(value):
        current = _apply_command(env, relation, linked, record_id, current, command, strict)
    if linked is None:
        row[name] = current


def _commands(value: Any) -> list[list[Any]]:
    items = list(value or [])
    if items and all(isinstance(i, int) and not isinstance(i, bool) for i in items):
        return [[6, 0, items]]
    return [list(item) for item in items]


def _apply_command(env: Env, relation: str, inverse: str | None, parent_id: int, current: list[int],
                   command: list[Any], strict: bool) -> list[int]:
    code = command[0]
    target = command[1] if len(command) > 1 else 0
    store = env.store
    if code == 0:
        vals = dict(command[2] if len(command) > 2 else {})
        if inverse:
            vals[inverse] = parent_id
        return [*current, create_record(env, relation, vals, strict=strict)]
    if code == 1:
        write_records(env, relation, [target], dict(command[2]))
        return current
    if code == 2:
        delete_records(env, relation, [target])
        return [i for i in current if i != target]
    if code in (3, 5):
        dropped = current if code == 5 else [target]
        if inverse:
            for child in dropped:
                if store.exists(relation, child):
                    store.row(relation, child)[inverse] = False
        return [i for i in current if i not in dropped]
    if code in (4, 6):
        added = [target] if code == 4 else list(command[2] if len(command) > 2 else [])
        if inverse:
            for child in added:
                if store.exists(relation, child):
                    store.row(relation, child)[inverse] = parent_id
        return list(dict.fromkeys((current if code == 4 else []) + added))
    raise errors.value_error(f"Unknown x2many command {command!r}")


# -- methods of single models ---------------------------------------------------------------------
def context_get(env: Env, model: str) -> dict[str, Any]:
    """``res.users.context_get``: the user's language and time zone."""
    user = env.store.table("res.users").rows.get(env.uid, {})
    return {"lang": user.get("lang") or "en_US", "tz": user.get("tz") or "Europe/Brussels",
            "uid": env.uid}


def check_object_reference(env: Env, model: str, module: str, xml_id: str,
                           raise_on_access_error: bool = False) -> list[Any]:
    """``ir.model.data.check_object_reference``: ``[model, res_id]`` of an external id."""
    ids = env.store.search("ir.model.data", [("module", "=", module), ("name", "=", xml_id)])
    if not ids:
        raise errors.value_error(f"External ID not found in the system: {module}.{xml_id}")
    row = env.store.row("ir.model.data", ids[0])
    return [row["model"], row["res_id"]]


def _hidden(store: Store, model: str, row: Row) -> str:
    return ""  # Odoo never reads passwords back


GENERIC_METHODS: dict[str, Callable[..., Any]] = {
    "search": search, "search_read": search_read, "search_count": search_count, "read": read,
    "create": create, "write": write, "unlink": unlink, "fields_get": fields_get,
    "name_get": name_get, "name_search": name_search, "web_search_read": web_search_read,
    "web_read": web_read,
}


def install(store: Store) -> None:
    """Register the methods of single models (``context_get``, ``check_object_reference``)."""
    store.hooks.methods.setdefault("res.users", {})["context_get"] = context_get
    hidden = {name: _hidden for name in ("password", "new_password") if name in store.table("res.users").fields}
    store.hooks.computes.setdefault("res.users", {}).update(hidden)
    store.hooks.methods.setdefault("ir.model.data", {})["check_object_reference"] = check_object_reference
