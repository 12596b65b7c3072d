"""One Settings object, read from ``TRIAGE_*`` environment variables and an optional ``triage.toml``.

The variable names are the flat ones of ARCHITECTURE.md (``TRIAGE_IMAP_HOST``, not
``TRIAGE_IMAP__HOST``). In code they are grouped: ``settings.imap.host`` reads
``TRIAGE_IMAP_HOST``. ``triage.toml`` (in the working directory, or the file named by
``TRIAGE_CONFIG_FILE``) uses the same names in lower case without the prefix::

    data_dir = "/srv/triage"
    imap_host = "mail.example.com"

Environment variables win over the file. Nothing is read at import: call ``load_settings()``.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

CONFIG_FILE_ENV = "TRIAGE_CONFIG_FILE"


class _TomlSource(PydanticBaseSettingsSource):
    """Feeds the flat keys of ``triage.toml`` to one settings group (keys carry its prefix)."""

    def __init__(self, settings_cls: type[BaseSettings], values: dict[str, Any]):
        super().__init__(settings_cls)
        prefix = settings_cls.model_config.get("env_prefix", "").lower().removeprefix("triage_")
        self._values = {
            key.removeprefix(prefix): value
            for key, value in values.items()
            if key.startswith(prefix) and key.removeprefix(prefix) in settings_cls.model_fields
        }

    def get_field_value(self, field, field_name):  # pragma: no cover - unused by __call__
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._values)


class _Group(BaseSettings):
    """A group of settings sharing an env prefix; ``_toml`` holds the parsed triage.toml."""

    model_config = SettingsConfigDict(extra="ignore", env_ignore_empty=True)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        return (init_settings, env_settings, _TomlSource(settings_cls, _read_toml()))


def _read_toml() -> dict[str, Any]:
    path = Path(os.environ.get(CONFIG_FILE_ENV, "triage.toml"))
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return {str(k).lower(): v for k, v in tomllib.load(fh).items()}


class ImapSettings(_Group):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_IMAP_", extra="ignore", env_ignore_empty=True)

    host: str | None = None
    port: int | None = None
    user: str | None = None
    password: SecretStr | None = None
    oauth2_token: SecretStr | None = Field(default=None, description="an XOAUTH2 access token (instead of a password)")
    oauth2_token_file: Path | None = Field(default=None, description="a file holding the XOAUTH2 access token, "
                                           "read at every login (a token refresher rewrites it)")
    folders: str = "INBOX"
    security: Literal["ssl", "starttls", "none"] = "ssl"
    poll_seconds: float = Field(default=60, ge=5, description="seconds between mailbox polls")
    batch: int = Field(default=50, ge=1, le=1000, description="messages fetched and stored per transaction")
    timeout: float = Field(default=60, gt=0, description="seconds before an IMAP command times out")
    mark_seen: bool = Field(default=False, description="set \\Seen on messages once stored (default: left unread)")
    processed_flag: str | None = Field(default=None, description="a keyword (e.g. $Triaged) set on messages once stored")
    move_to: str | None = Field(default=None, description="a folder messages are moved to once stored (needs MOVE)")

    @property
    def folder_list(self) -> list[str]:
        return [f.strip() for f in self.folders.split(",") if f.strip()]

    @property
    def configured(self) -> bool:
        return bool(self.host and self.user)


class OdooSettings(_Group):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_ODOO_", extra="ignore", env_ignore_empty=True)

    url: str | None = None
    db: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    activity_type: str = "mail.mail_activity_data_todo"
    ap_user: str | None = None
    webhook_secret: SecretStr | None = None
    timeout: float = Field(default=30.0, gt=0, description="seconds before an Odoo call times out")
    sync_seconds: float = Field(default=300, ge=10, description="seconds between rounds with Odoo (triage sync odoo)")
    hint_seconds: float = Field(default=10, ge=1, description="seconds between re-reads of the records Odoo's "
                                "webhooks named")

    @property
    def configured(self) -> bool:
        return bool(self.url)


class ModelSettings(_Group):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_MODEL_", extra="ignore", env_ignore_empty=True)

    name: str = "triage-classifier"
    alias: str = "champion"
    embedding_path: str | None = Field(
        default=None, description="sentence-transformers model path; default: the packaged all-MiniLM-L6-v2"
    )
    encoder: Literal["onnx-int8", "torch"] = Field(
        default="onnx-int8", description="encoder backend a newly trained model uses (int8 ONNX or fp32 torch)")
    encoder_cache: Path | None = Field(
        default=None, description="where int8 exports and fine-tuned encoders are kept; default: <data dir>/encoders")
    fine_tune_epochs: int = Field(
        default=5, ge=0, le=50, description="epochs of encoder fine-tuning in training (0: the frozen packaged encoder)")
    max_tokens: int = Field(default=256, ge=16, le=512, description="encoder token budget per email")
    check_seconds: float = Field(default=60, ge=1, description="how often serving checks whether the alias moved")
    shadow: str | None = Field(
        default=None, description="an alias (e.g. challenger) that scores every signal beside the served model")
    low_confidence: float = Field(default=0.55, ge=0.0, le=1.0,
                                  description="predictions below this confidence are flagged")


class LimitSettings(_Group):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_MAX_", extra="ignore", env_ignore_empty=True)

    message_bytes: int = 25 * 1024 * 1024
    attachment_bytes: int = 20 * 1024 * 1024
    pdf_pages: int = 50
    pdf_seconds: float = Field(default=30.0, gt=0, description="a PDF's reader is stopped after this many seconds")
    pdf_memory_mb: int = Field(default=1024, ge=128, description="address space a PDF's reader may use")
    ocr_pages: int = Field(default=5, ge=0, description="pages of a scanned PDF read by OCR, when Tesseract is installed")
    text_chars: int = 200_000
    request_bytes: int = 30 * 1024 * 1024


class FindingSettings(_Group):
    """When a measured difference becomes a Finding (``models/anomaly.py``), and the order
    values that move a priority (``models/priority.py``)."""

    model_config = SettingsConfigDict(env_prefix="TRIAGE_FINDINGS_", extra="ignore", env_ignore_empty=True)

    price_pct: float = Field(default=2.0, ge=0, description="price variance tolerance, percent of the PO price")
    price_abs: float = Field(default=5.0, ge=0, description="price variance tolerance over a bill line, company currency")
    qty_abs: float = Field(default=0.0, ge=0, description="units billed beyond received or ordered that are tolerated")
    duplicate_days: int = Field(default=7, ge=0, description="same-amount bills this many days apart may be duplicates")
    lead_time_z: float = Field(default=3.5, gt=0, description="robust z-score above which a slip is unusual")
    lead_time_min_days: int = Field(default=3, ge=0, description="slips shorter than this are never findings")
    lead_time_history: int = Field(default=5, ge=2, description="receipts needed before a supplier has a usual slip")
    high_value: float = Field(default=50_000, ge=0, description="order value (company currency) that raises priority")
    low_value: float = Field(default=500, ge=0, description="order value below which routine items drop to P4")

    def tolerances(self):
        from triage.models.anomaly import Tolerances

        return Tolerances(price_pct=self.price_pct, price_abs=self.price_abs, qty_abs=self.qty_abs,
                          duplicate_days=self.duplicate_days, lead_time_z=self.lead_time_z,
                          lead_time_min_days=self.lead_time_min_days, lead_time_history=self.lead_time_history)

    def impact_rules(self):
        from triage.models.priority import ImpactRules

        return ImpactRules(high_value=self.high_value, low_value=self.low_value)


class Settings(_Group):
    model_config = SettingsConfigDict(env_prefix="TRIAGE_", extra="ignore", env_ignore_empty=True)

    data_dir: Path = Path("./var")
    database_url: str | None = None
    mlflow_uri: str | None = None
    policy_file: Path | None = None
    scheduler: Literal["inprocess", "celery", "off"] = "inprocess"
    timezone: str = "UTC"
    redis_url: str = "redis://127.0.0.1:6379/0"
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"
    signing_secret: SecretStr | None = Field(
        default=None, description="HMAC secret for X-Triage-Signature on POST /v1/signals")
    outbox_interval: int = Field(default=30, ge=1, description="seconds between outbox flushes")
    lease_seconds: int = Field(default=300, ge=10, description="how long a worker holds a claimed item")
    processing_tries: int = Field(
        default=3, ge=1, description="failed processing attempts before a signal is quarantined (dead-lettered)")
    retry_seconds: int = Field(default=60, ge=1, description="seconds between retries of failed or unprocessed signals")

    imap: ImapSettings = Field(default_factory=ImapSettings)
    odoo: OdooSettings = Field(default_factory=OdooSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    findings: FindingSettings = Field(default_factory=FindingSettings)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @property
    def store_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'triage.db'}"

    @property
    def tracking_uri(self) -> str:
        return self.mlflow_uri or f"sqlite:///{self.data_dir / 'mlflow.db'}"

    @property
    def artifact_root(self) -> Path:
        return self.data_dir / "mlartifacts"

    @property
    def raw_dir(self) -> Path:
        """Where the original bytes of every signal are kept (content-addressed)."""
        return self.data_dir / "raw"

    @property
    def policy_path(self) -> Path:
        return self.policy_file or Path(__file__).parent / "policies" / "default.yaml"


def load_settings(**overrides: Any) -> Settings:
    """Build the settings from env and triage.toml; keyword overrides win (tests use them)."""
    return Settings(**overrides)
