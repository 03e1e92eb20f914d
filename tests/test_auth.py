"""Staff sign-in, throttling and server-side sessions."""

import re
from datetime import timedelta

import pytest
from conftest import STAFF_PASSWORD, csrf_token, post_form
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, AuthSession, StaffUser
from portal.models.types import utcnow
from portal.services import throttle
from portal.services.passwords import hasher

FAILED = get_message("staff_sign_in_failed")[0]


def test_sign_in_lands_on_patient_list(client, auth, make_staff, app, audit_trail):
    staff = make_staff("front_desk")
    response = auth.sign_in(staff.email)
    assert response.headers["Location"] == "/staff/patients"
    assert client.get("/staff/patients").status_code == 200
    assert "staff.sign_in" in audit_trail.actions()


def test_sign_in_email_is_case_insensitive(client, auth, make_staff):
    make_staff("nurse", email="nurse@practice.test")
    assert auth.sign_in("  Nurse@Practice.TEST ").status_code == 302


@pytest.mark.parametrize("email, password", [
    ("admin@practice.test", "wrong password, long enough"),
    ("nobody@practice.test", "wrong password, long enough"),
    ("nobody@practice.test", STAFF_PASSWORD),
])
def test_failures_get_one_generic_answer(client, auth, make_staff, email, password):
    make_staff("admin")
    response = auth.sign_in(email, password)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert FAILED in body
    assert client.get("/staff/patients").status_code == 302


def test_unknown_and_wrong_password_pages_are_identical(client, auth, make_staff):
    make_staff("admin")

    def page(email):
        body = auth.sign_in(email, "wrong password, long enough").get_data(as_text=True)
        return re.sub(r'value="[^"]*"', 'value=""', body)

    assert page("admin@practice.test") == page("nobody@practice.test").replace(
        "nobody@practice.test", "admin@practice.test")


def test_disabled_account_cannot_sign_in(client, auth, make_staff, app):
    staff = make_staff("billing")
    with app.app_context():
        db.session.get(StaffUser, staff.id).active = False
        db.session.commit()
    assert FAILED in auth.sign_in(staff.email).get_data(as_text=True)


def test_missing_fields_are_named(client):
    response = post_form(client, "/staff/sign-in", {"email": "", "password": ""})
    body = response.get_data(as_text=True)
    assert "Enter your email address." in body
    assert "Enter your password." in body
    assert 'href="#email"' in body


def test_ten_failures_lock_the_account_and_email_the_owner(client, auth, make_staff, outbox, app,
                                                           audit_trail):
    staff = make_staff("admin")
    for _ in range(10):
        auth.sign_in(staff.email, "wrong password, long enough")
    # Locked: even the right password is refused, with the same answer.
    assert FAILED in auth.sign_in(staff.email).get_data(as_text=True)
    assert [email.recipient for email in outbox.queued] == [staff.email]
    assert "code 10 times, so sign-in to your account is paused for 15 minutes" in \
        outbox.queued[0].body_text
    assert "staff.sign_in_locked" in audit_trail.actions()
    assert "staff.sign_in_refused_locked" in audit_trail.actions()


def test_lock_ends_after_fifteen_minutes(client, auth, make_staff):
    staff = make_staff("admin")
    with freeze_time(utcnow()) as frozen:
        for _ in range(10):
            auth.sign_in(staff.email, "wrong password, long enough")
        frozen.tick(timedelta(minutes=14))
        assert FAILED in auth.sign_in(staff.email).get_data(as_text=True)
        frozen.tick(timedelta(minutes=1, seconds=1))
        assert auth.sign_in(staff.email).status_code == 302


def test_attempts_during_a_lock_do_not_extend_it(client, auth, make_staff, app):
    staff = make_staff("admin")
    with freeze_time(utcnow()) as frozen:
        for _ in range(10):
            auth.sign_in(staff.email, "wrong password, long enough")
        frozen.tick(timedelta(minutes=10))
        for _ in range(5):
            auth.sign_in(staff.email, "wrong password, long enough")
        frozen.tick(timedelta(minutes=5, seconds=1))
        assert auth.sign_in(staff.email).status_code == 302


def test_unknown_names_lock_too(client, auth, app):
    """A lock on a name that has no account looks the same: nothing to learn from it."""
    for _ in range(10):
        auth.sign_in("ghost@practice.test", "wrong password, long enough")
    with app.app_context():
        assert throttle.locked_until("staff-name:ghost@practice.test") is not None


def test_success_clears_the_failure_count(client, auth, make_staff, app):
    staff = make_staff("admin")
    for _ in range(9):
        auth.sign_in(staff.email, "wrong password, long enough")
    assert auth.sign_in(staff.email).status_code == 302
    auth.sign_out()
    auth.sign_in(staff.email, "wrong password, long enough")
    assert auth.sign_in(staff.email).status_code == 302


