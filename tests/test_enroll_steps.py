"""Enrollment in three steps (issue 21): identity, account, consent. The account step is kept
once valid (a pending account that nothing signs in, resets or opens a session for), so a
wrong name at the consent never asks for the password again; the consent signs the patient
in, with a fresh session as sign-in makes it, and lands on the home."""

import re

import pytest
from account_steps import (
    ACCOUNT_NUMBER,
    BORN,
    PASSWORD,
    chart_url,
    invite,
    save_account,
    sign_consent,
    verify,
)
from conftest import AuthActions, Outbox, open_link, post_form
from helpers import count
from records_data import text
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, AuthSession, Invitation, Patient, PatientAccount, Signature
from portal.services.passwords import verify_password

CSRF_VALUE = re.compile(r'value="[^"]{40,}"')
SIGN_IN_FAILED = get_message("patient_sign_in_failed")[0]


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN)


@pytest.fixture
def front_desk_client(staff_client):
    return staff_client("front_desk")


def the_account(app):
    with app.app_context():
        account = db.session.scalar(select(PatientAccount))
        if account is not None:
            db.session.expunge(account)
        return account


def the_invitation(app):
    with app.app_context():
        return db.session.scalars(select(Invitation).order_by(Invitation.id.desc())).first()


def sign_in_page(username, password, app):
    """The page a sign-in with these details ends on, from a new browser."""
    response = AuthActions(app.test_client()).patient_sign_in(username, password)
    return response.status_code, CSRF_VALUE.sub('value="X"', text(response))


def test_three_steps_on_the_email_path(app, client, front_desk_client, patient, audit_trail):
    link = invite(front_desk_client, patient)
    assert "Step 1 of 3" in text(open_link(client, link))
    assert verify(client, link).headers["Location"] == "/enroll/account"
    step_two = text(client.get("/enroll/account"))
    assert "Step 2 of 3" in step_two and 'type="password"' in step_two
    assert 'name="legal_name"' not in step_two and "What you agree to" not in step_two

    assert save_account(client).headers["Location"] == "/enroll/consent"
    step_three = text(client.get("/enroll/consent"))
    assert "Step 3 of 3" in step_three and 'name="legal_name"' in step_three
    assert "Patient portal consent" in step_three and 'type="password"' not in step_three

    # Kept: the account exists, its password hashed, but it signs nothing in yet.
    account = the_account(app)
    assert account.status == "pending" and account.password_hash != PASSWORD
    assert verify_password(account.password_hash, PASSWORD)[0]
    assert the_invitation(app).used_at is None
    assert "patient.account_created" in audit_trail.actions()

    response = sign_consent(client)
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    with client.session_transaction() as cookie:  # a fresh session, as sign-in makes it
        assert "sid" in cookie and not [key for key in cookie if key.startswith("enroll")]
    home = client.get("/home")
    assert home.status_code == 200 and get_message("enroll_finished")[0] in text(home)
    assert the_account(app).status == "active" and the_invitation(app).used_at is not None
    with app.app_context():
        [live] = db.session.scalars(select(AuthSession).where(AuthSession.account_kind == "patient")).all()
        assert (live.account_kind, live.account_id) == ("patient", account.id)
        signed_in = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.sign_in"))
        assert (signed_in.actor_kind, signed_in.actor_id) == ("patient", account.id)
        assert db.session.scalar(select(Signature)).signer_account_id == account.id


def test_a_wrong_name_after_a_good_password_asks_only_for_the_name(app, client, front_desk_client,
                                                                    make_patient):
    chart = make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN,
                         first_name="María José", last_name="García López")
    verify(client, invite(front_desk_client, chart))
    assert save_account(client).headers["Location"] == "/enroll/consent"
    kept = the_account(app).password_hash

    for wrong in ("Maria Lopez", "Jose Garcia"):
        response = sign_consent(client, legal_name=wrong)
        page = text(response)
        assert response.status_code == 200 and "does not match our records" in page
        assert 'type="password"' not in page and "New password" not in page
        assert PASSWORD not in page and PASSWORD not in response.headers.get("Set-Cookie", "")
        assert 'value="' + wrong + '"' in page, "the name is kept to correct"
    assert the_account(app).password_hash == kept and the_account(app).status == "pending"

    response = sign_consent(client, legal_name="maria  garcia")
    assert response.headers["Location"] == "/home" and client.get("/home").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Signature)).signer_name == "maria garcia"


