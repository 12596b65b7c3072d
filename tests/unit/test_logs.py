import logging

from triage.logs import configure_logging, redact_text


def test_secrets_never_reach_the_log(capsys):
    configure_logging("INFO", "json")
    logging.getLogger("triage.test").info("connecting to %s with Bearer abc.def", "https://bob:hunter2@odoo.example")
    import structlog

    structlog.get_logger("triage.test").info("login", password="hunter2", api_key="k-123", user="bob")
    err = capsys.readouterr().err
    assert "hunter2" not in err and "k-123" not in err and "abc.def" not in err
    assert "bob" in err and "odoo.example" in err


def test_redact_text():
    assert redact_text("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


def test_a_token_in_a_query_string_is_masked():
    line = '127.0.0.1:50312 - "POST /v1/webhooks/odoo?token=hook-t0ken&x=1 HTTP/1.1" 201'
    assert redact_text(line) == '127.0.0.1:50312 - "POST /v1/webhooks/odoo?token=***&x=1 HTTP/1.1" 201'
    assert redact_text("/v1/cases?limit=10&offset=20") == "/v1/cases?limit=10&offset=20"
