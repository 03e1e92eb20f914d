"""Patients sign in with their username or email; suspended accounts are told to call."""

import pytest
from conftest import PATIENT_PASSWORD, STAFF_PASSWORD
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, PatientAccount
from portal.services import throttle

FAILED = get_message("patient_sign_in_failed")[0]


def test_sign_in_with_username_lands_on_home(client, auth, make_account, app):
    account = make_account(username="robin")
    response = auth.patient_sign_in("Robin")
    assert response.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "Hello, Robin" in page
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.sign_in"))
        assert event.patient_id == account.patient_id and event.actor_kind == "patient"


def test_sign_in_with_email(client, auth, make_account):
    make_account()
    assert auth.patient_sign_in("ROBIN.QUILL@example.com").headers["Location"] == "/home"


@pytest.mark.parametrize("name, password", [
    ("robin", "wrong password, but long"),
    ("nobody", "wrong password, but long"),
    ("nobody", PATIENT_PASSWORD),
])
def test_failures_get_one_generic_answer(client, auth, make_account, name, password):
    make_account()
    response = auth.patient_sign_in(name, password)
    assert response.status_code == 200 and FAILED in response.get_data(as_text=True)


def test_lock_counts_username_and_email_together(client, auth, make_account, app):
    account = make_account()
    for number in range(10):  # the 10 failures that pause an account
        auth.patient_sign_in("robin" if number % 2 else account.email, "wrong password, but long")
    assert FAILED in auth.patient_sign_in("robin").get_data(as_text=True)
    with app.app_context():
        assert throttle.locked_until(f"patient:{account.id}") is not None


def test_suspended_account_is_told_to_call(client, auth, make_account, app, make_staff):
    make_staff()  # not used; a staff row must not matter
    account = make_account()
    with app.app_context():
        db.session.get(PatientAccount, account.id).status = "suspended"
        db.session.commit()
    response = auth.patient_sign_in("robin")
    assert response.status_code == 403
    assert "Your portal access is paused" in response.get_data(as_text=True)
    assert client.get("/home").status_code == 302
    # A wrong password gets the generic answer: the pause is shown only to the owner.
    assert FAILED in auth.patient_sign_in("robin", "wrong password, but long").get_data(as_text=True)


def test_patients_and_staff_stay_on_their_own_side(client, auth, make_account, make_staff, app):
    make_account()
    auth.patient_sign_in("robin")
    assert client.get("/staff/patients").status_code == 403
    assert client.get("/admin/audit").status_code == 403
    auth.sign_out()
    other = app.test_client()
    from conftest import AuthActions

    AuthActions(other).sign_in(make_staff().email)
    assert other.get("/home").status_code == 403


def test_staff_cannot_sign_in_on_the_patient_page(client, auth, make_staff):
    staff = make_staff()
    assert FAILED in auth.patient_sign_in(staff.email, STAFF_PASSWORD).get_data(
        as_text=True)


def test_patient_sign_out_returns_to_patient_sign_in(client, auth, make_account):
    make_account()
    auth.patient_sign_in("robin")
    response = auth.sign_out()
    assert response.headers["Location"] == "/sign-in"
    assert client.get("/home").headers["Location"].startswith("/sign-in?next=")


def test_demo_patient_can_sign_in(runner, client, auth):
    output = runner.invoke(args=["demo"]).output
    password = output.split("username: avery")[1].split("password: ")[1].split()[0]
    assert auth.patient_sign_in("avery", password).headers["Location"] == "/home"


def test_known_and_unknown_names_cost_the_same_work(client, auth, make_account, monkeypatch):
    """Timing: a wrong password for a real account and any password for an unknown name each
    run exactly one argon2 verification (the unknown one against a dummy hash)."""
    from portal.services import passwords

    make_account()
    calls = []

    class CountingHasher:
        """The real argon2 hasher, counting verifications."""

        def __init__(self, real):
            self.real = real

        def verify(self, stored, given):
            calls.append(stored)
            return self.real.verify(stored, given)

        def __getattr__(self, name):
            return getattr(self.real, name)

    monkeypatch.setattr(passwords, "hasher", CountingHasher(passwords.hasher))
    auth.patient_sign_in("robin", "wrong password, but long")
    auth.patient_sign_in("nobody-at-all", "wrong password, but long")
    assert len(calls) == 2
    assert all(stored.startswith("$argon2id$") for stored in calls)
