"""Shared fixtures: settings in a temporary data dir, real stores (SQLite and PostgreSQL), a trained model."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# One int8 encoder export for the whole run (made on first use), shared by every data dir.
ENCODER_CACHE = Path(tempfile.gettempdir()) / f"triage-test-encoders-{os.getuid()}"
PG_ADMIN_URL = os.environ.get("TRIAGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
SAMPLES = Path(__file__).parents[1] / "triage" / "demo" / "samples"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No TRIAGE_* from the developer's shell, no triage.toml from the working directory."""
    for name in list(os.environ):
        if name.startswith("TRIAGE_") and name != "TRIAGE_TEST_PG_URL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("TRIAGE_CONFIG_FILE", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("TRIAGE_MODEL_ENCODER_CACHE", str(ENCODER_CACHE))


@pytest.fixture
def settings(tmp_path):
    from triage.config import load_settings

    return load_settings(data_dir=tmp_path / "var")


def _pg_admin():
    import sqlalchemy as sa

    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # a missing server must fail loudly, not skip
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}). Start it with "
            "'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start' "
            "or point TRIAGE_TEST_PG_URL at a server where the user may create databases."
        )
    return engine


@pytest.fixture
def pg_url():
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    import sqlalchemy as sa

    admin = _pg_admin()
    name = f"triage_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'create database "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'drop database if exists "{name}" with (force)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A data dir whose MLflow registry holds a champion trained on the seed corpus (once per run)."""
    from training.train import run_training
    from triage.config import load_settings

    data_dir = tmp_path_factory.mktemp("trained") / "var"
    settings = load_settings(data_dir=data_dir)
    result = run_training(settings, quiet=True, fine_tune_epochs=0)  # the frozen encoder: fast
    return settings, result


TRIAGE = shutil.which("triage", path=str(Path(sys.executable).parent)) or "triage"


def triage_env(data_dir: Path, **settings: str) -> dict:
    """The environment for a `triage` subprocess: no TRIAGE_* from the shell, then these."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(TRIAGE_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRIAGE_MODEL_ENCODER_CACHE=str(ENCODER_CACHE), **{f"TRIAGE_{k.upper()}": v
                                                                      for k, v in settings.items()})
    return env


def run_triage(cwd: Path, data_dir: Path, *args: str, **settings: str) -> subprocess.CompletedProcess:
    return subprocess.run([TRIAGE, *args], cwd=cwd, env=triage_env(data_dir, **settings), capture_output=True,
                          text=True, timeout=600)


@pytest.fixture
def registry_copy(trained, tmp_path) -> Path:
    """A data dir holding a copy of the trained MLflow registry and no store."""
    settings, _ = trained
    data_dir = tmp_path / "var"
    shutil.copytree(settings.data_dir, data_dir)
    for leftover in data_dir.glob("triage.db*"):
        leftover.unlink()
    return data_dir


def register_again(settings, version: str = "1") -> str:
    """A new registry version holding the same model as ``version`` (as a retrain would)."""
    import mlflow

    import model_registry

    model_registry.configure(settings.tracking_uri)
    source = mlflow.MlflowClient().get_model_version(settings.model.name, version).source
    return model_registry.register(source, settings.model.name)


def register_broken(settings, work: Path) -> str:
    """A new registry version whose model file is garbage: loading it fails."""
    import mlflow

    import model_registry

    model_registry.configure(settings.tracking_uri)
    good = mlflow.artifacts.download_artifacts(f"models:/{settings.model.name}/1", dst_path=str(work / "good"))
    broken = work / "broken"
    shutil.copytree(good, broken)
    for path in broken.rglob("*.skops"):
        path.write_bytes(b"not a model")
    client = mlflow.MlflowClient()
    return str(client.create_model_version(settings.model.name, source=str(broken)).version)


@pytest.fixture
def trained_flow(trained, tmp_path):
    """``start(database_url=None, **settings groups)``: an engine on a store (default a fresh
    SQLite file) and Services built with the trained model and those settings, as a deployment
    has them."""
    from triage.services import build_services
    from triage.store import connect, migrate

    engines = []

    def start(database_url: str | None = None, **groups):
        settings, _ = trained
        settings = settings.model_copy(update={"database_url": database_url or f"sqlite:///{tmp_path}/flow.db",
                                               **groups})
        engine = connect(settings.store_url)
        migrate(engine)
        engines.append(engine)
        return engine, build_services(settings)

    yield start
    for engine in engines:
        engine.dispose()


@pytest.fixture
def odoo_flow(trained, trained_flow):
    """``start(odoo)``: ``trained_flow`` with Odoo pointing at the given stand-in (admin/admin)."""
    from pydantic import SecretStr

    def start(odoo):
        settings, _ = trained
        return trained_flow(odoo=settings.odoo.model_copy(update={
            "url": odoo.url, "db": "triage", "user": "admin", "password": SecretStr("admin"), "timeout": 5}))

    return start


def odoo_standin(versions: list[str], *, demo_data: bool):
    """A fixture: the Odoo stand-in, once per version in ``versions`` (login admin/admin)."""
    from tests.odoo_standin import OdooStandin

    @pytest.fixture(params=versions)
    def odoo(request):
        with OdooStandin(version=request.param, db="triage", users={"admin": "admin"},
                         demo_data=demo_data) as server:
            yield server

    return odoo


@pytest.fixture
def dovecot(tmp_path):
    """A private Dovecot on a free loopback port (skips with what to install when it is absent)."""
    from tests.imap_server import Dovecot, dovecot_available

    reason = dovecot_available()
    if reason:
        pytest.skip(f"Dovecot is not installed ({reason}); `make test` installs dovecot-imapd")
    with Dovecot(tmp_path / "dovecot") as server:
        yield server


@pytest.fixture
def gateway(odoo):
    """The real odoorpc-backed gateway on a test's ``odoo`` stand-in, without retry pauses."""
    from triage.odoo import RpcGateway

    return RpcGateway(odoo.url, "triage", "admin", "admin", timeout=5, backoff=0)
