"""No live secrets at rest where they need not be (issue 6, part 6).

- Two-step (TOTP) secrets are encrypted in the database with a key kept beside the secret key
  (instance/totp_keys, 0600, or PORTAL_TOTP_KEYS); `portal rotate-totp-key` moves every secret
  to a new key, and codes keep working after the old key is gone.
- The instance folder is 0700; the SQLite file and the key files are 0600.
- PORTAL_SECRET_KEY_FALLBACKS: sessions and emailed links made with the old secret key still
  work after the key changes; those made with a key the portal never had do not.
"""

import os
import stat
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from conftest import (
    RESET_LINK,
    SECRET_TEXT,
    START,
    TEST_SECRET,
    _settings,
    code_at,
    open_link,
    post_form,
    send_code,
)
from cryptography.fernet import Fernet, InvalidToken
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from portal.services import secretbox
from portal.services.tokens import check_token, make_token

OLD_SECRET_KEY = TEST_SECRET
NEW_SECRET_KEY = "a-brand-new-secret-key-for-the-portal-0123456789abcdef"


def stored_secret(app, staff_id):
    """The totp_secret column as the database holds it (no ORM in between)."""
    with app.app_context():
        return db.session.execute(text("SELECT totp_secret FROM staff_users WHERE id = :id"),
                                  {"id": staff_id}).scalar_one()


def key_file(app):
    return Path(app.instance_path) / "totp_keys"


def file_keys(app):
    return key_file(app).read_text().split()


def set_up_two_step(client, auth, staff):
    """Staff sign-in with two-step required: scan (read) the shown secret, confirm a code."""
    assert auth.sign_in(staff.email).headers["Location"] == "/staff/two-step/setup"
    page = client.get("/staff/two-step/setup").get_data(as_text=True)
    secret = SECRET_TEXT.search(page).group(1).replace(" ", "")
    done = post_form(client, "/staff/two-step/setup", {"code": code_at(secret)})
    assert done.status_code == 200 and done.get_data(as_text=True).count("<li><code>") == 10
    auth.sign_out()
    return secret


def sign_in_with_code(client, auth, staff, secret):
    """A full staff sign-in: password, then the app's code. True when it lets them in."""
    response = auth.sign_in(staff.email)
    assert response.headers["Location"] == "/sign-in/code"
    done = send_code(client, code_at(secret))
    signed_in = done.status_code == 302 and done.headers["Location"] == "/staff/patients"
    if signed_in:
        assert client.get("/staff/patients").status_code == 200
        auth.sign_out()
    return signed_in


# -- TOTP secrets -----------------------------------------------------------------------

def test_the_column_never_holds_the_secret(app, client, auth, make_staff, clock, two_step_required):
    staff = make_staff("nurse")
    assert auth.sign_in(staff.email).headers["Location"] == "/staff/two-step/setup"
    page = client.get("/staff/two-step/setup").get_data(as_text=True)
    secret = SECRET_TEXT.search(page).group(1).replace(" ", "")
    # Already during setup, before the first code:
    stored = stored_secret(app, staff.id)
    assert secret not in stored and stored.startswith("gAAAAA")
    assert post_form(client, "/staff/two-step/setup", {"code": code_at(secret)}).status_code == 200
    auth.sign_out()

    stored = stored_secret(app, staff.id)
    assert secret not in stored and secret.lower() not in stored.lower()
    [key] = file_keys(app)
    assert Fernet(key).decrypt(stored.encode()).decode() == secret
    clock.tick(30)
    assert sign_in_with_code(client, auth, staff, secret)
    assert secret not in stored_secret(app, staff.id)


def test_key_file_is_made_once_and_private(app):
    path = key_file(app)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    [key] = file_keys(app)
    Fernet(key)  # a valid Fernet key
    again = create_app(_settings(app.config["SQLALCHEMY_DATABASE_URI"], app.instance_path))
    assert again.instance_path == app.instance_path and file_keys(app) == [key]


