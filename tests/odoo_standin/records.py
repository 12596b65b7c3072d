"""The in-memory database of the stand-in: tables of raw records, values as Odoo reads them.

Records are plain dicts of *raw* values (many2one as an id or ``False``, x2many as id lists,
dates and datetimes as naive-UTC strings). :class:`Store` keeps one :class:`Table` per model,
computes the fields model behaviours register in :class:`Hooks`, formats values the way
``read`` answers them and evaluates searches (domain, order, offset, limit).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from . import domain as domains
from . import errors
from .schema import Fields, default_order
from .versions import VersionProfile

Row = dict[str, Any]
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
DATE_FORMAT = "%Y-%m-%d"
_EMPTY_BY_TYPE: dict[str, Any] = {"boolean": False, "integer": 0, "float": 0.0, "monetary": 0.0,
                                  "many2one_reference": 0}
X2MANY = ("one2many", "many2many")


@dataclass
class Env:
    """Who calls, with which context: what every ORM method receives."""

    store: Store
    uid: int
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def profile(self) -> VersionProfile:
        """The version profile of the stand-in."""
        return self.store.profile

    def now(self) -> str:
        """The current UTC time as Odoo writes datetimes."""
        return dt.datetime.now(dt.timezone.utc).strftime(DATETIME_FORMAT)

    def today(self) -> str:
        """Today's date in the user's time zone (Odoo's ``context_today``)."""
        return today_in(self.store, self.uid, self.context.get("tz"))


def today_in(store: Store, uid: Any, tz: str | None = None) -> str:
    """Today in time zone ``tz``, else in the time zone of user ``uid``, else in UTC."""
    users = store.tables.get("res.users")
    tz_name = tz or (users.rows.get(uid, {}).get("tz") if users else None) or "UTC"
    try:
        zone = ZoneInfo(str(tz_name))
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    return dt.datetime.now(zone).strftime(DATE_FORMAT)


Compute = Callable[["Store", str, Row], Any]
Method = Callable[..., Any]


@dataclass
class Hooks:
    """Per-model behaviour registered by the behaviour modules (purchasing, activities)."""

    #: model -> field -> function computing the raw value of a non-stored field
    computes: dict[str, dict[str, Compute]] = field(default_factory=dict)
    #: model -> function giving a record's display name
    display_names: dict[str, Callable[[Store, Row], str]] = field(default_factory=dict)
    #: model -> function(env, values) returning the values completed with defaults
    defaults: dict[str, Callable[[Env, dict[str, Any]], dict[str, Any]]] = field(default_factory=dict)
    #: model -> fields a create must set (Odoo's "mandatory field" ValidationError)
    mandatory: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: model -> function(env, values) raising an OdooError when a constraint fails on create
    constraints: dict[str, Callable[[Env, Row], None]] = field(default_factory=dict)
    #: model -> function(env, record_id) run after a create
    after_create: dict[str, Callable[[Env, int], None]] = field(default_factory=dict)
    #: model -> function(env, record_ids, values) run after a write
    after_write: dict[str, Callable[[Env, list[int], dict[str, Any]], None]] = field(default_factory=dict)
    #: model -> function(env, record_ids) run before an unlink (may raise)
    before_unlink: dict[str, Callable[[Env, list[int]], None]] = field(default_factory=dict)
    #: model -> public method name -> function(env, ids, *args, **kwargs)
    methods: dict[str, dict[str, Method]] = field(default_factory=dict)


@dataclass
class Table:
    """The records of one model and its field definitions."""

    model: str
    fields: Fields
    rows: dict[int, Row] = field(default_factory=dict)
    next_id: int = 1

    def take_id(self, wanted: int | None = None) -> int:
        """Reserve ``wanted`` (or the next free id of the sequence) and return it."""
        if wanted is not None:
            if wanted in self.rows:
                raise ValueError(f"{self.model} already has a record with id {wanted}")
            self.next_id = max(self.next_id, wanted + 1)
            return wanted
        while self.next_id in self.rows:
            self.next_id += 1
        self.next_id += 1
        return self.next_id - 1


class Store:
    """All tables of one stand-in plus the display names of records it does not keep."""

    def __init__(self, profile: VersionProfile, schemas: dict[str, Fields]) -> None:
        self.profile = profile
        self.tables: dict[str, Table] = {m: Table(m, f) for m, f in schemas.items()}
        #: (model, id) -> display name, for many2one targets of models without records
        self.names: dict[tuple[str, int], str] = {}
        self.hooks = Hooks()

    # -- tables and raw values ------------------------------------------------------------
    def table(self, model: str) -> Table:
        """The table of ``model`` (KeyError if the stand-in does not serve it)."""
        return self.tables[model]

    def has_model(self, model: str) -> bool:
        """Whether ``model`` exists on this stand-in."""
        return model in self.tables

    def exists(self, model: str, record_id: Any) -> bool:
        """Whether ``model`` has a record ``record_id``."""
        return model in self.tables and isinstance(record_id, int) and record_id in self.tables[model].rows

    def row(self, model: str, record_id: int) -> Row:
        """The live raw record."""
        return self.tables[model].rows[record_id]

    def value(self, model: str, row: Row, name: str) -> Any:
        """The raw value of field ``name`` of ``row`` (computed, stored or empty)."""
        compute = self.hooks.computes.get(model, {}).get(name)
        if compute is not None:
            return compute(self, model, row)
        if name == "id":
            return row["id"]
        if name == "display_name":
            return self.display_name(model, row["id"])
        if name == "__last_update":
            return row.get("write_date", False)
        definition = self.tables[model].fields.get(name, {})
        if definition.get("type") == "one2many" and self._inverse_of(definition):
            return self._one2many(model, row, definition)
        if name in row:
            return row[name]
        return empty_value(definition.get("type", "char"))

    def _inverse_of(self, definition: dict[str, Any]) -> str | None:
        relation, inverse = definition.get("relation"), definition.get("relation_field")
        if relation in self.tables and inverse in self.tables[relation].fields:
            return inverse
        return None

    def _one2many(self, model: str, row: Row, definition: dict[str, Any]) -> list[int]:
        relation, inverse = definition["relation"], definition["relation_field"]
        record_domain: list[Any] = [(inverse, "=", row["id"])]
        if inverse == "res_id":  # mail.thread's activity_ids / message_ids
            model_field = "res_model" if relation == "mail.activity" else "model"
            record_domain.append((model_field, "=", model))
        extra = definition.get("domain")
        if isinstance(extra, list):
            record_domain.extend(extra)
        return self.search(relation, record_domain)

    # -- display names ---------------------------------------------------------------------
    def display_name(self, model: str, record_id: int) -> str:
        """What a many2one to (``model``, ``record_id``) shows."""
        if self.exists(model, record_id):
            row = self.tables[model].rows[record_id]
            custom = self.hooks.display_names.get(model)
            if custom is not None:
                return custom(self, row)
            for candidate in ("name", "display_name", "complete_name"):
                if row.get(candidate):
                    return str(row[candidate])
            return f"{model},{record_id}"
        return self.names.get((model, record_id), f"{model},{record_id}")

    # -- reading -----------------------------------------------------------------------------
    def read_value(self, model: str, row: Row, name: str, *, load: str | None = "_classic_read") -> Any:
        """The value of ``name`` as ``read`` answers it."""
        raw = self.value(model, row, name)
        definition = self.tables[model].fields.get(name, {})
        if definition.get("type") == "many2one" and raw and load:
            return [raw, self.display_name(definition.get("relation", ""), raw)]
        if definition.get("type") in X2MANY:
            return list(raw or [])
        if raw is None:
            return False
        return raw

    def read_row(self, model: str, row: Row, names: list[str], *, load: str | None = "_classic_read") -> dict[str, Any]:
        """``{"id": .., field: value, ..}`` for ``names``."""
        result: dict[str, Any] = {"id": row["id"]}
        for name in names:
            result[name] = self.read_value(model, row, name, load=load)
        return result

    # -- searching ---------------------------------------------------------------------------
    def search(self, model: str, domain: list[Any] | None = None, *, order: str | None = None,
               offset: int = 0, limit: int | None = None, active_test: bool = True) -> list[int]:
        """Ids of the records of ``model`` matching ``domain``, ordered and sliced."""
        table = self.tables[model]
        terms = list(domain or [])
        if active_test and "active" in table.fields and "active" not in domains.fields_of(terms):
            terms = ["&", ("active", "=", True), *domains.normalize(terms)] if terms else [("active", "=", True)]
        found = [row for row in table.rows.values()
                 if domains.matches(terms, lambda path, row=row: self.resolve(model, row, path))]
        ordered = self.sort(model, found, order or default_order(model))
        ids = [row["id"] for row in ordered]
        return ids[offset:offset + limit] if limit else ids[offset:]

    def resolve(self, model: str, row: Row, path: str) -> list[Any]:
        """Raw values at ``path`` ("field" or "many2one.field") of ``row``."""
        head, _, tail = path.partition(".")
        if head not in self.tables[model].fields and head != "id":
            raise errors.invalid_field(model, head)
        value = self.value(model, row, head)
        if not tail:
            return list(value) if isinstance(value, list) else [value]
        relation = self.tables[model].fields[head].get("relation", "")
        ids = value if isinstance(value, list) else ([value] if value else [])
        if relation not in self.tables:
            return []
        return [item for target in ids if self.exists(relation, target)
                for item in self.resolve(relation, self.row(relation, target), tail)]

    def sort(self, model: str, rows: list[Row], order: str) -> list[Row]:
        """``rows`` sorted like ``ORDER BY order`` (NULLs last ascending, first descending)."""
        result = list(rows)
        for term in reversed([t.strip() for t in order.split(",") if t.strip()]):
            parts = term.split()
            name, descending = parts[0], len(parts) > 1 and parts[1].lower() == "desc"
            result.sort(key=lambda row, name=name: _sort_key(self._sort_value(model, row, name)),
                        reverse=descending)
        return result

    def _sort_value(self, model: str, row: Row, name: str) -> Any:
        if name not in self.tables[model].fields and name != "id":
            return False
        value = self.value(model, row, name)
        return value[0] if isinstance(value, list) and value else value


def empty_value(field_type: str) -> Any:
    """What Odoo reads for an unset field of ``field_type``."""
    if field_type in X2MANY:
        return []
    return _EMPTY_BY_TYPE.get(field_type, False)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is False or value is None or value == []:
        return (1, 0)
    if isinstance(value, bool):
        return (0, int(value))
    return (0, value)
