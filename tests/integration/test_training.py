"""Training against a real (temporary) MLflow store: metrics, registry, aliases, promotion rule."""

from __future__ import annotations

import pytest

import model_registry
from training.train import run_training

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_champion_moves_only_when_the_challenger_is_at_least_as_good(settings):
    first = run_training(settings, quiet=True, fine_tune_epochs=0, by="dana")
    assert first.promoted and first.champion_f1 is None
    for key in ("macro_f1", "accuracy", "calibration_error", "per_class", "per_language_macro_f1", "confusion"):
        assert key in first.metrics
    assert first.metrics["macro_f1"] > 0.3  # far above the 0.03 of the majority class
    assert model_registry.alias_version(settings.model.name, "champion") == first.version

    worse = run_training(settings, c=1e-4, quiet=True, fine_tune_epochs=0)  # heavily regularised: much worse
    assert worse.metrics["macro_f1"] < first.metrics["macro_f1"]
    assert not worse.promoted and worse.champion_f1 == first.metrics["macro_f1"]
    assert model_registry.alias_version(settings.model.name, "challenger") == worse.version
    assert model_registry.alias_version(settings.model.name, "champion") == first.version

    forced = run_training(settings, c=1e-4, promote=True, quiet=True, fine_tune_epochs=0, by="lee")
    assert forced.promoted
    assert model_registry.alias_version(settings.model.name, "champion") == forced.version

    # every alias move is in the store's audit log: who, when, which version, the metrics
    moves = _alias_moves(settings)
    assert [(m["alias"], m["version"], m["previous"]) for m in moves] == [
        ("challenger", first.version, None), ("champion", first.version, None),
        ("challenger", worse.version, first.version),
        ("challenger", forced.version, worse.version), ("champion", forced.version, first.version),
    ]
    assert moves[0]["by"] == "dana" and moves[-1]["by"] == "lee" and moves[-1]["forced"] is True
    assert moves[1]["forced"] is False and moves[1]["macro_f1"] == first.metrics["macro_f1"]
    assert moves[-1]["champion_macro_f1"] == first.metrics["macro_f1"]

    bundle = model_registry.load(settings.model.name, "champion")
    assert bundle.version == forced.version
    prediction = bundle.predict(["Your order P00412 has shipped today, tracking 1Z999AA10123456784"])[0]
    assert abs(sum(prediction.scores.values()) - 1.0) < 1e-3
    assert settings.artifact_root.is_dir() and any(settings.artifact_root.iterdir())


def _alias_moves(settings) -> list[dict]:
    from sqlalchemy import select

    from triage.services import open_store
    from triage.store import session_scope
    from triage.store.tables import AuditEventRow

    with session_scope(open_store(settings)) as session:
        rows = session.scalars(select(AuditEventRow).where(AuditEventRow.kind == "model_alias_moved")
                               .order_by(AuditEventRow.id)).all()
        return [{**row.data, "at": row.at} for row in rows]


def test_a_fine_tuned_model_travels_with_its_encoder(settings, monkeypatch, tmp_path):
    """Training fine-tunes the encoder and logs it with the run; a machine without it (here: an
    empty encoder cache) fetches it from the run when it loads the model."""
    from triage.models.embeddings import FINETUNED_PREFIX, finetuned_dir, load_encoder

    monkeypatch.setenv("TRIAGE_MODEL_ENCODER_CACHE", str(tmp_path / "trainer-cache"))
    settings = settings.model_copy(update={"model": settings.model.model_copy(update={"encoder": "torch"})})  # no int8 export
    result = run_training(settings, quiet=True, fine_tune_epochs=1)
    import mlflow

    run = mlflow.get_run(result.run_id)
    path = run.data.params["embedding_model"]
    assert path.startswith(FINETUNED_PREFIX) and run.data.params["fine_tune_epochs"] == "1"
    assert result.metrics["macro_f1"] > 0.3

    monkeypatch.setenv("TRIAGE_MODEL_ENCODER_CACHE", str(tmp_path / "server-cache"))
    assert not finetuned_dir(path).exists()
    model_registry.registry._loaded.clear()
    load_encoder.cache_clear()
    bundle = model_registry.load(settings.model.name, "champion")
    assert finetuned_dir(path).is_dir()
    prediction = bundle.predict(["Wir müssen die Lieferung zu Bestellung P00412 um drei Wochen verschieben."])[0]
    assert abs(sum(prediction.scores.values()) - 1.0) < 1e-3
