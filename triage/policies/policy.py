"""The policy file: loaded, validated (errors name the rule and the problem), hashed.

The schema is the pydantic model below (``triage policy schema`` prints it as JSON Schema);
docs/POLICY.md explains every rule. Rules refer to the categories and Odoo exception types and
to the action catalog of ``triage.domain``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from triage.domain import CATEGORIES, ODOO_EXCEPTION_TYPES, Action
from triage.errors import PolicyError

KINDS = (*CATEGORIES, *ODOO_EXCEPTION_TYPES)  # what a rule can be keyed by
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _known_kinds(keys, where: str = "") -> None:
    for key in keys:
        if key not in KINDS:
            raise ValueError(f"{where}unknown category or exception type {key!r}; known: {', '.join(KINDS)}")


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MinConfidence(_Rule):
    default: float = Field(0.55, ge=0, le=1)
    per_category: dict[str, float] = Field(default_factory=dict)

    @field_validator("per_category")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        _known_kinds(value)
        for category, threshold in value.items():
            if not 0 <= threshold <= 1:
                raise ValueError(f"{category}: threshold {threshold} is not within 0..1")
        return value

    def threshold(self, exception_type: str, category: str) -> float:
        return self.per_category.get(exception_type, self.per_category.get(category, self.default))


class AmountThreshold(_Rule):
    """Above ``above`` (in ``currency`` when given), escalate the assignee or hold for a person."""

    name: str = Field(min_length=1, max_length=80)
    above: float = Field(ge=0)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    applies_to: list[str] = Field(default_factory=list)  # categories or exception types; empty: all
    escalate_to: str | None = Field(None, min_length=1)  # an Odoo login
    hold: bool = False

    @field_validator("applies_to")
    @classmethod
    def _kinds(cls, value: list[str]) -> list[str]:
        _known_kinds(value)
        return value

    @model_validator(mode="after")
    def _one_effect(self) -> AmountThreshold:
        if bool(self.escalate_to) == self.hold:
            raise ValueError("give exactly one of escalate_to (an Odoo login) or hold: true")
        return self

    def applies(self, exception_type: str, category: str, amount: float | None, currency: str | None) -> bool:
        if amount is None or (self.applies_to and exception_type not in self.applies_to
                              and category not in self.applies_to):
            return False
        if self.currency is not None and (currency or "").upper() != self.currency:
            return False
        return abs(amount) > self.above


class Suppliers(_Rule):
    """Entries are an e-mail address, a mail domain (its subdomains too) or a supplier's name."""

    allow: list[str] = Field(default_factory=list)  # empty: every supplier not denied
    deny: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _disjoint(self) -> Suppliers:
        for entry in [*self.allow, *self.deny]:
            if not entry.strip():
                raise ValueError("an empty supplier entry")
        both = {e.casefold() for e in self.allow} & {e.casefold() for e in self.deny}
        if both:
            raise ValueError(f"on both the allow and the deny list: {sorted(both)}")
        return self


class Caps(_Rule):
    """New activities per day (the company's day, ``TRIAGE_TIMEZONE``); updates are not counted."""

    per_record_per_day: int | None = Field(None, ge=1)
    per_assignee_per_day: int | None = Field(None, ge=1)
    per_supplier_per_day: int | None = Field(None, ge=1)
    on_exceed: Literal["hold", "reject"] = "hold"

    def limits(self) -> dict[str, int]:
        found = {"record": self.per_record_per_day, "assignee": self.per_assignee_per_day,
                 "supplier": self.per_supplier_per_day}
        return {kind: cap for kind, cap in found.items() if cap is not None}


