"""The production docker-compose stack: validated by docker-compose itself, then checked as data.

Needs the `docker-compose` binary (Debian's package, v1.29; `make test-deps` installs it). No
Docker daemon is needed: `docker-compose config` only reads and resolves the files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / "deploy" / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
CONSTRAINTS = ROOT / "constraints.txt"

STACK = {"odoo", "odoo-db", "triage-db", "redis", "mlflow", "mail", "api", "worker", "beat"}
TRIAGE_LONG_RUNNING = ("api", "worker", "beat")
TRIAGE_NEEDS = ("triage-db", "redis", "mlflow")
DEFAULT_ENV_FILE = "${DEPLOY_ENV_FILE:-deploy/.env.example}"


def _compose_bin() -> str:
    path = shutil.which("docker-compose")
    if path is None:
        pytest.fail(
            "the `docker-compose` binary is not installed, so the compose file cannot be "
            "validated. Run `make test-deps` (it installs Debian's docker-compose package), "
            "then run the tests again.",
            pytrace=False,
        )
    return path


def _compose(tmp_path: Path, *args: str, project_env: str = "") -> subprocess.CompletedProcess:
    """Run docker-compose on the repository's file with a controlled environment.

    ``project_env`` is what compose reads for ${...} interpolation (instead of a developer's
    ./.env); the shell's own DEPLOY_ENV_FILE, TRIAGE_IMAGE and COMPOSE_* are left out.
    """
    env_file = tmp_path / "compose-interpolation.env"
    env_file.write_text(project_env)
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("COMPOSE_", "DOCKER_"))
        and k not in ("DEPLOY_ENV_FILE", "TRIAGE_IMAGE")
    }
    return subprocess.run(
        [_compose_bin(), "--env-file", str(env_file), "-f", str(COMPOSE_FILE), *args],
        check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )


def _resolved_config(tmp_path: Path, project_env: str = "") -> dict:
    result = _compose(tmp_path, "config", project_env=project_env)
    assert result.returncode == 0, f"docker-compose config failed:\n{result.stderr}"
    return yaml.safe_load(result.stdout)


def _env_file_entries(path: Path) -> dict[str, str]:
    entries = {}
    for line in path.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, sep, value = line.partition("=")
            assert sep, f"{path.name}: not KEY=value: {line!r}"
            entries[key] = value
    return entries


# --- docker-compose's own validation -------------------------------------------------------


def test_docker_compose_config_validates(tmp_path):
    version = subprocess.run(
        [_compose_bin(), "version", "--short"], check=False, capture_output=True, text=True
    )
    result = _compose(tmp_path, "config", "-q")
    assert result.returncode == 0, (
        f"docker-compose {version.stdout.strip()} rejects docker-compose.yml:\n{result.stderr}"
    )
    # Every ${...} has a value or a default: nothing silently becomes an empty string.
    assert "is not set" not in result.stderr, result.stderr


def test_a_copied_env_file_replaces_the_example(tmp_path):
    """The documented set-up: deploy/.env (a copy of the example) named by DEPLOY_ENV_FILE."""
    copy = tmp_path / "deploy.env"
    text = ENV_EXAMPLE.read_text()
    copy.write_text(text.replace("TRIAGE_LOG_LEVEL=INFO", "TRIAGE_LOG_LEVEL=DEBUG"))
    services = _resolved_config(tmp_path, project_env=f"DEPLOY_ENV_FILE={copy}\n")["services"]
    for name in (*TRIAGE_LONG_RUNNING, "migrate"):
        assert services[name]["environment"]["TRIAGE_LOG_LEVEL"] == "DEBUG", name


def test_a_missing_env_file_is_an_error(tmp_path):
    absent = tmp_path / "absent.env"
    result = _compose(tmp_path, "config", "-q", project_env=f"DEPLOY_ENV_FILE={absent}\n")
    assert result.returncode != 0
    assert "absent.env" in result.stderr


# --- the resolved stack --------------------------------------------------------------------


def test_the_stack_has_every_component(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    assert STACK <= set(services), f"missing: {sorted(STACK - set(services))}"
    assert services["odoo"]["image"].startswith("odoo:17")
    assert services["odoo-db"]["image"].startswith("postgres:15")
    assert services["triage-db"]["image"].startswith("postgres:15")
    assert services["redis"]["image"].startswith("redis:7")
    assert "mlflow" in services["mlflow"]["image"]
    assert "--serve-artifacts" in services["mlflow"]["command"]


def test_every_triage_service_runs_the_same_image(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    triage = {name: svc for name, svc in services.items() if "build" in svc}
    assert set(TRIAGE_LONG_RUNNING) <= set(triage)
    images = {svc["image"] for svc in triage.values()}
    builds = {yaml.safe_dump(svc["build"], sort_keys=True) for svc in triage.values()}
    assert len(images) == 1, images
    assert len(builds) == 1, builds
    assert Path(services["api"]["build"]["context"]).resolve() == ROOT
    image = images.pop()
    others = sorted(n for n, s in services.items() if n not in triage and s.get("image") == image)
    assert not others, f"{others} use the triage image without its build"


def test_triage_services_run_their_commands(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    assert services["api"]["command"] == ["serve", "--host", "0.0.0.0", "--port", "8000"]
    assert services["worker"]["command"] == ["worker"]
    assert services["beat"]["command"] == ["beat"]
    for name in TRIAGE_LONG_RUNNING:
        # beat is the one scheduler: the API must not run the in-process one as well.
        assert services[name]["environment"]["TRIAGE_SCHEDULER"] == "celery", name
        assert services[name]["environment"]["TRIAGE_DATA_DIR"] == "/data", name


@pytest.mark.parametrize("name", TRIAGE_LONG_RUNNING)
def test_triage_services_wait_for_healthy_dependencies(tmp_path, name):
    services = _resolved_config(tmp_path)["services"]
    depends_on = services[name].get("depends_on") or {}
    for dependency in TRIAGE_NEEDS:
        assert dependency in depends_on, f"{name} does not depend on {dependency}"
        assert depends_on[dependency].get("condition") == "service_healthy", (name, dependency)


def _one_shot(services: dict) -> set[str]:
    """Services something waits on to *finish* (service_completed_successfully)."""
    return {
        dependency
        for svc in services.values()
        for dependency, spec in (svc.get("depends_on") or {}).items()
        if (spec or {}).get("condition") == "service_completed_successfully"
    }


def _has_healthcheck(svc: dict) -> bool:
    check = svc.get("healthcheck") or {}
    test = check.get("test")
    return bool(test) and not check.get("disable") and test not in (["NONE"], "NONE")


def test_every_long_running_service_has_a_healthcheck(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    one_shot = _one_shot(services)
    for name in one_shot:
        assert services[name].get("restart") == "no", f"one-shot {name} must not be restarted"
    missing = sorted(
        n for n, svc in services.items() if n not in one_shot and not _has_healthcheck(svc)
    )
    assert not missing, f"no healthcheck: {missing}"


def test_every_healthy_condition_has_a_healthcheck_to_wait_for(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    for name, svc in services.items():
        for dependency, spec in (svc.get("depends_on") or {}).items():
            if (spec or {}).get("condition") == "service_healthy":
                assert _has_healthcheck(services[dependency]), f"{name} waits on {dependency}"


def _published(port) -> tuple[str, str]:
    """(published, target) of a short ("127.0.0.1:8000:8000/tcp") or long port entry."""
    if isinstance(port, dict):
        return str(port.get("published")), str(port.get("target"))
    parts = str(port).split("/")[0].split(":")
    return parts[-2] if len(parts) > 1 else "", parts[-1]


def test_the_api_publishes_port_8000(tmp_path):
    services = _resolved_config(tmp_path)["services"]
    assert ("8000", "8000") in [_published(p) for p in services["api"].get("ports", [])]
    assert "healthz" in " ".join(services["api"]["healthcheck"]["test"])


def test_state_lives_in_named_volumes(tmp_path):
    config = _resolved_config(tmp_path)
    services = config["services"]
    declared = set(config.get("volumes") or {})
    for name in ("odoo-db", "triage-db", "odoo", "redis", "mlflow", *TRIAGE_LONG_RUNNING):
        mounts = services[name].get("volumes") or []
        sources = {(m["source"] if isinstance(m, dict) else str(m).split(":")[0]) for m in mounts}
        assert sources and sources <= declared, (name, sources)


# --- files: secrets, env example, image ------------------------------------------------------


def test_the_compose_file_names_the_env_file_and_holds_no_secret():
    raw = yaml.safe_load(COMPOSE_FILE.read_text())
    assert "version" not in raw
    for name in (*TRIAGE_LONG_RUNNING, "migrate"):
        assert raw["services"][name]["env_file"] == DEFAULT_ENV_FILE, name
    text = COMPOSE_FILE.read_text()
    secrets = {
        value for key, value in _env_file_entries(ENV_EXAMPLE).items()
        if value and re.search(r"PASSWORD|SECRET|DATABASE_URL", key)
    }
    assert secrets, "the example env file should carry the trial secrets"
    leaked = sorted(s for s in secrets if s in text)
    assert not leaked, f"secrets written into docker-compose.yml: {leaked}"


def _setting_names() -> set[str]:
    from pydantic_settings import BaseSettings

    from triage.config import CONFIG_FILE_ENV, Settings

    def names(cls) -> set[str]:
        prefix = cls.model_config.get("env_prefix", "")
        found = set()
        for field_name, field in cls.model_fields.items():
            annotation = field.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseSettings):
                found |= names(annotation)
            else:
                found.add(f"{prefix}{field_name}".upper())
        return found

    return names(Settings) | {CONFIG_FILE_ENV}


def test_the_env_example_lists_every_setting_with_a_comment():
    entries = _env_file_entries(ENV_EXAMPLE)
    settings = _setting_names()
    listed = {key for key in entries if key.startswith("TRIAGE_")}
    assert not settings - listed, f"missing from deploy/.env.example: {sorted(settings - listed)}"
    assert not listed - settings, f"unknown in deploy/.env.example: {sorted(listed - settings)}"
    lines = ENV_EXAMPLE.read_text().splitlines()
    for number, line in enumerate(lines):
        if re.match(r"[A-Z_]+=", line):
            assert number and lines[number - 1].startswith("#"), f"no comment above {line!r}"
            value = line.partition("=")[2]
            assert not re.search(r"[\"'\s]", value), f"quotes or spaces in {line!r}"
    # The password of the triage-db role is the one inside TRIAGE_DATABASE_URL.
    assert f":{entries['POSTGRES_TRIAGE_PASSWORD']}@triage-db:" in entries["TRIAGE_DATABASE_URL"]
    assert entries["TRIAGE_SCHEDULER"] == "celery"


def _pin(package: str) -> str:
    pattern = rf"^{re.escape(package)}==(\S+)$"
    match = re.search(pattern, CONSTRAINTS.read_text(), re.MULTILINE | re.IGNORECASE)
    assert match, f"{package} is not pinned in constraints.txt"
    return match.group(1)


def test_image_versions_follow_constraints():
    services = yaml.safe_load(COMPOSE_FILE.read_text())["services"]
    mlflow_image = services["mlflow"]["image"]
    assert mlflow_image.endswith(f":v{_pin('mlflow')}"), "MLflow server and client differ"
    assert f"torch=={_pin('torch')}" in DOCKERFILE.read_text()


def test_the_dockerfile():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.MULTILINE)
    users = re.findall(r"^USER\s+(\S+)", text, re.MULTILINE)
    assert users and users[-1] not in ("root", "0"), "the image must run as a non-root user"
    assert "--index-url https://download.pytorch.org/whl/cpu torch==" in text
    assert text.index("download.pytorch.org") < text.index("pip install -c constraints.txt .")
    assert "HF_HUB_OFFLINE=1" in text
    healthcheck = text[text.index("\nHEALTHCHECK "):].split("\n\n")[0]
    assert "urllib" in healthcheck and "/healthz" in healthcheck
    assert re.search(r'^ENTRYPOINT \["triage"\]', text, re.MULTILINE)
    assert re.search(r'^CMD \["serve", "--host", "0.0.0.0", "--port", "8000"\]', text, re.MULTILINE)
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    assert {".venv", "var", ".git", "deploy", "**/__pycache__", "**/.pytest_cache"} <= ignored
