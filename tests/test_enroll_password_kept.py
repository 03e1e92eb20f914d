"""Enrollment's account step refused for another field (a taken username, a missing
question or answer, a letter's bad address) keeps a password that passed every rule: its
argon2 hash on the invitation, for this browser only, never sent back. The boxes come back
empty with a line saying so; left empty, the kept password is used; a new pair replaces it."""

import re
from datetime import timedelta

import pytest
from account_steps import (
    ACCOUNT_NUMBER,
    BORN,
    PASSWORD,
    enter_activation_code,
    invite,
    print_letter,
    save_account,
    sign_consent,
    verify,
)
from conftest import AuthActions, post_form
from freezegun import freeze_time
from helpers import count
from records_data import text
from sqlalchemy import select

from portal.extensions import db
from portal.models import Invitation, PatientAccount
from portal.services.passwords import verify_password

KEPT_LINE = "Your password is kept. Leave these boxes empty to keep it, or type a new one."
EMPTY_BOXES = {"password": "", "confirm": ""}
PASSWORD_INPUT = re.compile(r"<input[^>]*type=\"password\"[^>]*>")
OTHER_PASSWORD = "quiet meadow copper kettle 8"


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN)


@pytest.fixture
def front_desk_client(staff_client):
    return staff_client("front_desk")


@pytest.fixture
def robin_taken(make_account):
    """Another patient already has the username "robin" the tests type first."""
    return make_account(username="robin", account_number="OTHER-1", email="other@example.com")


def invitations(app):
    with app.app_context():
        rows = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        db.session.expunge_all()
        return rows


def pending_account(app):
    with app.app_context():
        return db.session.scalar(select(PatientAccount).where(PatientAccount.status == "pending"))


def signs_in(app, username, password):
    """True when a new browser signs in with these details."""
    response = AuthActions(app.test_client()).patient_sign_in(username, password)
    return response.status_code == 302


def assert_nothing_sent_back(client, response, kept_hash):
    """Neither the password nor its hash reaches the browser: page, cookie or session."""
    page = text(response)
    assert PASSWORD not in page and kept_hash not in page
    assert all(not re.search(r'value="[^"]', box) for box in PASSWORD_INPUT.findall(page))
    assert len(PASSWORD_INPUT.findall(page)) == 2, "both boxes are there, empty"
    cookie = response.headers.get("Set-Cookie", "")
    assert PASSWORD not in cookie and kept_hash not in cookie
    with client.session_transaction() as session:
        held = repr(dict(session))
    assert PASSWORD not in held and kept_hash not in held


def test_a_taken_username_keeps_the_password_and_only_the_username_is_fixed(
        app, client, front_desk_client, patient, robin_taken):
    verify(client, invite(front_desk_client, patient))
    response = save_account(client)
    page = text(response)
    assert response.status_code == 200 and "That username is taken." in page
    assert KEPT_LINE in page and "Enter a new password" not in page
    kept_hash = invitations(app)[-1].kept_password_hash
    assert kept_hash.startswith("$argon2") and verify_password(kept_hash, PASSWORD)[0]
    assert_nothing_sent_back(client, response, kept_hash)
    assert KEPT_LINE in text(client.get("/enroll/account")), "a reload still says so"

    fixed = save_account(client, username="robin.q", **EMPTY_BOXES)
    assert fixed.headers["Location"] == "/enroll/consent"
    account = pending_account(app)
    assert account.username == "robin.q" and account.password_hash == kept_hash
    assert invitations(app)[-1].kept_password_hash == "", "moved to the account, not left behind"
    assert invitations(app)[-1].kept_password_holder == ""

    assert sign_consent(client).headers["Location"] == "/home"
    assert signs_in(app, "robin.q", PASSWORD)


def test_a_missing_answer_or_question_keeps_it_and_a_new_pair_replaces_it(
        app, client, front_desk_client, patient):
    verify(client, invite(front_desk_client, patient))
    page = text(save_account(client, answer=""))
    assert "Enter the answer to your security question." in page and KEPT_LINE in page
    first = invitations(app)[-1].kept_password_hash

    page = text(save_account(client, password=OTHER_PASSWORD, confirm=OTHER_PASSWORD,
                             question=""))
    assert "Choose a security question." in page and KEPT_LINE in page
    second = invitations(app)[-1].kept_password_hash
    assert second != first and verify_password(second, OTHER_PASSWORD)[0]

    assert save_account(client, **EMPTY_BOXES).headers["Location"] == "/enroll/consent"
    sign_consent(client)
    assert signs_in(app, "robin", OTHER_PASSWORD) and not signs_in(app, "robin", PASSWORD)


