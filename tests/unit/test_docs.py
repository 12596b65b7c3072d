"""The README stays true: its commands and every setting are documented."""

from pathlib import Path

from pydantic_settings import BaseSettings

from triage.config import Settings

ROOT = Path(__file__).parents[2]


def _env_names(cls=Settings) -> set[str]:
    names = set()
    for name, field in cls.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseSettings):
            names |= _env_names(field.annotation)  # a group: TRIAGE_IMAP_*, TRIAGE_MODEL_*, ...
        else:
            names.add(f"{cls.model_config['env_prefix']}{name.upper()}")
    return names


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = sorted(n for n in _env_names() if f"`{n}`" not in readme)
    assert not missing, f"README lacks settings: {missing}"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
