"""Register, alias, resolve and load models in an MLflow tracking/registry store."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from triage.errors import ModelError
from triage.models.bundle import ModelBundle

log = logging.getLogger(__name__)
_lock = threading.Lock()
_loaded: dict[tuple[str, str, str], ModelBundle] = {}


def _mlflow():
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    import mlflow

    return mlflow


def configure(tracking_uri: str) -> None:
    mlflow = _mlflow()
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)


def ensure_experiment(name: str, artifact_root: Path) -> str:
    """The experiment's id; created with artifacts under ``artifact_root`` (not ./mlruns)."""
    mlflow = _mlflow()
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    artifact_root.mkdir(parents=True, exist_ok=True)
    return mlflow.create_experiment(name, artifact_location=artifact_root.resolve().as_uri())


def _client():
    return _mlflow().MlflowClient()


def alias_version(name: str, alias: str) -> str | None:
    """The version an alias points to, or None when the model or alias does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return str(_client().get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def register(model_uri: str, name: str, tags: dict[str, str] | None = None) -> str:
    """Register ``model_uri`` as a new version of ``name``; returns the version."""
    mlflow = _mlflow()
    version = mlflow.register_model(model_uri, name, tags=tags or {})
    return str(version.version)


def set_alias(name: str, alias: str, version: str) -> None:
    _client().set_registered_model_alias(name, alias, version)


def versions(name: str) -> list[dict]:
    """Every registered version of ``name``, oldest first: version, run id, aliases, tags, created
    (epoch milliseconds). Empty when the model is not registered."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        found = client.search_model_versions(f"name = '{name}'")
        aliases = client.get_registered_model(name).aliases or {}  # search results leave aliases out
    except MlflowException:
        return []
    by_version: dict[str, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(str(version), []).append(alias)
    rows = [{"version": str(v.version), "run_id": v.run_id, "aliases": sorted(by_version.get(str(v.version), [])),
             "tags": dict(v.tags or {}), "created": v.creation_timestamp} for v in found]
    return sorted(rows, key=lambda r: int(r["version"]))


def version_exists(name: str, version: str) -> bool:
    from mlflow.exceptions import MlflowException

    try:
        _client().get_model_version(name, version)
    except MlflowException:
        return False
    return True


def _fetch_encoder(pipeline, name: str, version: str) -> None:
    """A model on a fine-tuned encoder needs that encoder here: fetch it from the training run
    (artifact ``encoder/``) into the encoder cache when this machine does not have it."""
    from triage.models.embeddings import FINETUNED_PREFIX, finetuned_dir

    features = getattr(pipeline, "named_steps", {}).get("features")
    paths = {getattr(t, "model_path", "") for _, t in getattr(features, "transformer_list", [])}
    for path in sorted(p for p in paths if p.startswith(FINETUNED_PREFIX)):
        directory = finetuned_dir(path)
        if directory.is_dir():
            continue
        run_id = _client().get_model_version(name, version).run_id
        try:
            _download(directory, lambda dst: _mlflow().artifacts.download_artifacts(
                run_id=run_id, artifact_path="encoder", dst_path=dst))
        except Exception as exc:
            raise ModelError(f"model '{name}' version {version} needs the fine-tuned encoder {path}, which could "
                             f"not be fetched from run {run_id}: {exc}") from exc
        log.info("fetched the fine-tuned encoder %s of model %s v%s from run %s", path, name, version, run_id)


def _download(target: Path, fetch) -> Path:
    """``fetch(staging_dir) -> path`` into ``target`` atomically (a concurrent winner is kept)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".fetch-", dir=target.parent))
    try:
        fetched = Path(fetch(str(staging)))
        try:
            fetched.rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _local_copy(name: str, version: str, cache_dir: Path | None) -> str:
    """Where to load a version from: its copy under ``cache_dir`` (downloaded once), or the
    registry URI when there is no cache."""
    uri = f"models:/{name}/{version}"
    if cache_dir is None:
        return uri
    local = cache_dir / name / version
    if not (local / "MLmodel").is_file():
        _download(local, lambda dst: _mlflow().artifacts.download_artifacts(uri, dst_path=dst))
    return str(local)


def load(name: str, alias: str = "champion", cache_dir: Path | None = None) -> ModelBundle:
    """The model an alias points to, as a ModelBundle; cached per (registry, name, version) in
    the process and, with ``cache_dir`` (the data dir's ``models/``), on disk."""
    mlflow = _mlflow()
    version = alias_version(name, alias)
    if version is None:
        raise ModelError(
            f"no model '{name}@{alias}' in the registry at {mlflow.get_tracking_uri()}: "
            "run `python -m training.train` (or `triage demo`, which trains one)"
        )
    key = (mlflow.get_tracking_uri(), name, version)
    with _lock:
        if key not in _loaded:
            try:
                source = _local_copy(name, version, cache_dir)
                try:
                    pipeline = mlflow.sklearn.load_model(source)
                except Exception:
                    if cache_dir is not None:  # a bad copy on disk must not stick: the next try downloads again
                        shutil.rmtree(cache_dir / name / version, ignore_errors=True)
                    raise
                _fetch_encoder(pipeline, name, version)
            except ModelError:
                raise
            except Exception as exc:
                raise ModelError(f"cannot load model '{name}' version {version}: {exc}") from exc
            _loaded[key] = ModelBundle(name=name, version=version, pipeline=pipeline)
        return _loaded[key]
