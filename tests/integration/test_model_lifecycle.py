"""Serving follows the registry: alias moves are picked up, a broken version never replaces a
good one, and a shadow model scores signals without deciding (real MLflow store and registry)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

import model_registry
from tests.conftest import SAMPLES, register_again, register_broken
from triage import pipeline
from triage.config import load_settings
from triage.ingest.files import read_file
from triage.jobs import JobContext, check_model
from triage.metrics import Metrics
from triage.services import build_services, open_store, refresh_models
from triage.activities import DryRunWriter
from triage.store import session_scope
from triage.store.tables import AuditEventRow, DecisionRow, ShadowScoreRow

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def settings(registry_copy):
    return load_settings(data_dir=registry_copy)


def test_the_check_job_follows_the_alias_and_keeps_a_good_model_when_the_new_one_is_broken(settings, tmp_path):
    engine = open_store(settings)
    services = build_services(settings)
    assert services.model.version == "1"
    cached = settings.data_dir / "models" / settings.model.name
    assert (cached / "1" / "MLmodel").is_file()  # the served version is kept in the data dir
    ctx = JobContext(settings, engine, DryRunWriter(), Metrics(), services=lambda: services)

    with session_scope(engine) as session:
        assert check_model(session, ctx)["previous"] is None  # nothing moved
    second = register_again(settings)
    model_registry.set_alias(settings.model.name, "champion", second)
    with session_scope(engine) as session:
        result = check_model(session, ctx)
    assert result == {"version": second, "previous": "1", "shadow": None, "error": None}
    assert services.model.version == second

    broken = register_broken(settings, tmp_path)
    model_registry.set_alias(settings.model.name, "champion", broken)
    with session_scope(engine) as session:
        result = check_model(session, ctx)
    assert result["version"] == second and f"version {broken} failed to load" in result["error"]
    assert services.model.version == second and "failed to load" in services.model_error
    assert (cached / second / "MLmodel").is_file() and not (cached / broken).exists()  # a bad copy is not kept
    assert services.model.predict(["Your order P00412 has shipped today"])[0].category  # still serving
    with session_scope(engine) as session:
        again = check_model(session, ctx)  # the same broken target: still reported, not audited again
    assert again["error"] is None and "failed to load" in services.model_error
    model_registry.set_alias(settings.model.name, "champion", second)  # rolled back
    with session_scope(engine) as session:
        check_model(session, ctx)
    assert services.model_error is None

    with session_scope(engine) as session:
        events = [(e.kind, e.data.get("version"), e.data.get("previous"), e.data.get("serving"))
                  for e in session.scalars(select(AuditEventRow).order_by(AuditEventRow.id))]
    assert ("model_served", second, "1", None) in events
    assert [e for e in events if e[0] == "model_load_failed"] == [("model_load_failed", None, None, second)]
    engine.dispose()


def test_a_shadow_model_scores_without_deciding(settings):
    challenger = register_again(settings)
    model_registry.set_alias(settings.model.name, "challenger", challenger)
    shadowed = settings.model_copy(update={"model": settings.model.model_copy(update={"shadow": "challenger"})})
    engine = open_store(shadowed)
    services = build_services(shadowed)
    assert services.model.version == "1" and services.shadow.version == challenger

    with session_scope(engine) as session:
        result = pipeline.ingest(session, read_file(SAMPLES / "09_recall_webbing_slings.eml", settings.limits), services)
    assert result.state == "processed"
    with session_scope(engine) as session:
        [score] = session.scalars(select(ShadowScoreRow)).all()
        [decision] = session.scalars(select(DecisionRow)).all()
    assert score.model_version == challenger and score.category == result.category  # same weights, same answer
    assert decision.model_version == f"{settings.model.name}:1"  # the served model decided

    class Failing:
        name, version = settings.model.name, "99"

        def predict(self, texts, explain=False):
            raise RuntimeError("shadow broke")

    services.shadow = Failing()
    with session_scope(engine) as session:
        result = pipeline.ingest(session, read_file(SAMPLES / "01_delay_bearings.eml", settings.limits),
                                 services)
    assert result.state == "processed"  # a failing shadow never fails the signal

    model_registry.set_alias(settings.model.name, "challenger", "1")  # the challenger is now the champion
    assert refresh_models(services).shadow is None and services.shadow is None
    engine.dispose()