@pytest.mark.parametrize("boxes, message", [
    ({"password": "short one", "confirm": "short one"}, "Use at least 15 characters"),
    ({"password": OTHER_PASSWORD, "confirm": ""}, "Enter the new password again."),
    ({"password": "", "confirm": OTHER_PASSWORD}, "The two passwords are not the same."),
    ({"password": OTHER_PASSWORD, "confirm": OTHER_PASSWORD + "x"},
     "The two passwords are not the same."),
])
def test_a_new_pair_is_held_to_the_same_rules_and_the_kept_one_stays(
        app, client, front_desk_client, patient, robin_taken, boxes, message):
    verify(client, invite(front_desk_client, patient))
    save_account(client)
    kept_hash = invitations(app)[-1].kept_password_hash
    response = save_account(client, username="robin.q", **boxes)
    page = text(response)
    assert response.status_code == 200 and message in page and KEPT_LINE in page
    assert count(app, PatientAccount) == 1, "only the other patient's"
    assert invitations(app)[-1].kept_password_hash == kept_hash

    assert save_account(client, username="robin.q", **EMPTY_BOXES).status_code == 302
    assert pending_account(app).password_hash == kept_hash


def test_nothing_is_kept_without_a_good_password_or_after_a_step_with_no_error(
        app, client, front_desk_client, patient, robin_taken):
    verify(client, invite(front_desk_client, patient))
    page = text(save_account(client, confirm=PASSWORD + "x"))
    assert KEPT_LINE not in page and "For your safety it was not kept" in page
    page = text(save_account(client, password="short one", confirm="short one"))
    assert KEPT_LINE not in page and invitations(app)[-1].kept_password_hash == ""
    page = text(save_account(client, username="robin.q", **EMPTY_BOXES))
    assert "Enter a new password." in page and count(app, PatientAccount) == 1

    assert save_account(client, username="robin.q").headers["Location"] == "/enroll/consent"
    assert invitations(app)[-1].kept_password_hash == ""
    assert KEPT_LINE not in text(client.get("/enroll/account"))


def test_another_browser_on_the_same_link_cannot_use_the_kept_password(
        app, client, front_desk_client, patient, robin_taken):
    link = invite(front_desk_client, patient)
    verify(client, link)
    save_account(client)

    other = app.test_client()
    assert verify(other, link).headers["Location"] == "/enroll/account"
    assert KEPT_LINE not in text(other.get("/enroll/account"))
    page = text(save_account(other, username="robin.q", **EMPTY_BOXES))
    assert "Enter a new password." in page and KEPT_LINE not in page
    assert count(app, PatientAccount) == 1

    # A copy of this browser's session key alone names nothing on another enrollment.
    with client.session_transaction() as session:
        key = session["enroll_kept_password"]
    with other.session_transaction() as session:
        session["enroll_kept_password"] = key + "x"
    page = text(save_account(other, username="robin.q", **EMPTY_BOXES))
    assert "Enter a new password." in page and count(app, PatientAccount) == 1

    assert save_account(client, username="robin.q", **EMPTY_BOXES).status_code == 302


def test_a_new_invitation_or_expiry_ends_the_kept_password(app, client, front_desk_client,
                                                          patient, robin_taken):
    verify(client, invite(front_desk_client, patient))
    save_account(client)
    expires_at = invitations(app)[-1].expires_at
    with freeze_time(expires_at + timedelta(seconds=1)):
        assert client.get("/enroll/account").status_code == 410

    newer = invite(front_desk_client, patient)
    assert all(row.kept_password_hash == "" for row in invitations(app)), "removed, not only void"
    verify(client, newer)
    page = text(save_account(client, username="robin.q", **EMPTY_BOXES))
    assert KEPT_LINE not in page and "Enter a new password." in page


def test_the_letter_path_keeps_it_too(app, client, front_desk_client, make_patient, robin_taken):
    chart = make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN, email="")
    _, code = print_letter(front_desk_client, chart)
    assert enter_activation_code(client, code).headers["Location"] == "/enroll"
    verify_letter = post_form(client, "/enroll", {
        "date_of_birth-month": "04", "date_of_birth-day": "09", "date_of_birth-year": "1980",
        "account_number": ACCOUNT_NUMBER})
    assert verify_letter.headers["Location"] == "/enroll/account"

    response = save_account(client, email="not an address")
    page = text(response)
    assert "Enter an email address like name@example.com." in page and KEPT_LINE in page
    assert "That username is taken." in page
    kept_hash = invitations(app)[-1].kept_password_hash
    assert_nothing_sent_back(client, response, kept_hash)

    fixed = save_account(client, username="robin.q", email="robin@example.com", **EMPTY_BOXES)
    assert fixed.headers["Location"] == "/enroll/consent"
    assert pending_account(app).password_hash == kept_hash
    assert sign_consent(client).headers["Location"] == "/home"
    assert signs_in(app, "robin.q", PASSWORD)
