"""Lockout that cannot be used as a weapon: device cookies, daily lock notices, limits on
re-entering the current password, and sign-in audit rows that never keep a mistyped secret."""

from datetime import timedelta

from conftest import PATIENT_PASSWORD, STAFF_PASSWORD, AuthActions, post_form
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent

STAFF_FAILED = get_message("staff_sign_in_failed")[0]
PATIENT_FAILED = get_message("patient_sign_in_failed")[0]
WRONG = "wrong password, long enough"
LOCK_SUBJECT = "Sign-in to your portal account was paused"


def lock_notices(outbox):
    return [email for email in outbox.queued if email.subject == LOCK_SUBJECT]


# -- device cookies ---------------------------------------------------------------------------

def test_a_known_browser_still_signs_in_while_strangers_locked_the_account(app, make_staff,
                                                                           clock):
    staff = make_staff("nurse")
    owner = app.test_client()
    assert AuthActions(owner).sign_in(staff.email).status_code == 302  # gets a device cookie
    assert owner.get_cookie("portal_device") is not None
    AuthActions(owner).sign_out()

    stranger = AuthActions(app.test_client())
    for _ in range(10):
        stranger.sign_in(staff.email, WRONG)
    # Locked for unknown browsers: even the right password is refused there.
    assert STAFF_FAILED in stranger.sign_in(staff.email).get_data(as_text=True)
    assert STAFF_FAILED in AuthActions(app.test_client()).sign_in(staff.email).get_data(
        as_text=True)
    # The owner's browser is not locked.
    assert AuthActions(owner).sign_in(staff.email).headers["Location"] == "/staff/patients"


def test_a_known_browser_has_its_own_ten_tries(app, make_account, clock):
    make_account()
    owner = app.test_client()
    assert AuthActions(owner).patient_sign_in("robin").status_code == 302
    AuthActions(owner).sign_out()
    for _ in range(10):
        AuthActions(owner).patient_sign_in("robin", WRONG)
    assert PATIENT_FAILED in AuthActions(owner).patient_sign_in("robin").get_data(as_text=True)
    # Its failures did not lock the account for other browsers.
    assert AuthActions(app.test_client()).patient_sign_in("robin").status_code == 302
    clock.tick(timedelta(minutes=15, seconds=1))
    assert AuthActions(owner).patient_sign_in("robin").status_code == 302


def test_a_forged_or_foreign_device_cookie_counts_for_nothing(app, make_staff, clock):
    first, second = make_staff("nurse"), make_staff("billing")
    browser = app.test_client()
    assert AuthActions(browser).sign_in(first.email).status_code == 302
    AuthActions(browser).sign_out()
    for _ in range(10):
        AuthActions(app.test_client()).sign_in(second.email, WRONG)
    # A cookie for another account does not open this one.
    assert STAFF_FAILED in AuthActions(browser).sign_in(second.email).get_data(as_text=True)
    forged = app.test_client()
    forged.set_cookie("portal_device", "forged.value.here")
    assert STAFF_FAILED in AuthActions(forged).sign_in(second.email).get_data(as_text=True)


def test_device_cookie_is_httponly_and_lax(client, auth, make_staff):
    staff = make_staff()
    response = auth.sign_in(staff.email)
    header = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith("portal_device="))
    assert "HttpOnly" in header and "SameSite=Lax" in header and "Path=/" in header
    assert "Domain" not in header


# -- lock notices ---------------------------------------------------------------------------

def test_lock_email_goes_out_at_most_once_a_day(app, make_staff, outbox, clock, audit_trail):
    staff = make_staff("admin")
    stranger = AuthActions(app.test_client())
    for _round in range(3):
        for _ in range(10):
            stranger.sign_in(staff.email, WRONG)
        clock.tick(timedelta(minutes=16))
    assert len(lock_notices(outbox)) == 1
    assert len(audit_trail.rows("staff.sign_in_locked")) == 3
    clock.tick(timedelta(hours=24))
    for _ in range(10):
        stranger.sign_in(staff.email, WRONG)
    assert len(lock_notices(outbox)) == 2