def test_the_pending_account_cannot_sign_in_or_be_recovered(app, client, front_desk_client, patient,
                                                            outbox, staff_client):
    verify(client, invite(front_desk_client, patient))
    save_account(client)
    sent = len(outbox.queued)
    pending = sign_in_page("robin", PASSWORD, app)
    assert pending == sign_in_page("robin", "not the password at all 99", app)
    assert pending[0] == 200 and SIGN_IN_FAILED in pending[1]
    assert SIGN_IN_FAILED in sign_in_page(patient.email, PASSWORD, app)[1]

    stranger = app.test_client()
    post_form(stranger, "/forgot-password", {"name": "robin"})
    post_form(stranger, "/forgot-username", {
        "email": patient.email, "date_of_birth-month": "4", "date_of_birth-day": "9",
        "date_of_birth-year": "1980"})
    Outbox(app).process_requests()
    assert len(outbox.queued) == sent, "no reset link or username for a pending account"
    assert count(app, AuthSession) == 1  # the front desk's own session only
    assert the_account(app).status == "pending"

    # Staff see the invitation still under way, and may not suspend what is not open yet.
    chart = text(front_desk_client.get(chart_url(patient)))
    assert "confirmed their identity" in chart and "Active:" not in chart
    suspend = post_form(staff_client("nurse"), chart_url(patient) + "/portal/suspend",
                        {"reason": "testing"}, page_url=chart_url(patient))
    assert suspend.status_code == 404 and the_account(app).status == "pending"

    sign_consent(client)
    status, page = sign_in_page("robin", PASSWORD, app)
    assert status == 302 and SIGN_IN_FAILED not in page


def test_an_abandoned_enrollment_resumes_from_the_same_link(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    verify(client, link)
    save_account(client)  # ... and the browser is closed
    other = app.test_client()
    assert verify(other, link).headers["Location"] == "/enroll/consent"
    assert other.get("/enroll").headers["Location"] == "/enroll/consent"
    assert sign_consent(other).headers["Location"] == "/home"
    assert count(app, PatientAccount) == 1
    assert sign_in_page("robin", PASSWORD, app)[0] == 302


def test_going_back_shows_the_kept_details_and_may_change_them(app, client, front_desk_client, patient,
                                                               audit_trail):
    verify(client, invite(front_desk_client, patient))
    save_account(client)
    back = text(client.get("/enroll/account"))
    assert "Your sign-in details are saved" in back and 'value="robin"' in back
    assert PASSWORD not in back and 'href="/enroll/consent"' in back
    assert client.get("/enroll/consent").status_code == 200  # reloading is harmless

    changed = "quiet meadow copper kettle 8"
    response = save_account(client, username="robin.q", password=changed, confirm=changed)
    assert response.headers["Location"] == "/enroll/consent"
    assert count(app, PatientAccount) == 1 and the_account(app).username == "robin.q"
    assert "patient.account_details_changed" in audit_trail.actions()
    sign_consent(client)
    assert sign_in_page("robin.q", changed, app)[0] == 302
    assert sign_in_page("robin.q", PASSWORD, app)[0] == 200


def test_a_new_invitation_continues_with_the_kept_account(app, client, front_desk_client, patient):
    first = invite(front_desk_client, patient)
    verify(client, first)
    save_account(client)
    with app.app_context():  # the chart's address changed meanwhile
        db.session.get(Patient, patient.id).email = "Robin.New@example.com"
        db.session.commit()
    second = invite(front_desk_client, patient)  # not refused: the chart has no open account
    assert client.get("/enroll/consent").status_code == 410, "the first link was superseded"
    newer = app.test_client()
    assert verify(newer, second).headers["Location"] == "/enroll/consent"
    assert sign_consent(newer).headers["Location"] == "/home"
    assert count(app, PatientAccount) == 1 and the_account(app).status == "active"
    assert the_account(app).email == "robin.new@example.com", "the address the new link proved"