def test_one_address_failing_across_many_names_is_refused(client, auth, app):
    auth.sign_in("user0@practice.test", "wrong password, long enough")
    with app.app_context():  # the rest of the spray, counted the way a request counts it
        for number in range(1, 49):
            throttle.record_failure(f"user{number}@practice.test", "127.0.0.1")
        db.session.commit()
    # 49 failures from this address: still answered; the 50th closes the address.
    assert auth.sign_in("user49@practice.test", "wrong password, long enough").status_code == 200
    response = auth.sign_in("another@practice.test", "wrong password, long enough")
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_session_cookie_is_new_at_sign_in(client, auth, make_staff, app):
    staff = make_staff("admin")
    client.get("/staff/sign-in")
    before = client.get_cookie("portal_session").value
    auth.sign_in(staff.email)
    after = client.get_cookie("portal_session").value
    assert before != after
    with app.app_context():
        token_hashes = db.session.scalars(select(AuthSession.token_hash)).all()
    assert len(token_hashes) == 1 and len(token_hashes[0]) == 64


def test_sign_out_ends_the_session_on_the_server(client, auth, make_staff, app):
    staff = make_staff("admin")
    auth.sign_in(staff.email)
    stolen = client.get_cookie("portal_session").value
    auth.sign_out()
    thief = app.test_client()
    thief.set_cookie("portal_session", stolen)
    response = thief.get("/staff/patients")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/sign-in")


def test_sign_out_needs_a_post_with_csrf(client, auth, make_staff):
    staff = make_staff("admin")
    auth.sign_in(staff.email)
    assert client.get("/sign-out").status_code == 405
    assert client.post("/sign-out").status_code == 400
    assert client.get("/staff/patients").status_code == 200


def test_idle_for_fifteen_minutes_signs_out(client, auth, make_staff):
    staff = make_staff("admin")
    with freeze_time(utcnow()) as frozen:
        auth.sign_in(staff.email)
        frozen.tick(timedelta(minutes=14))
        assert client.get("/staff/patients").status_code == 200
        frozen.tick(timedelta(minutes=15, seconds=1))
        response = client.get("/staff/patients")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert get_message("session_expired")[0] in page


def test_sessions_end_after_twelve_hours_even_when_active(client, auth, make_staff):
    staff = make_staff("admin")
    with freeze_time(utcnow()) as frozen:
        auth.sign_in(staff.email)
        for _ in range(12 * 6 + 1):
            frozen.tick(timedelta(minutes=10))
            response = client.get("/staff/patients")
        assert response.status_code == 302


def test_password_reset_ends_every_session(client, auth, make_staff, app, runner, monkeypatch):
    staff = make_staff("admin")
    auth.sign_in(staff.email)
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", "a brand new staff password 2026")
    result = runner.invoke(args=["reset-staff-password", staff.email])
    assert result.exit_code == 0, result.output
    assert client.get("/staff/patients").status_code == 302


def test_next_only_goes_to_local_paths(client, make_staff):
    staff = make_staff("admin")
    token = csrf_token(client, "/staff/sign-in")
    for target, expected in [("/admin/audit", "/admin/audit"),
                             ("//evil.example/x", "/staff/patients"),
                             ("https://evil.example/", "/staff/patients"),
                             ("/\\evil.example", "/staff/patients")]:
        response = client.post(f"/staff/sign-in?next={target}",
                               data={"csrf_token": token, "email": staff.email,
                                     "password": STAFF_PASSWORD})
        assert response.headers["Location"] == expected
        post_form(client, "/sign-out", {}, page_url="/staff/patients")
        token = csrf_token(client, "/staff/sign-in")


def test_signed_in_staff_is_redirected_from_sign_in(client, admin):
    assert client.get("/staff/sign-in").headers["Location"] == "/staff/patients"


def test_old_hash_parameters_are_upgraded_at_sign_in(client, auth, app):
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    with app.app_context():
        db.session.add(StaffUser(email="old@practice.test", name="Old Hash", role="nurse",
                                 password_hash=weak.hash(STAFF_PASSWORD)))
        db.session.commit()
    assert auth.sign_in("old@practice.test").status_code == 302
    with app.app_context():
        stored = db.session.scalar(select(StaffUser.password_hash)
                                   .where(StaffUser.email == "old@practice.test"))
    assert not hasher.check_needs_rehash(stored)
    assert "m=65536,t=3,p=4" in stored


def test_a_failed_sign_in_records_no_password(client, auth, make_staff, app):
    staff = make_staff("admin")
    auth.sign_in(staff.email, "my secret guess 12345")
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent)).all()
        assert rows and not any("secret guess" in (row.detail + row.actor_label) for row in rows)
        assert db.session.scalar(select(func.count(AuditEvent.id))
                                 .where(AuditEvent.action == "staff.sign_in_failed")) == 1


def test_keep_alive_needs_a_session_and_csrf(client, auth, make_staff):
    assert client.post("/session/keep-alive").status_code in (302, 400)
    auth.sign_in(make_staff().email)
    assert client.post("/session/keep-alive").status_code == 400
    token = csrf_token(client, "/staff/patients")
    assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 204


def test_keep_alive_counts_as_activity(client, auth, make_staff):
    auth.sign_in(make_staff().email)
    token = csrf_token(client, "/staff/patients")
    with freeze_time(utcnow()) as frozen:
        frozen.tick(timedelta(minutes=14))
        assert client.post("/session/keep-alive", headers={"X-CSRFToken": token}).status_code == 204
        frozen.tick(timedelta(minutes=14))
        assert client.get("/staff/patients").status_code == 200
