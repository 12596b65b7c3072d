"""`triage demo` run twice in a temporary directory: the second run adds nothing."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from tests.conftest import run_triage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

def _triage(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return run_triage(tmp_path, tmp_path / "var", *args)


def _status(tmp_path: Path) -> dict:
    result = _triage(tmp_path, "status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_demo_twice_creates_nothing_new(tmp_path):
    first = _triage(tmp_path, "demo")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "training a quick model" in first.stderr
    assert "16 new signal(s), 0 already stored, 0 quarantined" in first.stdout, first.stdout[-2000:]
    written = int(re.search(r"(\d+) activity write\(s\)", first.stdout).group(1))
    assert written > 0
    assert "Cases" in first.stdout and "review_new_date" in first.stdout
    after_first = _status(tmp_path)
    assert after_first["model"]["version"] == "1"
    assert after_first["signals"]["by_source"]["email"] == 14
    assert after_first["signals"]["by_source"]["document"] == 2
    assert after_first["outbox"]["by_state"]["sent"] == written

    second = _triage(tmp_path, "demo")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "training the default model" not in second.stderr
    assert "0 new signal(s), 16 already stored, 0 quarantined; 0 activity write(s)" in second.stdout
    assert _status(tmp_path) == after_first
    assert (tmp_path / "var" / "mlflow.db").is_file()
    assert not (tmp_path / "mlruns").exists()  # artifacts live under the data dir
