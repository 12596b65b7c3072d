"""`triage serve` as an operator runs it: a key from the CLI, real HTTP, the scheduler, SIGTERM."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time

import httpx
import pytest

from tests.conftest import SAMPLES, TRIAGE, triage_env

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

def test_serve_ingests_flushes_and_stops_gracefully(registry_copy):
    data_dir = registry_copy
    env = triage_env(data_dir, outbox_interval="1")
    created = subprocess.run([TRIAGE, "apikey", "create", "--name", "n8n", "--scopes", "ingest,review"],
                             env=env, capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    key = created.stdout.split()[-1]
    assert key.startswith("trg_")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([TRIAGE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.3)
        else:
            pytest.fail("triage serve did not become ready")
        sent = client.post("/v1/signals", content=(SAMPLES / "09_recall_webbing_slings.eml").read_bytes(),
                           headers={"Authorization": f"Bearer {key}", "Content-Type": "message/rfc822"})
        assert sent.status_code == 201 and sent.json()["state"] == "processed"
        deadline = time.time() + 30
        while time.time() < deadline:  # the in-process scheduler flushes the outbox every second
            status = json.loads(subprocess.run([TRIAGE, "status", "--json"], env=env, capture_output=True,
                                               text=True, timeout=120).stdout)
            if status["outbox"]["by_state"]["sent"] == 1:
                break
            time.sleep(0.5)
        assert status["outbox"]["by_state"] == {"pending": 0, "sent": 1, "failed": 0}
        assert 'triage_job_last_success_timestamp_seconds{job="flush_outbox"}' in client.get("/metrics").text
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert server.returncode == 0, output[-3000:]
    assert "scheduler stopped" in output


def _ready_detail(client) -> tuple[int, str]:
    response = client.get("/readyz")
    return response.status_code, response.json()["checks"].get("model", "")


def test_a_running_service_follows_the_alias_and_survives_a_broken_version(registry_copy, tmp_path):
    from tests.conftest import register_again, register_broken
    from triage.config import load_settings

    import model_registry

    env = triage_env(registry_copy, model_check_seconds="1")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([TRIAGE, "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def wait_for(predicate, what: str, seconds: float = 120):
        deadline = time.time() + seconds
        while time.time() < deadline:
            try:
                status, detail = _ready_detail(client)
                if predicate(status, detail):
                    return status, detail
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        pytest.fail(f"triage serve: {what} did not happen")

    try:
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        wait_for(lambda status, detail: status == 200 and "triage-classifier v1" in detail, "start")
        settings = load_settings(data_dir=registry_copy)
        second = register_again(settings)
        model_registry.set_alias(settings.model.name, "champion", second)
        wait_for(lambda status, detail: f"v{second}" in detail, f"the move to v{second}")
        broken = register_broken(settings, tmp_path)
        model_registry.set_alias(settings.model.name, "champion", broken)
        status, detail = wait_for(lambda status, detail: "failed to load" in detail, "the failed load")
        assert status == 200 and detail.startswith(f"ok: triage-classifier v{second}")  # the good one serves on
    finally:
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=60)
    assert f"now serving version {second} (was 1)" in output
    assert f"version {broken} failed to load, still serving {second}" in output
