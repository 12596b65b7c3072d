from pathlib import Path

from triage.config import load_settings


def test_flat_env_names_fill_the_groups(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_IMAP_HOST", "mail.example.com")
    monkeypatch.setenv("TRIAGE_IMAP_FOLDERS", "INBOX, Suppliers")
    monkeypatch.setenv("TRIAGE_ODOO_PASSWORD", "s3cret")
    monkeypatch.setenv("TRIAGE_DATA_DIR", str(tmp_path / "d"))
    s = load_settings()
    assert s.imap.host == "mail.example.com"
    assert s.imap.folder_list == ["INBOX", "Suppliers"]
    assert s.odoo.password.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(s)
    assert s.store_url == f"sqlite:///{tmp_path / 'd' / 'triage.db'}"


def test_data_dir_is_made_absolute(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    assert s.data_dir == tmp_path / "var"
    assert s.data_dir.is_absolute()
    assert s.tracking_uri == f"sqlite:///{tmp_path / 'var' / 'mlflow.db'}"


def test_toml_file_is_read_and_env_wins(monkeypatch, tmp_path):
    toml = tmp_path / "triage.toml"
    toml.write_text('timezone = "Europe/Berlin"\nimap_host = "from-file"\nodoo_url = "https://odoo.example"\n'
                    'max_pdf_pages = 7\n')
    monkeypatch.setenv("TRIAGE_CONFIG_FILE", str(toml))
    monkeypatch.setenv("TRIAGE_IMAP_HOST", "from-env")
    s = load_settings()
    assert s.timezone == "Europe/Berlin"
    assert s.imap.host == "from-env"
    assert s.odoo.url == "https://odoo.example"
    assert s.limits.pdf_pages == 7


def test_default_policy_is_packaged(settings):
    assert settings.policy_path.name == "default.yaml"
    assert settings.policy_path.is_file()
    assert isinstance(settings.policy_path, Path)
