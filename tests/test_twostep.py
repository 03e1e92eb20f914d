"""Two-step sign-in: app codes (TOTP), recovery codes, the pending step, setup and resets."""

import re
from datetime import timedelta

import pytest
from conftest import (
    CSRF_INPUT,
    PATIENT_PASSWORD,
    SECRET_TEXT,
    STAFF_PASSWORD,
    START,
    code_at,
    post_form,
    send_code,
    sign_in_with_code,
    turn_on_two_step,
)
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, PatientAccount, RecoveryCode, StaffUser
from portal.services import twostep_recovery_codes

CODE_FAILED = get_message("two_step_code_failed")[0]

# The suite switches the staff requirement off (tests/conftest.py); here it is on.
pytestmark = pytest.mark.usefixtures("two_step_required")


@pytest.fixture
def robin_with_codes(app, make_account, clock):
    """A patient with two-step on: (account, secret, recovery codes)."""
    account = make_account()
    secret, codes = turn_on_two_step(app, PatientAccount, account.id, with_codes=True)
    return account, secret, codes


def notices(outbox):
    return [email.body_text for email in outbox.queued
            if email.subject == "A change to your portal account"]


def test_patient_turns_it_on_with_an_app_code(client, auth, app, make_account, outbox, clock, audit_trail):
    account = make_account()
    assert auth.patient_sign_in("robin").headers["Location"] == "/home"
    page = client.get("/profile/two-step").get_data(as_text=True)
    assert "Two-step sign-in is off." in page
    wrong = post_form(client, "/profile/two-step/on", {"on-password": "not my password at all"},
                      page_url="/profile/two-step")
    assert get_message("two_step_password_wrong")[0] in wrong.get_data(as_text=True)
    response = post_form(client, "/profile/two-step/on", {"on-password": PATIENT_PASSWORD},
                         page_url="/profile/two-step")
    assert response.headers["Location"] == "/profile/two-step/setup"
    page = client.get("/profile/two-step/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml;base64,' in page and 'alt="QR code' in page
    secret = SECRET_TEXT.search(page).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret)
    bad = post_form(client, "/profile/two-step/setup", {"code": "000000"})
    assert get_message("two_step_setup_code_failed")[0] in bad.get_data(as_text=True)
    done = post_form(client, "/profile/two-step/setup", {"code": code_at(secret.replace(" ", ""))})
    shown = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(shown) == 10 == len(set(shown))
    with app.app_context():
        saved = db.session.get(PatientAccount, account.id)
        assert saved.totp_enabled_at is not None
        hashes = db.session.scalars(select(RecoveryCode.code_hash)).all()
        assert len(hashes) == 10 and not set(shown) & set(hashes)
    assert "twostep.enabled" in audit_trail.actions()
    [notice] = notices(outbox)
    assert "Two-step sign-in was turned on" in notice and secret.replace(" ", "") not in notice


def test_sign_in_then_code_step(client, auth, app, robin_with_codes, clock, audit_trail):
    account, secret, _codes = robin_with_codes
    response = auth.patient_sign_in("robin")
    assert response.headers["Location"] == "/sign-in/code"
    assert client.get("/home").status_code == 302  # pending is not signed in
    assert client.get("/profile/two-step").headers["Location"].startswith("/sign-in")
    assert "Enter your sign-in code" in client.get("/sign-in/code").get_data(as_text=True)
    done = send_code(client, code_at(secret))
    assert done.headers["Location"] == "/home"
    assert client.get("/home").status_code == 200
    assert audit_trail.actions()[-2:] == ["patient.sign_in", "twostep.verified"]


def test_pending_marker_expires_after_five_minutes(client, auth, robin_with_codes, clock):
    _account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    page_token = client.get("/sign-in/code").get_data(as_text=True)
    token = CSRF_INPUT.search(page_token).group(1)
    clock.tick(5 * 60 + 1)
    response = client.post("/sign-in/code", data={"csrf_token": token, "code": code_at(secret)})
    assert response.headers["Location"] == "/sign-in"
    assert get_message("two_step_expired")[0] in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/home").status_code == 302