def test_rotation_keeps_codes_working_without_the_old_key(app, client, auth, make_staff, runner,
                                                          clock, two_step_required):
    staff = make_staff("nurse")
    secret = set_up_two_step(client, auth, staff)
    [old_key] = file_keys(app)
    before = stored_secret(app, staff.id)

    result = runner.invoke(args=["rotate-totp-key"])
    assert result.exit_code == 0, result.output
    assert "1 secret(s) re-encrypted" in result.output

    [new_key] = file_keys(app)  # the old key is gone from the file
    assert new_key != old_key
    assert stat.S_IMODE(key_file(app).stat().st_mode) == 0o600
    after = stored_secret(app, staff.id)
    assert after != before and secret not in after
    assert Fernet(new_key).decrypt(after.encode()).decode() == secret
    with pytest.raises(InvalidToken):
        Fernet(old_key).decrypt(after.encode())
    clock.tick(30)
    assert sign_in_with_code(client, auth, staff, secret)


def test_rotation_with_keys_from_the_environment(app, client, auth, make_staff, runner, clock,
                                                 two_step_required):
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    app.config["TOTP_KEYS"] = [old_key]
    staff = make_staff("nurse")
    secret = set_up_two_step(client, auth, staff)
    assert Fernet(old_key).decrypt(stored_secret(app, staff.id).encode()).decode() == secret

    refused = runner.invoke(args=["rotate-totp-key"])
    assert refused.exit_code == 1 and "PORTAL_TOTP_KEYS holds one key" in refused.output

    app.config["TOTP_KEYS"] = [new_key, old_key]  # the new key first, the old one kept
    clock.tick(30)
    assert sign_in_with_code(client, auth, staff, secret)  # both keys read during the change
    result = runner.invoke(args=["rotate-totp-key"])
    assert result.exit_code == 0 and "1 secret(s) re-encrypted" in result.output
    assert Fernet(new_key).decrypt(stored_secret(app, staff.id).encode()).decode() == secret

    app.config["TOTP_KEYS"] = [new_key]  # the old key removed
    clock.tick(30)
    assert sign_in_with_code(client, auth, staff, secret)


def test_a_secret_no_key_opens_fails_closed(app, client, auth, make_staff, clock,
                                            two_step_required, caplog):
    staff = make_staff("nurse")
    secret = set_up_two_step(client, auth, staff)
    app.config["TOTP_KEYS"] = [Fernet.generate_key().decode()]  # the real key lost
    clock.tick(30)
    assert not sign_in_with_code(client, auth, staff, secret)
    assert "could not be decrypted" in caplog.text and secret not in caplog.text


def test_a_secret_stored_in_plain_text_works_once_and_is_encrypted(app, client, auth, make_staff,
                                                                   clock, two_step_required):
    """As written by a worker still running the old code during an upgrade."""
    staff = make_staff("nurse")
    secret = pyotp.random_base32(32)
    with app.app_context():
        db.session.execute(text("UPDATE staff_users SET totp_secret = :s, totp_enabled_at = :t "
                                "WHERE id = :id"),
                           {"s": secret, "t": START.replace(tzinfo=None), "id": staff.id})
        db.session.commit()
    assert sign_in_with_code(client, auth, staff, secret)
    stored = stored_secret(app, staff.id)
    assert secret not in stored
    with app.app_context():
        assert secretbox.decrypt(stored) == secret


def test_migration_0004_encrypts_plain_secrets_and_downgrade_restores_them(tmp_path):
    if os.environ.get("PORTAL_TEST_DATABASE_URL"):
        pytest.skip("runs on its own SQLite file; the PostgreSQL run migrates its own database")
    url = "sqlite:///" + str(tmp_path / "upgrade.sqlite3")
    app = create_app(_settings(url, tmp_path / "instance"))
    secret = pyotp.random_base32(32)
    with app.app_context():
        upgrade(revision="0003_hardening")
        db.session.execute(text(
            "INSERT INTO staff_users (email, name, role, password_hash, active, totp_secret, "
            "created_at) VALUES ('old@practice.test', 'Old', 'nurse', 'x', 1, :s, :t)"
        ), {"s": secret, "t": START.replace(tzinfo=None)})
        db.session.commit()
        upgrade()
        stored = db.session.execute(text("SELECT totp_secret FROM staff_users")).scalar_one()
        assert secret not in stored and secretbox.decrypt(stored) == secret
        downgrade(revision="0003_hardening")
        assert db.session.execute(text("SELECT totp_secret FROM staff_users")).scalar_one() == secret
        db.session.remove()
        db.engine.dispose()


