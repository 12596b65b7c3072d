"""Going faster: the encoder's throughput, peak memory and the classifier's accuracy per setting.

    python -m benchmarks.encoder [--repeat 2]

The baseline is raw fp32 all-MiniLM-L6-v2 (``SentenceTransformer.encode``, its defaults: 256
tokens, batch 32) on the full emails (subject + body with quoted history). Against it, in the
same run and on the same emails: the fp32 model on the subject and newest message only, and
the int8 ONNX export (``onnx-int8``) with token budgets of 256 and 128. Each setting runs in a
fresh process, so its peak resident memory (imports and model included) is its own. Accuracy:
the shipped classifier built on each setting, trained on the training split and scored on the
evaluation split (macro-F1; the baseline's row uses fp32 at 256 tokens on the newest message,
the model as trained before the int8 path).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

SETTINGS = {
    "fp32 torch, full email, 256 (raw baseline)": ("torch", 256, "full"),
    "fp32 torch, newest message, 256": ("torch", 256, "newest"),
    "int8 ONNX, newest message, 256 (default)": ("onnx-int8", 256, "newest"),
    "int8 ONNX, newest message, 128": ("onnx-int8", 128, "newest"),
}


def _texts(kind: str) -> list[str]:
    from training.dataset import load_corpus
    from triage.models.text import model_text

    rows = load_corpus()
    if kind == "full":
        return [f"{r['subject']}\n{r['body']}" for r in rows]
    return [model_text(r["subject"], r["body"]) for r in rows]


def worker(name: str, repeat: int) -> dict:
    """Runs in its own process: encode every email ``repeat`` times; best rate and peak memory."""
    backend, max_tokens, kind = SETTINGS[name]
    texts = _texts(kind)
    from triage.models.embeddings import load_encoder

    encoder = load_encoder(None, backend, max_tokens if kind != "full" else None)
    encoder.encode(texts[:32], batch_size=32)  # warm-up
    rates = []
    for _ in range(repeat):
        started = time.perf_counter()
        encoder.encode(texts, batch_size=32 if kind == "full" else 16, normalize_embeddings=True)
        rates.append(len(texts) / (time.perf_counter() - started))
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rate": max(rates), "peak_mb": peak_mb, "n": len(texts)}


def accuracy(backend: str, max_tokens: int) -> float:
    from training.dataset import load_corpus, split
    from training.evaluate import evaluate
    from triage.models.classifier import build_classifier, cached_embeddings

    train, held_out = split(load_corpus())
    with cached_embeddings():
        pipeline = build_classifier(backend=backend, max_tokens=max_tokens)
        pipeline.fit([e.text for e in train], [e.category for e in train])
        return evaluate(pipeline, held_out)["macro_f1"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=2, help="passes over the corpus per setting (best counts)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.repeat)))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from triage.models.embeddings import packaged_model_path, quantization_target, quantized_model_dir

    quantized_model_dir(packaged_model_path())  # export once before timing anything
    print(f"int8 export for {quantization_target()}; {os.cpu_count()} CPU(s); every setting in a fresh process")
    print(f"{'setting':44} {'emails/s':>8} {'vs raw':>6} {'peak MB':>7} {'macro-F1':>8}")
    baseline = None
    scores: dict[tuple[str, int], float] = {}
    for name, (backend, max_tokens, _) in SETTINGS.items():
        out = subprocess.run([sys.executable, "-m", "benchmarks.encoder", "--worker", name, "--repeat",
                              str(args.repeat)], capture_output=True, text=True, check=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        baseline = baseline or result["rate"]
        if (backend, max_tokens) not in scores:
            scores[backend, max_tokens] = accuracy(backend, max_tokens)
        f1 = scores[backend, max_tokens]
        print(f"{name:44} {result['rate']:8.1f} {result['rate'] / baseline:5.2f}x {result['peak_mb']:7.0f} "
              f"{f1:8.3f}", flush=True)


if __name__ == "__main__":
    main()