def test_code_page_without_a_pending_sign_in(client):
    assert client.get("/sign-in/code").headers["Location"] == "/sign-in"
    assert client.get("/staff/two-step/setup").headers["Location"] == "/sign-in"


def test_wrong_codes_are_counted_and_ten_lock(client, auth, app, robin_with_codes, outbox, clock,
                                              audit_trail):
    _account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    for _ in range(10):
        response = send_code(client, "123456" if code_at(secret) != "123456" else "654321")
        assert CODE_FAILED in response.get_data(as_text=True)
    refused = send_code(client, code_at(secret))
    assert refused.status_code == 200 and CODE_FAILED in refused.get_data(as_text=True)
    recorded = audit_trail.actions()
    assert recorded.count("twostep.code_failed") == 10
    assert "patient.sign_in_locked" in recorded and "patient.sign_in_refused_locked" in recorded
    assert [e.subject for e in outbox.queued].count("Sign-in to your portal account was paused") == 1
    # The second step stays paused for 15 minutes, even after the right password again.
    clock.tick(14 * 60)
    assert auth.patient_sign_in("robin").headers["Location"] == "/sign-in/code"
    assert send_code(client, code_at(secret)).status_code == 200
    clock.tick(61)
    auth.patient_sign_in("robin")
    assert send_code(client, code_at(secret)).headers["Location"] == "/home"


def test_wrong_codes_spread_over_more_than_15_minutes_do_not_lock(client, auth, robin_with_codes, clock):
    _account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    for _ in range(9):
        send_code(client, "123456" if code_at(secret) != "123456" else "654321")
    clock.tick(15 * 60 + 1)
    auth.patient_sign_in("robin")
    send_code(client, "123456" if code_at(secret) != "123456" else "654321")
    assert send_code(client, code_at(secret)).headers["Location"] == "/home"


def test_wrong_codes_show_on_the_sign_in_activity(client, auth, robin_with_codes, clock):
    _account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    send_code(client, "123456" if code_at(secret) != "123456" else "654321")
    clock.tick(60)
    send_code(client, code_at(secret))
    page = client.get("/profile/activity").get_data(as_text=True)
    assert "Wrong two-step code" in page


def test_right_password_does_not_reset_the_code_count(client, auth, app, robin_with_codes, clock):
    _account, secret, _codes = robin_with_codes
    for _ in range(2):
        auth.patient_sign_in("robin")
        for _ in range(5):
            send_code(client, "000000" if code_at(secret) != "000000" else "111111")
    auth.patient_sign_in("robin")
    assert send_code(client, code_at(secret)).status_code == 200  # still refused: locked


def test_replayed_code_is_refused(client, auth, robin_with_codes, clock):
    _account, secret, _codes = robin_with_codes
    code = code_at(secret)
    auth.patient_sign_in("robin")
    assert send_code(client, code).status_code == 302
    auth.sign_out()
    auth.patient_sign_in("robin")
    assert CODE_FAILED in send_code(client, code).get_data(as_text=True)


@pytest.mark.parametrize("offset, accepted", [
    (-30, True), (0, True), (30, True), (-60, False), (60, False),
])
def test_one_time_step_of_drift_is_accepted(client, auth, robin_with_codes, clock, offset, accepted):
    _account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    response = send_code(client, code_at(secret, START + timedelta(seconds=offset)))
    assert (response.status_code == 302) is accepted


def test_recovery_code_works_once(client, auth, app, robin_with_codes, clock, audit_trail):
    _account, _secret, codes = robin_with_codes
    auth.patient_sign_in("robin")
    response = send_code(client, codes[3].upper().replace("-", " "))
    assert response.headers["Location"] == "/home"
    page = client.get("/home").get_data(as_text=True)
    assert "you have 9 left" in page
    assert "twostep.recovery_code_used" in audit_trail.actions()
    auth.sign_out()
    auth.patient_sign_in("robin")
    assert CODE_FAILED in send_code(client, codes[3]).get_data(as_text=True)


