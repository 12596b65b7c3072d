"""End-to-end `triage classify` throughput against the raw encoder, in the same run.

    python -m benchmarks.throughput [--repeat 2]

Classifies the corpus's 880 emails the way ``triage classify`` does (batches of 32: reply
splitting, encoder, character n-grams, cues, calibrated logistic regression, explanation,
language, fields, priority) and times ``SentenceTransformer.encode`` of the same model texts
with the same encoder settings (backend, token budget, batch size) as the served model. The
target is end to end at least 80% of raw encode. Also times the whole ``triage classify``
command, start-up included. Uses the champion in ``TRIAGE_DATA_DIR``; without one it trains
one into a temporary directory first (about a minute and a half).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH = 32


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from training.dataset import load_corpus
    from triage.classify import classify_rows
    from triage.config import load_settings
    from triage.errors import TriageError
    from triage.ingest.reply import split_reply
    from triage.models.embeddings import load_encoder
    from triage.models.text import join_newest
    from triage.services import load_model

    settings = load_settings()
    try:
        model = load_model(settings)
    except TriageError:
        from training.train import run_training

        temporary = Path(tempfile.mkdtemp(prefix="triage-bench-"))
        os.environ["TRIAGE_DATA_DIR"] = str(temporary)
        print(f"no model in {settings.data_dir}: training one into {temporary} ...", flush=True)
        settings = load_settings()
        run_training(settings, quiet=True, fine_tune_epochs=0)  # speed does not depend on the weights
        model = load_model(settings)
    features = model.pipeline.named_steps["features"].transformer_list[0][1]
    backend, max_tokens = getattr(features, "backend", "torch"), getattr(features, "max_tokens", None)
    path = None if features.model_path.startswith("packaged:") else features.model_path
    encoder = load_encoder(path, backend, max_tokens)
    rows = [{"id": r["id"], "subject": r["subject"], "body": r["body"], "from": r["from"], "date": r["date"]}
            for r in load_corpus()]
    texts = [join_newest(r["subject"], split_reply(r["body"]).newest) for r in rows]
    print(f"model {model.name} v{model.version}: encoder {backend}, {max_tokens} tokens; {len(rows)} emails")
    classify_rows(model, rows[:BATCH])  # warm-up
    encoder.encode(texts[:BATCH], batch_size=16)

    def raw():
        for start in range(0, len(texts), BATCH):
            encoder.encode(texts[start:start + BATCH], batch_size=16, normalize_embeddings=True)

    def end_to_end():
        for start in range(0, len(rows), BATCH):
            classify_rows(model, rows[start:start + BATCH])

    raw_rate = len(texts) / _best(raw, args.repeat)
    e2e_rate = len(rows) / _best(end_to_end, args.repeat)
    print(f"{'raw SentenceTransformer.encode':34} {raw_rate:7.1f} emails/s")
    print(f"{'classify_rows (triage classify)':34} {e2e_rate:7.1f} emails/s  = {e2e_rate / raw_rate:.0%} of raw "
          f"(target >= 80%)")
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        triage = Path(sys.executable).with_name("triage")
        started = time.perf_counter()
        subprocess.run([str(triage), "classify", "--input", str(source), "--output", str(target)], check=True,
                       capture_output=True)
        wall = time.perf_counter() - started
    print(f"{'triage classify command (wall)':34} {len(rows) / wall:7.1f} emails/s  ({wall:.1f}s with start-up)")


if __name__ == "__main__":
    main()
