"""Training against a real (temporary) MLflow store: metrics, registry, aliases, promotion rule."""

from __future__ import annotations

import pytest

import model_registry
from training.train import run_training

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_champion_moves_only_when_the_challenger_is_at_least_as_good(settings):
    first = run_training(settings, quiet=True)
    assert first.promoted and first.champion_f1 is None
    for key in ("macro_f1", "accuracy", "calibration_error", "per_class", "per_language_macro_f1", "confusion"):
        assert key in first.metrics
    assert first.metrics["macro_f1"] > 0.3  # far above the 0.03 of the majority class
    assert model_registry.alias_version(settings.model.name, "champion") == first.version

    worse = run_training(settings, c=1e-4, quiet=True)  # heavily regularised: much worse
    assert worse.metrics["macro_f1"] < first.metrics["macro_f1"]
    assert not worse.promoted and worse.champion_f1 == first.metrics["macro_f1"]
    assert model_registry.alias_version(settings.model.name, "challenger") == worse.version
    assert model_registry.alias_version(settings.model.name, "champion") == first.version

    forced = run_training(settings, c=1e-4, promote=True, quiet=True)
    assert forced.promoted
    assert model_registry.alias_version(settings.model.name, "champion") == forced.version

    bundle = model_registry.load(settings.model.name, "champion")
    assert bundle.version == forced.version
    prediction = bundle.predict(["Your order P00412 has shipped today, tracking 1Z999AA10123456784"])[0]
    assert abs(sum(prediction.scores.values()) - 1.0) < 1e-3
    assert settings.artifact_root.is_dir() and any(settings.artifact_root.iterdir())
