"""Fine-tuning the sentence encoder on the labelled emails (supervised, cross-entropy).

all-MiniLM-L6-v2 was trained on English sentence pairs; frozen, it separates supplier emails
poorly and other languages worse. A few epochs of fine-tuning through a linear head over the
mean-pooled, normalised embedding teach it the taxonomy (and, through its word pieces, some of
the other six languages); the head is then dropped and the classifier's logistic regression
reads the tuned embeddings beside the character n-grams and cues.

The tuned encoder is saved as a sentence-transformers directory named by a digest of its
weights, ``<encoder cache>/finetuned-<digest>``; the pipeline refers to it as
``finetuned:<digest>`` (``embeddings.resolve_path``), training logs the directory with the run
and ``model_registry`` fetches it from there on a machine that does not have it yet.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from triage.errors import ModelError
from triage.models.embeddings import FINETUNED_PREFIX, encoder_cache_dir, resolve_path


def _digest(directory: Path) -> str:
    digest = hashlib.sha256()
    for weights in sorted(directory.glob("*.safetensors")) or sorted(directory.glob("*.bin")):
        with weights.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()[:16]


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def fine_tune(texts: Sequence[str], labels: Sequence[str], *, source: str | None = None, epochs: int = 4,
              max_tokens: int = 192, batch_size: int = 16, learning_rate: float = 5e-5, seed: int = 7,
              cache_dir: Path | None = None, say: Callable[[str], None] | None = _stderr) -> tuple[str, Path]:
    """Fine-tune the encoder at ``source`` (default: packaged) on ``texts``; returns the model
    path to give the classifier (``finetuned:<digest>``) and the directory it was saved in."""
    if epochs < 1:
        raise ValueError("fine-tuning needs at least one epoch")
    if len(texts) != len(labels) or not texts:
        raise ValueError("fine-tuning needs as many labels as texts, and at least one")
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    encoder = SentenceTransformer(str(resolve_path(source)), device="cpu", local_files_only=True)
    tokenizer, transformer = encoder.tokenizer, encoder[0].auto_model
    classes = sorted(set(labels))
    index = {c: i for i, c in enumerate(classes)}
    target = torch.tensor([index[label] for label in labels])
    dimension = getattr(encoder, "get_embedding_dimension", None) or encoder.get_sentence_embedding_dimension
    head = torch.nn.Linear(dimension(), len(classes))
    optimiser = torch.optim.AdamW([{"params": transformer.parameters(), "lr": learning_rate},
                                   {"params": head.parameters(), "lr": 2e-3}], weight_decay=0.01)
    batches = -(-len(texts) // batch_size)
    total_steps = epochs * batches
    warmup = max(1, total_steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, 1.0 - step / total_steps))

    def embed(batch: list[str]):
        tokens = tokenizer(batch, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
        hidden = transformer(**tokens).last_hidden_state
        mask = tokens["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        return torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)

    transformer.train()
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        order = list(range(len(texts)))
        random.shuffle(order)
        loss_sum = 0.0
        for start in range(0, len(order), batch_size):
            chosen = order[start:start + batch_size]
            logits = head(embed([texts[i] for i in chosen]) * 20.0)  # cosine logits, temperature 1/20
            loss = torch.nn.functional.cross_entropy(logits, target[chosen])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_sum += loss.item() * len(chosen)
        if say:
            say(f"  fine-tuning the encoder: epoch {epoch}/{epochs}, loss {loss_sum / len(texts):.3f}, "
                f"{time.perf_counter() - started:.0f}s")
    transformer.eval()

    cache = cache_dir or encoder_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".finetune-", dir=cache))
    try:
        encoder.save(str(work / "model"))
        digest = _digest(work / "model")
        final = cache / f"finetuned-{digest}"
        if not final.is_dir():
            (work / "model").rename(final)
    except OSError as exc:
        raise ModelError(f"cannot save the fine-tuned encoder in {cache}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return f"{FINETUNED_PREFIX}{digest}", final