def test_new_recovery_codes_replace_the_old(client, auth, app, robin_with_codes, clock, audit_trail):
    _account, secret, codes = robin_with_codes
    auth.patient_sign_in("robin")
    send_code(client, code_at(secret))
    page = post_form(client, "/profile/two-step/recovery-codes",
                     {"codes-password": PATIENT_PASSWORD}, page_url="/profile/two-step")
    new = re.findall(r"<li><code>([a-z2-7-]{19})</code></li>", page.get_data(as_text=True))
    assert len(new) == 10 and "twostep.recovery_codes_regenerated" in audit_trail.actions()
    auth.sign_out()
    auth.patient_sign_in("robin")
    assert CODE_FAILED in send_code(client, codes[0]).get_data(as_text=True)
    assert send_code(client, new[0]).status_code == 302


def test_patient_turning_it_off_needs_the_password(client, auth, app, robin_with_codes, outbox, clock,
                                                   audit_trail):
    account, secret, _codes = robin_with_codes
    auth.patient_sign_in("robin")
    send_code(client, code_at(secret))
    wrong = post_form(client, "/profile/two-step/off", {"off-password": "not the password at all"},
                      page_url="/profile/two-step")
    assert get_message("two_step_password_wrong")[0] in wrong.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PatientAccount, account.id).totp_enabled_at is not None
    done = post_form(client, "/profile/two-step/off", {"off-password": PATIENT_PASSWORD},
                     page_url="/profile/two-step")
    assert done.headers["Location"] == "/profile/two-step"
    with app.app_context():
        saved = db.session.get(PatientAccount, account.id)
        assert saved.totp_secret is None and saved.totp_enabled_at is None
    assert "twostep.disabled" in audit_trail.actions()
    assert any("Two-step sign-in was turned off" in text for text in notices(outbox))
    auth.sign_out()
    assert auth.patient_sign_in("robin").headers["Location"] == "/home"


def test_staff_are_taken_through_setup(client, auth, app, make_staff, clock, audit_trail):
    staff = make_staff("nurse")
    response = auth.sign_in(staff.email)
    assert response.headers["Location"] == "/staff/two-step/setup"
    assert client.get("/staff/patients").headers["Location"].startswith("/staff/sign-in")
    page = client.get("/staff/two-step/setup").get_data(as_text=True)
    secret = SECRET_TEXT.search(page).group(1).replace(" ", "")
    assert client.get("/sign-in/code").headers["Location"] == "/staff/two-step/setup"
    done = post_form(client, "/staff/two-step/setup", {"code": code_at(secret)})
    body = done.get_data(as_text=True)
    assert done.status_code == 200 and body.count("<li><code>") == 10
    assert 'href="/staff/patients"' in body
    assert client.get("/staff/patients").status_code == 200
    assert "twostep.enabled" in audit_trail.actions()


def test_staff_need_no_setup_when_the_setting_is_off(client, auth, app, make_staff):
    app.config["TWO_STEP_REQUIRED_FOR_STAFF"] = False
    staff = make_staff("nurse")
    assert auth.sign_in(staff.email).headers["Location"] == "/staff/patients"


def test_admin_reset_is_audited_and_ends_sessions(app, auth, client, make_staff, clock):
    admin, nurse = make_staff("admin"), make_staff("nurse")
    admin_secret, _ = turn_on_two_step(app, StaffUser, admin.id)
    nurse_secret, _ = turn_on_two_step(app, StaffUser, nurse.id, with_codes=True)
    nurse_client = app.test_client()
    sign_in_with_code(nurse_client, nurse.email, nurse_secret)
    sign_in_with_code(client, admin.email, admin_secret)
    page = client.get("/admin/staff").get_data(as_text=True)
    assert f"/admin/staff/{nurse.id}/reset-two-step" in page
    response = post_form(client, f"/admin/staff/{nurse.id}/reset-two-step", {},
                         page_url="/admin/staff")
    # The one-time password is shown on this answer only (tests/test_twostep_reset.py).
    one_time = re.search(r'<code id="one-time-password">([^<]+)</code>',
                         response.get_data(as_text=True)).group(1)
    assert nurse_client.get("/staff/patients").status_code == 302
    with app.app_context():
        saved = db.session.get(StaffUser, nurse.id)
        assert saved.totp_secret is None and saved.totp_enabled_at is None
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "twostep.reset_by_admin"))
        assert event.actor_id == admin.id and event.object_id == str(nurse.id)
        assert nurse.email in event.detail
    clock.tick(60)
    assert type(auth)(nurse_client).sign_in(nurse.email, one_time).headers["Location"] == \
        "/staff/two-step/setup"


