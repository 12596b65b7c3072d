"""HTTP API latency and throughput against in-process classification, in one run.

    python -m benchmarks.api [--concurrency 4] [--rounds 1]

Trains a model into a temporary data dir (or uses TRIAGE_DATA_DIR's champion with
--use-data-dir), starts `triage serve` on a free loopback port (SQLite store, no scheduler),
and sends the labelled corpus emails one per request at a fixed concurrency:
`POST /v1/classify` (one row each) and `POST /v1/signals` (each email stored and run through
the whole flow). The baseline is the same emails classified in this process, one at a time.
Prints p50/p99 latency and throughput, and the service/in-process ratios.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from training.dataset import load_corpus


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _report(name: str, latencies: list[float], wall: float) -> dict:
    row = {"name": name, "n": len(latencies), "p50_ms": _percentile(latencies, 0.5) * 1000,
           "p99_ms": _percentile(latencies, 0.99) * 1000, "per_s": len(latencies) / wall}
    print(f"{name:34} {row['n']:6d} {row['p50_ms']:9.1f} {row['p99_ms']:9.1f} {row['per_s']:9.1f}")
    return row


def _load(client: httpx.Client, path: str, bodies: list[dict], concurrency: int, headers: dict) -> tuple[list, float]:
    def one(body):
        started = time.perf_counter()
        response = client.post(path, json=body, headers=headers)
        if response.status_code >= 300 and not (path == "/v1/signals" and response.status_code == 200):
            raise RuntimeError(f"{path}: {response.status_code} {response.text[:200]}")
        return time.perf_counter() - started

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        latencies = list(pool.map(one, bodies))
    return latencies, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=1, help="times the corpus is sent")
    args = parser.parse_args()

    from training.train import run_training
    from triage.apikeys import create_key
    from triage.classify import classify_rows
    from triage.config import load_settings
    from triage.services import load_model, open_store
    from triage.store import session_scope

    work = Path(tempfile.mkdtemp(prefix="triage-bench-"))
    settings = load_settings(data_dir=work / "var")
    print(f"training a model into {settings.data_dir} ...", file=sys.stderr)
    run_training(settings, quiet=True, fine_tune_epochs=0)  # serving speed does not depend on the weights
    with session_scope(open_store(settings)) as session:
        key = create_key(session=session, name="bench", scopes=["ingest"])

    rows = [{"id": r["id"], "subject": r["subject"], "body": r["body"], "from": r["from"], "date": r["date"]}
            for r in load_corpus()] * args.rounds
    model = load_model(settings)
    classify_rows(model, rows[:4])  # warm-up
    in_process = []
    started = time.perf_counter()
    for row in rows:
        t = time.perf_counter()
        classify_rows(model, [row])
        in_process.append(time.perf_counter() - t)
    in_process_wall = time.perf_counter() - started

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(TRIAGE_DATA_DIR=str(settings.data_dir), TRIAGE_SCHEDULER="off", TRIAGE_LOG_LEVEL="WARNING",
               HF_HUB_OFFLINE="1")
    triage = shutil.which("triage", path=str(Path(sys.executable).parent)) or "triage"
    server = subprocess.Popen([triage, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        # TCP_NODELAY: without it, Nagle's algorithm and delayed ACKs add ~40 ms to requests whose
        # headers and body leave in separate writes, which would measure the client, not triage.
        transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
                                        limits=httpx.Limits(max_connections=args.concurrency))
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120, transport=transport)
        deadline = time.time() + 180
        while True:
            try:
                if client.get("/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.time() > deadline:
                raise SystemExit("triage serve did not become ready")
            time.sleep(0.3)
        headers = {"Authorization": f"Bearer {key}"}
        _load(client, "/v1/classify", [{"rows": [r]} for r in rows[:8]], args.concurrency, headers)  # warm-up
        classify, classify_wall = _load(client, "/v1/classify", [{"rows": [r]} for r in rows], args.concurrency,
                                        headers)
        signals, signals_wall = _load(client, "/v1/signals", rows, args.concurrency, headers)
    finally:
        server.terminate()
        server.wait(60)
        shutil.rmtree(work, ignore_errors=True)

    print(f"{len(rows)} emails, concurrency {args.concurrency}, loopback, SQLite store, 2-core machine")
    print(f"{'measure':34} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'per s':>9}")
    base = _report("in-process classify (baseline)", in_process, in_process_wall)
    c = _report("POST /v1/classify", classify, classify_wall)
    s = _report("POST /v1/signals (whole flow)", signals, signals_wall)
    print(f"service overhead, classify: p50 {c['p50_ms'] / base['p50_ms']:.2f}x, "
          f"throughput {c['per_s'] / base['per_s']:.2f}x of in-process")
    print(f"whole flow vs classify only: p50 {s['p50_ms'] / c['p50_ms']:.2f}x, "
          f"throughput {s['per_s'] / c['per_s']:.2f}x")
    print(f"median in-process latency {statistics.median(in_process) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
