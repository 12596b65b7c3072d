"""The README stays true: its commands and every setting are documented."""

from pathlib import Path

from triage.config import ImapSettings, LimitSettings, ModelSettings, OdooSettings, Settings

ROOT = Path(__file__).parents[2]


def _env_names() -> set[str]:
    names = {f"TRIAGE_{f.upper()}" for f, info in Settings.model_fields.items()
             if f not in ("imap", "odoo", "model", "limits")}
    for group in (ImapSettings, OdooSettings, ModelSettings, LimitSettings):
        prefix = group.model_config["env_prefix"]
        names |= {f"{prefix}{f.upper()}" for f in group.model_fields}
    return names


def test_every_setting_is_in_the_readme_table():
    readme = (ROOT / "README.md").read_text()
    missing = sorted(n for n in _env_names() if f"`{n}`" not in readme)
    assert not missing, f"README lacks settings: {missing}"


def test_readme_gives_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
