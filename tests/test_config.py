"""Settings: environment, then instance/portal.cfg, then safe defaults; production refusals."""

import stat

import pytest

from portal import create_app
from portal.config import ConfigurationError, database_uri, load_settings


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
                 "PORTAL_SECRET_KEY": "a-long-random-secret-value-0123456789abcdef"}


@pytest.mark.parametrize("change, message", [
    ({"PORTAL_BASE_URL": "http://portal.example"}, "must be the portal's https:// address"),
    ({"PORTAL_SECRET_KEY": "dev"}, "PORTAL_SECRET_KEY must be a random value"),
    ({"PORTAL_SECRET_KEY": "short-secret"}, "PORTAL_SECRET_KEY must be a random value"),
    ({"PORTAL_DEBUG": "1"}, "PORTAL_DEBUG must be off"),
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
