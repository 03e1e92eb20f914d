"""Settings: environment, then instance/portal.cfg, then safe defaults; production refusals."""

import logging
import stat

import pytest

from portal import create_app
from portal.config import ConfigurationError, database_uri, load_settings
from portal.web import headers


def test_defaults_generate_a_private_secret_key_once(tmp_path):
    first = load_settings(tmp_path, environ={})
    key_file = tmp_path / "secret_key"
    assert len(first["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings(tmp_path, environ={})["SECRET_KEY"] == first["SECRET_KEY"]
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path}/portal.sqlite3"


def test_environment_beats_the_config_file(tmp_path):
    (tmp_path / "portal.cfg").write_text('MAIL_SERVER = "file.example"\nMAIL_PORT = 2525\n'
                                         'BASE_URL = "https://file.example/"\n')
    settings = load_settings(tmp_path, environ={"PORTAL_MAIL_SERVER": "env.example"})
    assert settings["MAIL_SERVER"] == "env.example"
    assert settings["MAIL_PORT"] == 2525
    assert settings["BASE_URL"] == "https://file.example"


def test_environment_values_are_typed(tmp_path):
    settings = load_settings(tmp_path, environ={"PORTAL_MAIL_PORT": "465", "PORTAL_DEBUG": "yes",
                                                "PORTAL_SECRET_KEY": "k" * 40})
    assert settings["MAIL_PORT"] == 465 and settings["DEBUG"] is True
    assert not (tmp_path / "secret_key").exists()
    with pytest.raises(ConfigurationError, match="PORTAL_MAIL_PORT must be a whole number"):
        load_settings(tmp_path, environ={"PORTAL_MAIL_PORT": "lots"})


@pytest.mark.parametrize("url, expected", [
    ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
    ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
])
def test_postgres_urls_use_psycopg_3(url, expected, tmp_path):
    assert database_uri(url, tmp_path) == expected


def test_plain_database_url_is_read_too(tmp_path):
    settings = load_settings(tmp_path, environ={"DATABASE_URL": "postgres://u@h/db"})
    assert settings["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


PRODUCTION_OK = {"PORTAL_ENV": "production", "PORTAL_BASE_URL": "https://portal.example",
                 "PORTAL_SECRET_KEY": "a-long-random-secret-value-0123456789abcdef",
                 "PORTAL_MAIL_SERVER": "smtp.portal.example"}


@pytest.mark.parametrize("change, message", [
    ({"PORTAL_BASE_URL": "http://portal.example"}, "must be the portal's https:// address"),
    ({"PORTAL_SECRET_KEY": "dev"}, "PORTAL_SECRET_KEY must be a random value"),
    ({"PORTAL_SECRET_KEY": "short-secret"}, "PORTAL_SECRET_KEY must be a random value"),
    ({"PORTAL_DEBUG": "1"}, "PORTAL_DEBUG must be off"),
    ({"PORTAL_MAIL_SECURITY": "none"}, "PORTAL_MAIL_SECURITY must be starttls or ssl"),
    ({"PORTAL_MAIL_SECURITY": "tls"}, "PORTAL_MAIL_SECURITY must be starttls or ssl"),
    ({"PORTAL_MAIL_SERVER": ""}, "PORTAL_MAIL_SERVER must name the SMTP relay"),
    ({"PORTAL_TWO_STEP_REQUIRED_FOR_STAFF": "off"}, "PORTAL_TWO_STEP_REQUIRED_FOR_STAFF must be on"),
])
def test_production_refuses_insecure_settings(monkeypatch, tmp_path, change, message):
    for name, value in {**PRODUCTION_OK, **change}.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError, match=message):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_production_starts_with_secure_settings(monkeypatch, tmp_path):
    for name, value in PRODUCTION_OK.items():
        monkeypatch.setenv(name, value)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_NAME"] == "__Host-portal"


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    from portal.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite pragmas apply to SQLite only (this run is on PostgreSQL)")
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_portal_feature_settings_come_from_the_environment(tmp_path):
    settings = load_settings(tmp_path, environ={"PORTAL_INVITATION_DAYS": "3",
                                                "PORTAL_TWO_STEP_REQUIRED_FOR_STAFF": "no"})
    assert settings["INVITATION_DAYS"] == 3 and settings["TWO_STEP_REQUIRED_FOR_STAFF"] is False
    defaults = load_settings(tmp_path, environ={})
    assert defaults["INVITATION_DAYS"] == 7 and defaults["TWO_STEP_REQUIRED_FOR_STAFF"] is True


@pytest.mark.parametrize("raw, expected", [
    ("1", True), ("0", False), ("true", True), ("FALSE", False), ("Yes", True), ("no", False),
    ("ON", True), ("Off", False), (" yes ", True),
])
def test_flags_accept_the_usual_words_in_any_case(tmp_path, raw, expected):
    settings = load_settings(tmp_path, environ={"PORTAL_TWO_STEP_REQUIRED_FOR_STAFF": raw})
    assert settings["TWO_STEP_REQUIRED_FOR_STAFF"] is expected


@pytest.mark.parametrize("name", ["DEBUG", "TWO_STEP_REQUIRED_FOR_STAFF"])
@pytest.mark.parametrize("raw", ["maybe", "", "2", "enabled", "y e s"])
def test_unrecognised_flag_refuses_to_start_naming_the_setting(monkeypatch, tmp_path, name, raw):
    with pytest.raises(ConfigurationError, match=f"PORTAL_{name} must be one of"):
        load_settings(tmp_path, environ={f"PORTAL_{name}": raw})
    monkeypatch.setenv(f"PORTAL_{name}", raw)
    with pytest.raises(ConfigurationError, match=f"PORTAL_{name} must be one of"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


def test_unrecognised_flag_in_the_config_file_refuses_too(tmp_path):
    (tmp_path / "portal.cfg").write_text('TWO_STEP_REQUIRED_FOR_STAFF = "nope"\n')
    with pytest.raises(ConfigurationError, match="PORTAL_TWO_STEP_REQUIRED_FOR_STAFF must be one of"):
        load_settings(tmp_path, environ={})


def test_secret_key_fallbacks_are_a_list(tmp_path):
    settings = load_settings(tmp_path, environ={"PORTAL_SECRET_KEY_FALLBACKS": " old-one , older-one ,"})
    assert settings["SECRET_KEY_FALLBACKS"] == ["old-one", "older-one"]
    assert load_settings(tmp_path, environ={})["SECRET_KEY_FALLBACKS"] == []


def test_bad_totp_keys_refuse_to_start(tmp_path):
    with pytest.raises(ConfigurationError, match="PORTAL_TOTP_KEYS must be Fernet keys"):
        load_settings(tmp_path, environ={"PORTAL_TOTP_KEYS": "not-a-key"})


def test_demo_refuses_in_production(monkeypatch, tmp_path):
    for name, value in PRODUCTION_OK.items():
        monkeypatch.setenv(name, value)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "The demo practice is not loaded in production" in result.output


@pytest.fixture
def forwarded_warnings(caplog):
    """The warning about X-Forwarded-For without PORTAL_PROXY_COUNT, as if in a new process."""
    headers._forwarded_warning["given"] = False
    caplog.set_level(logging.WARNING, logger="portal")
    yield lambda: [r for r in caplog.records if "X-Forwarded-For" in r.getMessage()]
    headers._forwarded_warning["given"] = False


def test_forwarded_for_without_proxy_count_warns_once(client, forwarded_warnings):
    assert client.get("/").status_code == 200
    assert forwarded_warnings() == []
    for _ in range(3):
        assert client.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    [warning] = forwarded_warnings()
    assert warning.levelname == "WARNING" and "PORTAL_PROXY_COUNT is 0" in warning.getMessage()


def test_forwarded_for_with_a_proxy_count_is_quiet(app, client, forwarded_warnings):
    app.config["PROXY_COUNT"] = 1
    assert client.get("/", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 200
    assert forwarded_warnings() == []
