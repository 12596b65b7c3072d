"""Odoo search domains: normalisation and evaluation against in-memory records.

A domain is a list in Polish (prefix) notation of leaves ``[field, operator, value]`` and the
operators ``"&"``, ``"|"`` and ``"!"``; consecutive leaves are implicitly and-ed. Field paths
may go one level through a many2one (``"order_id.state"``). Values are compared on the raw
stored form (many2one as an id), as Odoo compares them in SQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from . import errors

Leaf = tuple[str, str, Any]
#: ``resolve(path) -> list of raw values`` for one record (a list because x2many paths fan out)
Resolver = Callable[[str], list[Any]]

OPERATORS = ("=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike", "not like",
             "not ilike", "=like", "=ilike", "child_of", "parent_of", "=?")
_TRUE_LEAF = (1, "=", 1)
_FALSE_LEAF = (0, "=", 1)


def normalize(domain: Sequence[Any] | None) -> list[Any]:
    """``domain`` in explicit prefix form (implicit ``&`` made explicit), leaves as tuples."""
    items = list(domain or [])
    result: list[Any] = []
    expected = 1
    for item in items:
        if expected == 0:
            result.insert(0, "&")
            expected = 1
        if isinstance(item, str):
            if item not in ("&", "|", "!"):
                raise errors.value_error(f"Invalid domain operator {item!r}")
            expected += 0 if item == "!" else 1
            result.append(item)
            continue
        if not isinstance(item, (list, tuple)) or len(item) != 3:
            raise errors.value_error(f"Invalid leaf {item!r}")
        operator = str(item[1]).lower()
        if operator not in OPERATORS:
            raise errors.value_error(f"Invalid leaf {list(item)!r}: unknown operator {item[1]!r}")
        result.append((item[0], operator, item[2]))
        expected -= 1
    return result


def fields_of(domain: Sequence[Any]) -> list[str]:
    """The first path segment of every leaf (to validate field names)."""
    return [leaf[0].split(".")[0] for leaf in normalize(domain)
            if isinstance(leaf, tuple) and isinstance(leaf[0], str)]


def matches(domain: Sequence[Any], resolve: Resolver) -> bool:
    """Whether the record behind ``resolve`` satisfies ``domain``."""
    tokens = normalize(domain)
    if not tokens:
        return True
    value, rest = _evaluate(tokens, resolve)
    if rest:
        raise errors.value_error(f"Invalid domain {list(domain)!r}")
    return value


def _evaluate(tokens: list[Any], resolve: Resolver) -> tuple[bool, list[Any]]:
    head, rest = tokens[0], tokens[1:]
    if head == "!":
        value, rest = _evaluate(rest, resolve)
        return not value, rest
    if head in ("&", "|"):
        left, rest = _evaluate(rest, resolve)
        right, rest = _evaluate(rest, resolve)
        return (left and right) if head == "&" else (left or right), rest
    return _leaf(head, resolve), rest


def _leaf(leaf: Leaf, resolve: Resolver) -> bool:
    path, operator, value = leaf
    if leaf in (_TRUE_LEAF, _FALSE_LEAF):
        return leaf == _TRUE_LEAF
    if operator == "=?":
        if value is None or value is False:
            return True
        operator = "="
    values = resolve(str(path))
    negative = operator in ("!=", "not in", "not like", "not ilike")
    if negative:
        return not _any_matches(values, _positive(operator), value)
    return _any_matches(values, operator, value)


def _positive(operator: str) -> str:
    return {"!=": "=", "not in": "in", "not like": "like", "not ilike": "ilike"}[operator]


def _any_matches(values: list[Any], operator: str, value: Any) -> bool:
    if not values:
        values = [False]
    return any(_compare(candidate, operator, value) for candidate in values)


def _empty(value: Any) -> bool:
    return value is None or value is False or value == [] or value == ""


def _compare(candidate: Any, operator: str, value: Any) -> bool:
    if operator in ("in", "child_of", "parent_of") or (operator == "=" and isinstance(value, (list, tuple))):
        choices = list(value) if isinstance(value, (list, tuple)) else [value]
        if _empty(candidate):
            return any(choice is False or choice is None for choice in choices)
        return candidate in choices
    if operator == "=":
        if value is None or value is False:
            return _empty(candidate)
        return not _empty(candidate) and candidate == value
    if operator in ("like", "ilike", "=like", "=ilike"):
        return like(candidate, operator, value)
    return _order_compare(candidate, operator, value)


def like(candidate: Any, operator: str, value: Any) -> bool:
    """SQL ``LIKE``/``ILIKE`` (``like``/``ilike`` wrap the pattern in ``%``)."""
    if _empty(candidate):
        return False
    text, pattern = str(candidate), str(value)
    if operator in ("like", "ilike"):
        pattern = f"%{pattern}%"
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    flags = re.IGNORECASE | re.DOTALL if operator.endswith("ilike") else re.DOTALL
    return re.fullmatch(regex, text, flags) is not None


def _order_compare(candidate: Any, operator: str, value: Any) -> bool:
    if _empty(candidate) or value is None or value is False:
        return False
    try:
        if operator == "<":
            return candidate < value
        if operator == "<=":
            return candidate <= value
        if operator == ">":
            return candidate > value
        return candidate >= value
    except TypeError:
        return False