# -- the audit trail never keeps an unknown typed name -------------------------------------------

def test_unknown_names_are_not_stored(app, client, auth, make_staff, audit_trail):
    make_staff("admin")
    auth.sign_in("my secret password 123", WRONG)
    auth.sign_in("admin@practice.test", WRONG)
    details = [row.detail for row in audit_trail.rows("staff.sign_in_failed")]
    assert details == ["unknown name", "name: admin@practice.test"]
    with app.app_context():
        everything = " ".join(db.session.scalars(select(AuditEvent.detail)).all())
    assert "my secret password" not in everything


# -- current password re-entry -------------------------------------------------------------------

def change_question(client, current_password):
    return post_form(client, "/profile/security-question", {
        "current_password": current_password, "question": "first_concert",
        "answer": "The Harbour Band"})


def test_five_wrong_current_passwords_in_a_row_end_every_session(app, client, auth,
                                                                  make_account, outbox, clock,
                                                                  audit_trail, patient_client):
    make_account()
    assert auth.patient_sign_in("robin").status_code == 302
    other = patient_client()
    for _ in range(4):
        assert change_question(client, WRONG).status_code == 200
    assert client.get("/profile").status_code == 200 and not [
        e for e in outbox.queued if e.subject == "You were signed out of the portal"]
    fifth = change_question(client, WRONG)
    assert fifth.headers["Location"] == "/sign-in"
    assert get_message("reauth_signed_out")[0] in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/profile").status_code == 302
    assert other.get("/profile").status_code == 302  # every session ended
    notices = [e for e in outbox.queued if e.subject == "You were signed out of the portal"]
    assert [e.recipient for e in notices] == ["robin.quill@example.com"]
    assert audit_trail.rows("patient.reauth_limit")


def test_a_right_current_password_starts_the_row_again(client, auth, make_account, clock):
    make_account()
    auth.patient_sign_in("robin")
    for _ in range(4):
        change_question(client, WRONG)
    clock.tick(60)
    assert change_question(client, PATIENT_PASSWORD).status_code == 302
    for _ in range(4):
        assert change_question(client, WRONG).status_code == 200
    assert client.get("/profile").status_code == 200


def test_wrong_current_passwords_count_toward_the_sign_in_lock(app, client, auth, make_account,
                                                                clock):
    make_account()
    auth.patient_sign_in("robin")
    for _ in range(4):
        change_question(client, WRONG)
    stranger = AuthActions(app.test_client())
    for _ in range(6):
        stranger.patient_sign_in("robin", WRONG)
    # 4 + 6 = 10 failures: unknown browsers are paused.
    assert PATIENT_FAILED in stranger.patient_sign_in("robin").get_data(as_text=True)


def test_two_step_pages_count_wrong_passwords_too(app, client, auth, make_account, clock):
    make_account()
    auth.patient_sign_in("robin")
    for _ in range(4):
        page = post_form(client, "/profile/two-step/on", {"on-password": WRONG},
                         page_url="/profile/two-step")
        assert page.status_code == 200
    fifth = post_form(client, "/profile/two-step/on", {"on-password": WRONG},
                      page_url="/profile/two-step")
    assert fifth.headers["Location"] == "/sign-in"
    assert client.get("/profile").status_code == 302


def test_staff_password_page_counts_wrong_passwords(app, client, auth, make_staff, clock, audit_trail):
    staff = make_staff("nurse")
    auth.sign_in(staff.email)
    for _ in range(5):
        last = post_form(client, "/staff/account/password", {
            "current_password": WRONG, "password": "a brand new staff passphrase",
            "confirm": "a brand new staff passphrase"})
    assert last.headers["Location"] == "/staff/sign-in"
    assert audit_trail.rows("staff.reauth_limit")
    assert client.get("/staff/patients").status_code == 302
    # The owner's own browser may sign in again at once (its device cookie).
    assert AuthActions(client).sign_in(staff.email, STAFF_PASSWORD).status_code == 302
