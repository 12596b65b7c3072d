"""What the app holds for its lifetime: settings, the store engine, the services, metrics."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Engine

from triage.config import Settings
from triage.errors import ConfigError, ModelError
from triage.metrics import Metrics
from triage.services import Services, announce_model, build_services, open_store


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    metrics: Metrics
    _services: Services | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _odoo_check: tuple[float, bool, str] | None = None
    started_at: float = field(default_factory=time.time)  # a mailbox never polled is stale only after a while

    @classmethod
    def start(cls, settings: Settings) -> Runtime:
        engine = open_store(settings)
        metrics = Metrics()
        metrics.watch_store(engine)
        return cls(settings=settings, engine=engine, metrics=metrics)

    def services(self) -> Services:
        """Model, policy and settings; loaded on first use so the API can start before a model exists."""
        with self._lock:
            if self._services is None:
                self._services = build_services(self.settings)
                self._services.model.on_predict = self.metrics.model_latency.observe
                announce_model(self.engine, self._services)
            return self._services

    def model_ready(self) -> tuple[bool, str]:
        try:
            services = self.services()
        except ModelError as exc:
            return False, str(exc)
        detail = f"{services.model.name} v{services.model.version}"
        if services.shadow is not None:
            detail += f" (shadow: v{services.shadow.version})"
        if services.model_error:
            detail += f"; {services.model_error}"
        return True, detail

    def odoo_ready(self, max_age: float = 15.0) -> tuple[bool, str]:
        """Whether Odoo answers with these credentials (one quick call, remembered ``max_age`` s)."""
        now = time.monotonic()
        if self._odoo_check is not None and now - self._odoo_check[0] < max_age:
            return self._odoo_check[1], self._odoo_check[2]
        from triage.errors import OdooError
        from triage.odoo import RpcGateway

        try:
            gateway = RpcGateway.from_settings(self.settings.odoo, timeout=min(5.0, self.settings.odoo.timeout),
                                               attempts=1)
            gateway.search_count("ir.model", [["model", "=", "mail.activity"]])
            result = (True, f"Odoo {gateway.version[0]}.{gateway.version[1]} at {gateway.endpoint.host}")
        except (OdooError, ConfigError) as exc:
            result = (False, f"{type(exc).__name__}: {exc}")
        self._odoo_check = (now, *result)
        return result

    def close(self) -> None:
        self.engine.dispose()
