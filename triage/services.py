"""What a command or the API needs to run the flow, built once from Settings.

Nothing is created at import: ``open_store(settings)`` and ``build_services(settings)`` are
called in the CLI command or the app's lifespan.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

import model_registry
from triage.activities import ActivityWriter, DryRunWriter
from triage.config import Settings
from triage.models.bundle import ModelBundle
from triage.policies.policy import Policy, load_policy
from triage.store import connect, migrate


@dataclass
class Services:
    settings: Settings
    model: ModelBundle
    policy: Policy


def open_store(settings: Settings) -> Engine:
    """An engine on the store with its migrations applied."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = connect(settings.store_url)
    migrate(engine)
    return engine


def load_model(settings: Settings) -> ModelBundle:
    model_registry.configure(settings.tracking_uri)
    bundle = model_registry.load(settings.model.name, settings.model.alias)
    bundle.low_confidence = settings.model.low_confidence
    return bundle


def build_services(settings: Settings) -> Services:
    return Services(settings=settings, model=load_model(settings), policy=load_policy(settings.policy_path))


def build_writer(settings: Settings) -> ActivityWriter:
    """The Odoo writer when Odoo is configured; otherwise the dry-run sink."""
    if settings.odoo.configured:
        from triage.errors import ConfigError

        raise ConfigError("writing to Odoo arrives with the Odoo gateway; unset TRIAGE_ODOO_URL to use the dry-run sink")
    return DryRunWriter()
