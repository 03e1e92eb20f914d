"""An admin's two-step reset leaves no account open to whoever knows the old password: a
patient's password is voided and the staff-assisted reset link is emailed; a staff member gets
a one-time password, shown once, that must be replaced at the next sign-in."""

import re

import pytest
from conftest import (
    PATIENT_PASSWORD,
    RESET_LINK,
    SECRET_TEXT,
    AuthActions,
    code_at,
    open_link,
    post_form,
    send_code,
    sign_in_with_code,
    turn_on_two_step,
)
from markupsafe import escape
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, PatientAccount, StaffUser
from portal.services.passwords import password_problem

ONE_TIME = re.compile(r'<code id="one-time-password">([^<]+)</code>')
NEW_PASSWORD = "copper meadow signal banjo"
NOTICE_SUBJECT = "Two-step sign-in for your portal account was reset"

pytestmark = pytest.mark.usefixtures("two_step_required")


def mails_to(outbox, address):
    return [mail for mail in outbox.queued if mail.recipient == address]


def test_patient_reset_voids_the_password_and_sends_the_assisted_link(app, client, make_staff,
                                                                      make_account, outbox,
                                                                      clock):
    account = make_account()
    patient_secret = turn_on_two_step(app, PatientAccount, account.id)[0]
    patient = app.test_client()
    AuthActions(patient).patient_sign_in("robin")
    assert send_code(patient, code_at(patient_secret)).status_code == 302
    admin = make_staff("admin")
    sign_in_with_code(client, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])
    chart = f"/staff/patients/{account.patient_id}"

    response = post_form(client, f"{chart}/reset-two-step", {}, page_url=chart)

    assert response.headers["Location"] == chart
    assert escape(get_message("two_step_reset_patient")[0]) in client.get(chart).get_data(
        as_text=True)
    assert patient.get("/home").status_code == 302  # their sessions ended
    clock.tick(60)
    refused = AuthActions(app.test_client()).patient_sign_in("robin", PATIENT_PASSWORD)
    assert refused.status_code == 200
    assert get_message("patient_sign_in_failed")[0] in refused.get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(PatientAccount, account.id)
        assert saved.password_hash.startswith("!") and saved.totp_secret is None
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "twostep.reset_by_admin"))
        assert event.actor_id == admin.id and "password voided, reset link sent" in event.detail
    mails = mails_to(outbox, account.email)
    assert [mail.template for mail in mails] == ["password_reset", "two_step_reset_by_practice"]
    assert "separate email with a link" in mails[1].body_text
    # The assisted link works (no security question) and sets a password that signs in.
    fresh = app.test_client()
    link = RESET_LINK.search(mails[0].body_text).group(1)
    assert 'name="question"' in open_link(fresh, link).get_data(as_text=True)
    done = post_form(fresh, "/reset", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
                                       "question": "first_concert", "answer": "Kind of Blue"})
    assert done.headers["Location"] == "/sign-in"
    assert AuthActions(fresh).patient_sign_in("robin", NEW_PASSWORD).headers["Location"] == "/home"


def test_staff_reset_gives_a_one_time_password_that_must_be_replaced(app, client, make_staff,
                                                                      outbox, clock):
    admin, nurse = make_staff("admin"), make_staff("nurse", name="Jo Rivera")
    nurse_secret = turn_on_two_step(app, StaffUser, nurse.id)[0]
    nurse_client = app.test_client()
    sign_in_with_code(nurse_client, nurse.email, nurse_secret)
    sign_in_with_code(client, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])

    response = post_form(client, f"/admin/staff/{nurse.id}/reset-two-step", {},
                         page_url="/admin/staff")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = ONE_TIME.search(response.get_data(as_text=True)).group(1)
    assert len(password) >= 15 and password_problem(password) is None
    # Shown once: not in the cookie, not on the next page, not stored, not audited, not mailed.
    assert password not in response.headers.get("Set-Cookie", "")
    with client.session_transaction() as cookie_session:
        assert password not in str(dict(cookie_session))
    assert password not in client.get("/admin/staff").get_data(as_text=True)
    with app.app_context():
        saved = db.session.get(StaffUser, nurse.id)
        assert saved.must_change_password and password not in saved.password_hash
        assert saved.totp_secret is None
        details = db.session.scalars(select(AuditEvent.detail)).all()
        assert not any(password in detail for detail in details)
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "twostep.reset_by_admin"))
        assert event.actor_id == admin.id and "one-time password given" in event.detail
    [notice] = mails_to(outbox, nurse.email)
    assert notice.subject == NOTICE_SUBJECT and "one-time password in person" in notice.body_text
    assert password not in notice.body_text
    assert nurse_client.get("/staff/patients").status_code == 302  # their session ended

    clock.tick(60)
    nurse_client = app.test_client()
    nurse_auth = AuthActions(nurse_client)
    old = nurse_auth.sign_in(nurse.email)
    assert old.status_code == 200
    assert get_message("staff_sign_in_failed")[0] in old.get_data(as_text=True)
    # The one-time password, then two-step setup (required for staff), then a new password.
    assert nurse_auth.sign_in(nurse.email, password).headers["Location"] == "/staff/two-step/setup"
    page = nurse_client.get("/staff/two-step/setup").get_data(as_text=True)
    new_secret = SECRET_TEXT.search(page).group(1).replace(" ", "")
    assert post_form(nurse_client, "/staff/two-step/setup", {"code": code_at(new_secret)}).status_code == 200
    for url in ("/staff/patients", "/staff/two-step", "/staff/account"):
        assert nurse_client.get(url).headers["Location"] == "/staff/account/password"
    page = nurse_client.get("/staff/account/password").get_data(as_text=True)
    assert "Choose your own password" in page
    same = post_form(nurse_client, "/staff/account/password",
                     {"current_password": password, "password": password, "confirm": password})
    assert get_message("staff_same_password")[0] in same.get_data(as_text=True)
    changed = post_form(nurse_client, "/staff/account/password",
                        {"current_password": password, "password": NEW_PASSWORD,
                         "confirm": NEW_PASSWORD})
    assert changed.headers["Location"] == "/staff/account"
    assert nurse_client.get("/staff/patients").status_code == 200
    with app.app_context():
        assert not db.session.get(StaffUser, nurse.id).must_change_password
    assert mails_to(outbox, nurse.email)[-1].template == "password_changed_by_you"

    nurse_auth.sign_out()
    clock.tick(60)
    assert nurse_auth.sign_in(nurse.email, password).status_code == 200  # worked once only
    assert nurse_auth.sign_in(nurse.email, NEW_PASSWORD).headers["Location"] == "/sign-in/code"


def test_an_admin_cannot_reset_their_own_two_step(app, client, make_staff, clock):
    admin = make_staff("admin")
    sign_in_with_code(client, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])
    response = post_form(client, f"/admin/staff/{admin.id}/reset-two-step", {},
                         page_url="/admin/staff", follow_redirects=True)
    assert get_message("two_step_reset_self")[0] in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(StaffUser, admin.id).totp_secret is not None