# -- file modes -------------------------------------------------------------------------

def test_instance_folder_database_and_keys_are_private(tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    os.chmod(instance, 0o755)  # noqa: S103 - as an admin might have made it
    old_umask = os.umask(0o022)
    try:
        app = create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
        with app.app_context():
            db.session.execute(text("CREATE TABLE probe (x INTEGER)"))
            db.session.execute(text("INSERT INTO probe VALUES (1)"))
            db.session.commit()
            db.session.remove()
            db.engine.dispose()
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700
    for name in ("portal.sqlite3", "secret_key", "totp_keys"):
        assert stat.S_IMODE((instance / name).stat().st_mode) == 0o600, name
    for extra in instance.glob("portal.sqlite3-*"):  # -wal, -shm while they exist
        assert stat.S_IMODE(extra.stat().st_mode) == 0o600, extra.name


def test_a_new_instance_folder_is_private(tmp_path):
    instance = tmp_path / "deep" / "instance"
    create_app({"INSTANCE_PATH": str(instance), "TESTING": True})
    assert stat.S_IMODE(instance.stat().st_mode) == 0o700


# -- secret key rotation ----------------------------------------------------------------

def rotate_secret_key(app, fallbacks=(OLD_SECRET_KEY,)):
    app.config["SECRET_KEY"] = NEW_SECRET_KEY
    app.config["SECRET_KEY_FALLBACKS"] = list(fallbacks)


def test_session_made_with_the_old_key_survives_rotation(app, client, auth, make_staff):
    staff = make_staff("nurse")
    assert auth.sign_in(staff.email).status_code == 302
    assert client.get("/staff/patients").status_code == 200
    rotate_secret_key(app)
    assert client.get("/staff/patients").status_code == 200


def test_session_made_with_an_unknown_key_is_refused(app, client, auth, make_staff):
    staff = make_staff("nurse")
    assert auth.sign_in(staff.email).status_code == 302
    rotate_secret_key(app, fallbacks=["some-other-old-key-never-used-here-0123456789"])
    assert client.get("/staff/patients").headers["Location"].startswith("/staff/sign-in")


@pytest.mark.parametrize("purpose", ["reset", "invite"])
def test_links_made_with_the_old_key_survive_rotation(app, purpose):
    with app.test_request_context():
        token = make_token(purpose, {"id": 7, "n": "nonce"})
        rotate_secret_key(app)
        assert check_token(purpose, token, timedelta(minutes=30)) == (False, False,
                                                                      {"id": 7, "n": "nonce"})
        new_token = make_token(purpose, {"id": 8})
        app.config["SECRET_KEY_FALLBACKS"] = []  # the old key retired
        assert check_token(purpose, token, timedelta(minutes=30)) == (False, True, None)
        assert check_token(purpose, new_token, timedelta(minutes=30)) == (False, False, {"id": 8})


def test_a_link_from_an_unknown_key_is_refused(app):
    with app.test_request_context():
        app.config["SECRET_KEY"] = "a-key-this-portal-never-had-0123456789abcdefgh"
        forged = make_token("reset", {"id": 7})
        rotate_secret_key(app)
        assert check_token("reset", forged, timedelta(minutes=30)) == (False, True, None)


def test_reset_link_emailed_before_rotation_still_opens(app, client, make_account, outbox):
    make_account()
    assert post_form(client, "/forgot-password", {"name": "robin"}).status_code in (200, 302)
    outbox.process_requests()  # the mail worker's part: the reset email is queued
    [mail] = [m for m in outbox.queued if "/reset?t=" in m.body_text]
    link = RESET_LINK.search(mail.body_text).group(1)
    rotate_secret_key(app)
    assert "This reset link cannot be used" not in open_link(app.test_client(), link).get_data(as_text=True)
