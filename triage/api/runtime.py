"""What the app holds for its lifetime: settings, the store engine, the services, metrics."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sqlalchemy import Engine

from triage.config import Settings
from triage.errors import ModelError
from triage.metrics import Metrics
from triage.services import Services, announce_model, build_services, open_store


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    metrics: Metrics
    _services: Services | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

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

    def close(self) -> None:
        self.engine.dispose()
