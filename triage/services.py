"""What a command or the API needs to run the flow, built once from Settings.

Nothing is created at import: ``open_store(settings)`` and ``build_services(settings)`` are
called in the CLI command or the app's lifespan.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

import model_registry
from triage.activities import ActivityWriter, DryRunWriter
from triage.config import Settings
from triage.errors import ModelError
from triage.models.bundle import ModelBundle
from triage.policies.policy import Policy, PolicyFile
from triage.store import connect, migrate

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    model: ModelBundle
    policy_file: PolicyFile  # read again when it changes on disk
    shadow: ModelBundle | None = None  # scores signals beside the model, never decides (TRIAGE_MODEL_SHADOW)
    odoo: Any = None  # the OdooGateway links signals to records (None: Odoo not configured)
    odoo_retry_at: float = 0.0  # after a failed link, Odoo is not asked again before this monotonic time
    model_error: str | None = None  # the last alias target that failed to load (the previous model serves on)
    failed_version: str | None = None
    checked_at: float = field(default_factory=time.monotonic)

    @property
    def policy(self) -> Policy:
        return self.policy_file.current()


def open_store(settings: Settings) -> Engine:
    """An engine on the store with its migrations applied."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = connect(settings.store_url)
    migrate(engine)
    return engine


def load_model(settings: Settings, alias: str | None = None) -> ModelBundle:
    model_registry.configure(settings.tracking_uri)
    bundle = model_registry.load(settings.model.name, alias or settings.model.alias,
                                 cache_dir=settings.data_dir / "models")
    bundle.low_confidence = settings.model.low_confidence
    return bundle


def _load_shadow(settings: Settings) -> ModelBundle | None:
    alias = settings.model.shadow
    if not alias or alias == settings.model.alias:
        return None
    try:
        return load_model(settings, alias)
    except ModelError as exc:  # no challenger yet: nothing to shadow
        log.info("no shadow model: %s", exc)
        return None


def build_services(settings: Settings) -> Services:
    return Services(settings=settings, model=load_model(settings), policy_file=PolicyFile(settings.policy_path),
                    shadow=_load_shadow(settings), odoo=build_gateway(settings) if settings.odoo.configured else None)


@dataclass(frozen=True)
class ModelChange:
    """What a check of the aliases found."""

    version: str
    previous: str | None = None
    shadow: str | None = None
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.previous is not None and self.previous != self.version


def refresh_models(services: Services) -> ModelChange:
    """Follow the aliases: when the served alias (or the shadow alias) points to another version,
    load it and swap it in. A version that fails to load leaves the previous model serving; the
    error is kept in ``services.model_error`` (shown by /readyz) and logged."""
    settings = services.settings
    services.checked_at = time.monotonic()
    model_registry.configure(settings.tracking_uri)
    current = services.model
    target = model_registry.alias_version(settings.model.name, settings.model.alias)
    previous = error = None
    if target == current.version:
        services.model_error = services.failed_version = None  # the alias came back to what serves
    elif target is not None:
        try:
            fresh = load_model(settings)
        except ModelError as exc:  # tried again at the next check (a transient error heals)
            services.model_error = f"version {target} failed to load, still serving {current.version}: {exc}"
            if services.failed_version == target:  # said already: no audit or error log every minute
                log.debug("model %s@%s: %s", settings.model.name, settings.model.alias, services.model_error)
            else:
                services.failed_version, error = target, services.model_error
                log.error("model %s@%s: %s", settings.model.name, settings.model.alias, error)
        else:
            fresh.on_predict = current.on_predict
            services.model, previous = fresh, current.version
            services.model_error = services.failed_version = None
            log.info("model %s@%s moved: now serving version %s (was %s)", settings.model.name,
                     settings.model.alias, fresh.version, current.version)
    if settings.model.shadow:
        shadow_target = model_registry.alias_version(settings.model.name, settings.model.shadow)
        if shadow_target is None or shadow_target == services.model.version:
            services.shadow = None
        elif services.shadow is None or services.shadow.version != shadow_target:
            services.shadow = _load_shadow(settings)
    return ModelChange(version=services.model.version, previous=previous, error=error,
                       shadow=services.shadow.version if services.shadow else None)


def announce_model(engine: Engine, services: Services) -> None:
    """Audit that this process started serving its model (best effort: the store may be down)."""
    from triage.store import repository as repo
    from triage.store import session_scope

    settings = services.settings
    try:
        with session_scope(engine) as session:
            repo.audit(session, "model_served", "model", None, name=settings.model.name, alias=settings.model.alias,
                       version=services.model.version, previous=None,
                       shadow=services.shadow.version if services.shadow else None)
    except Exception:
        log.exception("could not audit the model this process serves")


def refresh_if_due(services: Services) -> ModelChange | None:
    """``refresh_models`` when the check interval has passed (workers call this per task)."""
    if time.monotonic() - services.checked_at < services.settings.model.check_seconds:
        return None
    try:
        return refresh_models(services)
    except Exception:  # a registry that cannot be reached must not stop the flow
        log.exception("checking the model aliases failed; the current model serves on")
        return None


def build_gateway(settings: Settings):
    """The Odoo gateway (connects on first use); ConfigError when Odoo is not configured."""
    from triage.odoo import RpcGateway

    return RpcGateway.from_settings(settings.odoo, timeout=settings.odoo.timeout)


def build_writer(settings: Settings) -> ActivityWriter:
    """The Odoo writer when Odoo is configured; otherwise the dry-run sink."""
    if settings.odoo.configured:
        from triage.odoo_activities import OdooWriter

        return OdooWriter(build_gateway(settings))
    return DryRunWriter()