def test_only_admins_reset(client, auth, app, make_staff, clock):
    nurse = make_staff("nurse")
    secret, _ = turn_on_two_step(app, StaffUser, nurse.id)
    sign_in_with_code(client, nurse.email, secret)
    assert client.get("/admin/staff").status_code == 403
    response = client.post(f"/admin/staff/{nurse.id}/reset-two-step", data={})
    assert response.status_code in (400, 403)


def test_staff_make_new_recovery_codes(client, auth, app, make_staff, clock):
    nurse = make_staff("nurse")
    secret, codes = turn_on_two_step(app, StaffUser, nurse.id, with_codes=True)
    sign_in_with_code(client, nurse.email, secret)
    page = client.get("/staff/two-step").get_data(as_text=True)
    assert "You have 10 unused recovery codes." in page and "Turn off" not in page
    response = post_form(client, "/staff/two-step/recovery-codes",
                         {"codes-password": STAFF_PASSWORD},
                         page_url="/staff/two-step")
    assert response.get_data(as_text=True).count("<li><code>") == 10
    with app.app_context():
        assert twostep_recovery_codes.recovery_codes_left(db.session.get(StaffUser, nurse.id)) == 10


def test_admin_turns_off_a_patients_two_step_from_the_chart(app, auth, client, make_staff, robin_with_codes,
                                                             clock, audit_trail):
    account, patient_secret, _ = robin_with_codes
    patient_client = app.test_client()
    patient_auth = type(auth)(patient_client)
    patient_auth.patient_sign_in(account.username)
    assert send_code(patient_client, code_at(patient_secret)).headers["Location"] == "/home"
    admin = make_staff("admin")
    sign_in_with_code(client, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])
    chart = f"/staff/patients/{account.patient_id}"
    assert "Turn off two-step sign-in" in client.get(chart).get_data(as_text=True)
    response = post_form(client, f"{chart}/reset-two-step", {}, page_url=chart)
    assert response.headers["Location"] == chart
    assert patient_client.get("/home").status_code == 302  # their sessions ended
    assert "Turn off two-step sign-in" not in client.get(chart).get_data(as_text=True)
    clock.tick(60)
    # The password is void too; the emailed reset link sets a new one (test_twostep_reset.py).
    assert patient_auth.patient_sign_in(account.username).status_code == 200
    assert "twostep.reset_by_admin" in audit_trail.actions()


def test_only_admins_turn_off_a_patients_two_step(app, auth, client, make_staff, robin_with_codes, clock):
    account, _, _ = robin_with_codes
    nurse = make_staff("nurse")
    sign_in_with_code(client, nurse.email, turn_on_two_step(app, StaffUser, nurse.id)[0])
    chart = f"/staff/patients/{account.patient_id}"
    assert "Turn off two-step sign-in" not in client.get(chart).get_data(as_text=True)
    response = post_form(client, f"{chart}/reset-two-step", {}, page_url=chart)
    assert response.status_code == 403


def test_new_recovery_codes_send_a_notice(client, auth, robin_with_codes, outbox, clock):
    _account, secret, old_codes = robin_with_codes
    auth.patient_sign_in("robin")
    send_code(client, code_at(secret))
    before = len(notices(outbox))  # the fixture made the first codes
    done = post_form(client, "/profile/two-step/recovery-codes",
                     {"codes-password": PATIENT_PASSWORD},
                     page_url="/profile/two-step")
    assert done.status_code == 200
    assert len(notices(outbox)) == before + 1
    notice = notices(outbox)[-1]
    assert "New recovery codes were made" in notice
    assert not any(code in notice for code in old_codes)
