"""Schemathesis against the app's own /openapi.json, with an admin key and without one:
no generated request may produce a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from triage.api import create_app
from triage.api.runtime import Runtime
from triage.apikeys import create_key
from triage.store import session_scope

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def fuzzed_app(trained, registry_copy):
    base, _ = trained
    data_dir = registry_copy
    runtime = Runtime.start(base.model_copy(update={"data_dir": data_dir, "database_url": None}, deep=True))
    with session_scope(runtime.engine) as session:
        key = create_key(session=session, name="fuzzer", scopes=["admin"])
    app = create_app(runtime=runtime)
    yield app, key
    runtime.close()


def _fuzz(app, headers: dict, max_examples: int) -> tuple[int, list[str]]:
    """Every operation of the schema, with generated requests; returns (calls, server errors)."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    calls, errors = 0, []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=max_examples, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case):
            nonlocal calls
            response = case.call(headers=headers)
            calls += 1
            if response.status_code >= 500:
                errors.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:300]}")
            if not headers and case.path.startswith("/v1/"):
                assert response.status_code in (401, 403, 404, 405, 413, 415, 422), (case.path, response.status_code)

        run()
    return calls, errors


def test_no_server_error_with_a_key(fuzzed_app):
    app, key = fuzzed_app
    calls, errors = _fuzz(app, {"Authorization": f"Bearer {key}"}, max_examples=25)
    assert calls >= 100 and errors == [], errors[:5]


def test_no_server_error_without_a_key(fuzzed_app):
    app, _ = fuzzed_app
    calls, errors = _fuzz(app, {}, max_examples=10)
    assert calls >= 40 and errors == [], errors[:5]
