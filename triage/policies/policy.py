"""The policy file: loaded, validated (errors name the rule and the problem), hashed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triage.domain import CATEGORIES, Action
from triage.errors import PolicyError


class MinConfidence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    default: float = Field(0.55, ge=0, le=1)
    per_category: dict[str, float] = Field(default_factory=dict)

    @field_validator("per_category")
    @classmethod
    def _known(cls, value: dict[str, float]) -> dict[str, float]:
        for category, threshold in value.items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r}")
            if not 0 <= threshold <= 1:
                raise ValueError(f"{category}: threshold {threshold} is not within 0..1")
        return value

    def for_category(self, category: str) -> float:
        return self.per_category.get(category, self.default)


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    kill_switch: bool = False
    min_confidence: MinConfidence = Field(default_factory=MinConfidence)
    allowed_actions: dict[str, list[str]] = Field(default_factory=dict)
    hold_unlinked: bool = True
    deny_suppliers: list[str] = Field(default_factory=list)
    hash: str = ""

    @field_validator("allowed_actions")
    @classmethod
    def _catalog(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        actions = {a.value for a in Action}
        for category, allowed in value.items():
            if category not in CATEGORIES:
                raise ValueError(f"unknown category {category!r}")
            unknown = [a for a in allowed if a not in actions]
            if unknown:
                raise ValueError(f"{category}: unknown action(s) {unknown}; the catalog is {sorted(actions)}")
        return value


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
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise PolicyError(f"{origin}: {problems}") from exc
    policy.hash = hashlib.sha256(text.encode()).hexdigest()
    return policy


def load_policy(path: Path) -> Policy:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"cannot read the policy file {path}: {exc}") from exc
    return parse_policy(text, str(path))