class Deadlines(_Rule):
    """Deadlines fall on working days of the company (``TRIAGE_TIMEZONE``), at least ``min_lead_days`` ahead."""

    working_days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1)
    holidays: list[dt.date] = Field(default_factory=list)
    min_lead_days: int = Field(0, ge=0, le=60)  # working days after today

    def is_working(self, day: dt.date) -> bool:
        return WEEKDAYS[day.weekday()] in self.working_days and day not in self.holidays

    def next_working(self, day: dt.date) -> dt.date:
        while not self.is_working(day):
            day += dt.timedelta(days=1)
        return day

    def earliest(self, today: dt.date) -> dt.date:
        """``min_lead_days`` working days after today (today itself, when working, for 0)."""
        day = self.next_working(today)
        for _ in range(self.min_lead_days):
            day = self.next_working(day + dt.timedelta(days=1))
        return day


class Policy(_Rule):
    version: Literal[1] = 1
    kill_switch: bool = False
    min_confidence: MinConfidence = Field(default_factory=MinConfidence)
    allowed_actions: dict[str, list[str]] = Field(default_factory=dict)
    hold_unlinked: bool = True
    suppliers: Suppliers = Field(default_factory=Suppliers)
    amount_thresholds: list[AmountThreshold] = Field(default_factory=list)
    caps: Caps = Field(default_factory=Caps)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    hash: str = ""

    @field_validator("allowed_actions")
    @classmethod
    def _catalog(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        _known_kinds(value)
        actions = {a.value for a in Action}
        for category, allowed in value.items():
            unknown = [a for a in allowed if a not in actions]
            if unknown:
                raise ValueError(f"{category}: unknown action(s) {unknown}; the catalog is {sorted(actions)}")
        return value

    @field_validator("amount_thresholds")
    @classmethod
    def _unique_names(cls, value: list[AmountThreshold]) -> list[AmountThreshold]:
        names = [rule.name for rule in value]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"rule names must be unique: {repeated}")
        return value

    def allowed(self, exception_type: str, category: str) -> list[str] | None:
        """The actions allowed for a case (its exception type's list, else its category's; None: any)."""
        return self.allowed_actions.get(exception_type, self.allowed_actions.get(category))


def _where(loc: tuple, data: dict[str, Any]) -> str:
    """An error location, naming an amount rule by its name rather than its position."""
    parts = [str(p) for p in loc]
    if len(loc) > 1 and loc[0] == "amount_thresholds" and isinstance(loc[1], int):
        rules = data.get("amount_thresholds")
        rule = rules[loc[1]] if isinstance(rules, list) and loc[1] < len(rules) else None
        name = rule.get("name") if isinstance(rule, dict) else None
        parts[1] = f"[{name!r}]" if name else f"[{loc[1]}]"
        return parts[0] + parts[1] + "".join(f".{p}" for p in parts[2:])
    return ".".join(parts) or "(top level)"


def parse_policy(text: str, origin: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise PolicyError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{origin}: expected a mapping at the top level")
    if "hash" in data:
        raise PolicyError(f"{origin}: 'hash' is computed, not set")
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{_where(e['loc'], data)}: {e['msg'].removeprefix('Value error, ')}"
                             for e in exc.errors())
        raise PolicyError(f"{origin}: {problems}") from exc
    policy.hash = hashlib.sha256(text.encode()).hexdigest()
    return policy


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file {path}: {exc}") from exc
    return parse_policy(text, str(path))


def json_schema() -> dict[str, Any]:
    """The policy file's JSON Schema (the computed ``hash`` left out)."""
    schema = Policy.model_json_schema()
    schema.get("properties", {}).pop("hash", None)
    return schema


class PolicyFile:
    """The policy file, read again when it changes on disk (checked by size and mtime), so an edit
    (the kill switch above all) takes effect without a restart. A file that no longer validates
    keeps the last good policy in force and reports the error in ``problem``."""

    def __init__(self, path: Path):
        self.path = path
        self.policy = load_policy(path)
        self.problem: str | None = None
        self._stamp = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def current(self) -> Policy:
        stamp = self._stat()
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self.policy, self.problem = load_policy(self.path), None
            except PolicyError as exc:
                self.problem = str(exc)
        return self.policy
