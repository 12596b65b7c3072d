"""A data scientist's session on a trained registry: list versions, promote by hand, read the history."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import register_again, triage_env
from triage.config import load_settings

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ROOT = Path(__file__).parents[2]


def _module(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, env=triage_env(data_dir), capture_output=True,
                          text=True, timeout=300)


def test_list_promote_and_history(registry_copy):
    second = register_again(load_settings(data_dir=registry_copy))
    listed = _module(registry_copy, "training.runs", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {r["version"]: r for r in json.loads(listed.stdout)}
    assert rows["1"]["aliases"] == ["challenger", "champion"] and rows["1"]["macro_f1"] > 0.3
    assert rows[second]["aliases"] == [] and rows[second]["macro_f1"] == rows["1"]["macro_f1"]  # same run

    missing = _module(registry_copy, "training.promote", "99")
    assert missing.returncode == 2 and "has no version '99'" in missing.stderr
    promoted = _module(registry_copy, "training.promote", second, "--by", "dana")
    assert promoted.returncode == 0, promoted.stderr
    assert f"triage-classifier@champion: v1 -> v{second}" in promoted.stdout

    history = _module(registry_copy, "training.runs", "--history", "--json")
    moves = [e for e in json.loads(history.stdout) if e["kind"] == "model_alias_moved"]
    assert moves[-1]["alias"] == "champion" and moves[-1]["version"] == second and moves[-1]["by"] == "dana"
    assert moves[-1]["previous"] == "1" and moves[-1]["manual"] is True and moves[-1]["forced"] is False
    text = _module(registry_copy, "training.runs", "--history").stdout
    assert f"champion -> v{second} (was 1) by dana" in text
    table = _module(registry_copy, "training.runs").stdout
    assert "macro-F1" in table and "champion" in table
