"""`triage classify`, `triage ingest file` and `triage status` as a user runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, run_triage

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIELD_KEYS = {"po_refs", "invoice_refs", "new_date", "amounts", "tracking_numbers", "sku_refs"}


def _triage(cwd: Path, data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return run_triage(cwd, data_dir, *args)


def test_classify_writes_one_row_per_input_row(trained, tmp_path):
    settings, _ = trained
    rows = [
        {"id": "a", "subject": "Shipment P00412 dispatched", "body": "Your order left today with DHL, AWB 1234567890. "
         "ETA 24.11.2026.", "from": "dispatch@acme.example", "date": "Mon, 16 Nov 2026 09:00:00 +0100"},
        {"id": "b", "subject": "Price increase", "body": "From 1 January 2027 all list prices rise by 6%; "
         "the surcharge is EUR 0.40/kg.", "from": "sales@acme.example", "date": "2026-11-16"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json}\n")
    result = _triage(tmp_path, settings.data_dir, "classify", "--input", str(source), "--output", str(tmp_path / "out.jsonl"))
    assert result.returncode == 0, result.stderr[-2000:]
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert len(out) == 3
    good = {r["id"]: r for r in out if "error" not in r}
    assert set(good) == {"a", "b"}
    for r in good.values():
        assert set(r["fields"]) == FIELD_KEYS and 0 <= r["confidence"] <= 1 and r["priority"] in (1, 2, 3, 4)
    assert good["a"]["fields"]["po_refs"] == ["P00412"]
    assert good["a"]["fields"]["tracking_numbers"] == ["1234567890"]
    assert good["b"]["fields"]["amounts"] == [{"value": 0.4, "currency": "EUR"}]
    assert [r for r in out if "error" in r][0]["id"] == 3


def test_ingest_file_quarantines_bad_input_and_goes_on(registry_copy, tmp_path):
    data_dir = registry_copy
    bad = tmp_path / "scan.pdf"
    bad.write_bytes(b"%PDF-1.4\n%%EOF")
    result = _triage(tmp_path, data_dir, "ingest", "file", str(bad), str(SAMPLES / "09_recall_webbing_slings.eml"))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "2 new signal(s), 0 already stored, 1 quarantined" in result.stdout
    status = json.loads(_triage(tmp_path, data_dir, "status", "--json").stdout)
    assert status["signals"]["by_state"] == {"received": 0, "processed": 1, "quarantined": 1}
    assert status["quarantine"]["by_reason"] == {"pdf_corrupt": 1}
    assert status["decisions"]["by_outcome"]["approve"] + status["decisions"]["by_outcome"]["hold"] == 1
    table = _triage(tmp_path, data_dir, "status")
    assert table.returncode == 0 and "quarantine" in table.stdout


def test_extract_prints_each_pdf_in_the_documented_shape(tmp_path):
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "pdf"
    good = fixtures / "12_de_invoice.pdf"
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\nnothing here")
    result = _triage(tmp_path, tmp_path / "var", "extract", "--json", str(good), str(broken))
    assert result.returncode == 1, result.stderr[-2000:]  # one file could not be read
    first, second = json.loads(result.stdout)
    expected = json.loads(good.with_suffix(".json").read_text(encoding="utf-8"))
    assert set(first) == {"file", "doc_type", "status", "fields", "lines", "confidence", "flags"}
    assert (first["status"], first["doc_type"]) == ("ok", "invoice")
    assert first["fields"]["amount_total"] == expected["fields"]["amount_total"]
    assert first["fields"]["document_date"] == expected["fields"]["document_date"]
    assert len(first["lines"]) == len(expected["lines"]) and 0 < first["confidence"]["amount_total"] <= 1
    assert second["status"] == "quarantined" and second["reason"] == "pdf_corrupt" and second["error"]
    table = _triage(tmp_path, tmp_path / "var", "extract", str(good))
    assert table.returncode == 0 and "amount_total" in table.stdout and "Rechnungsbetrag" not in table.stdout


def test_policy_check_schema_and_the_kill_switch_from_the_command_line(tmp_path):
    data_dir = tmp_path / "var"  # no model needed: these commands never classify
    good = _triage(tmp_path, data_dir, "policy", "check")
    assert good.returncode == 0 and "valid, hash" in good.stdout, good.stderr
    bad_file = tmp_path / "bad.yaml"
    bad_file.write_text("amount_thresholds:\n  - {name: big, above: 10}\ncaps: {per_record_per_day: 0}\n")
    bad = _triage(tmp_path, data_dir, "policy", "check", str(bad_file))
    assert bad.returncode == 1
    assert "amount_thresholds['big']: give exactly one of escalate_to" in bad.stderr.replace("\n", " ")
    assert "caps.per_record_per_day" in bad.stderr.replace("\n", " ")
    schema = json.loads(_triage(tmp_path, data_dir, "policy", "schema").stdout)
    assert "caps" in schema["properties"]

    stop = _triage(tmp_path, data_dir, "policy", "stop", "--reason", "month-end close")
    assert stop.returncode == 0, stop.stderr
    state = json.loads(_triage(tmp_path, data_dir, "policy", "status", "--json").stdout)
    assert "month-end close" in state["writes_stopped"] and len(state["hash"]) == 64
    assert _triage(tmp_path, data_dir, "policy", "resume").returncode == 0
    assert json.loads(_triage(tmp_path, data_dir, "policy", "status", "--json").stdout)["writes_stopped"] is None
