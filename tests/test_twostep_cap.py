"""The total cap on wrong two-step codes (issue 19): the 50th wrong code within 24 hours
locks the second step for patients and staff; the owner is emailed once; no code works
while it is locked; the emailed link (once) or the practice's two-step reset unlocks it."""

import re
from datetime import timedelta

import pytest
from conftest import (
    STAFF_PASSWORD,
    START,
    AuthActions,
    code_at,
    post_form,
    send_code,
    sign_in_with_code,
    stored,
    turn_on_two_step,
)

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import PatientAccount, StaffUser

LOCKED = get_message("two_step_locked")[0].split(",")[0]  # up to the first comma: no quote to escape
CODE_FAILED = get_message("two_step_code_failed")[0]
LOCK_SUBJECT = "Two-step sign-in to your portal account is locked"

pytestmark = pytest.mark.usefixtures("two_step_required")


@pytest.fixture
def robin_with_two_step(app, make_account, clock):
    """A patient with two-step on: (account, secret)."""
    account = make_account()
    secret, _codes = turn_on_two_step(app, PatientAccount, account.id)
    return account, secret


def wrong(secret):
    return "123456" if code_at(secret) != "123456" else "654321"


def lock_mail(outbox):
    return [email for email in outbox.queued if email.subject == LOCK_SUBJECT]


def wrong_codes(auth, client, secret, clock, count):
    """`count` wrong codes, nine to a sign-in and 16 minutes apart, so the 15-minute pause
    (ten in 15 minutes) never starts."""
    for start in range(0, count, 9):
        auth.patient_sign_in("robin")
        for _ in range(min(9, count - start)):
            response = send_code(client, wrong(secret))
            assert CODE_FAILED in response.get_data(as_text=True)
        clock.tick(16 * 60)


def test_the_50th_wrong_code_within_24_hours_locks_and_the_owner_is_emailed_once(
        app, auth, client, robin_with_two_step, outbox, clock, audit_trail):
    account, secret = robin_with_two_step
    wrong_codes(auth, client, secret, clock, 49)
    # 49 wrong codes: the right one still works, and does not clear the count.
    auth.patient_sign_in("robin")
    assert send_code(client, code_at(secret)).headers["Location"] == "/home"
    auth.sign_out()
    assert lock_mail(outbox) == []
    assert stored(app, PatientAccount, account.id).twostep_wrong_codes == 49

    clock.tick(60)
    auth.patient_sign_in("robin")
    response = send_code(client, wrong(secret))  # the 50th
    assert response.status_code == 403 and LOCKED in response.get_data(as_text=True)
    assert stored(app, PatientAccount, account.id).twostep_locked_at is not None
    assert len(lock_mail(outbox)) == 1
    assert "twostep.locked" in audit_trail.actions()

    clock.tick(60)  # a new code step: the right code is refused, and so is a recovery code
    refused = send_code(client, code_at(secret))
    assert refused.status_code == 403 and LOCKED in refused.get_data(as_text=True)
    assert send_code(client, "abcd-efgh-ijkl-mnop").status_code == 403
    clock.tick(16 * 60)  # long after any pause, and after the right password again
    auth.patient_sign_in("robin")
    assert send_code(client, code_at(secret)).status_code == 403
    assert client.get("/home").status_code == 302
    assert len(lock_mail(outbox)) == 1  # emailed once
    assert lock_mail(outbox)[0].body_text.count("/two-step/unlock?t=") == 1


def test_wrong_codes_more_than_24_hours_apart_do_not_lock(app, auth, client, robin_with_two_step, outbox,
                                                          clock):
    account, secret = robin_with_two_step
    with app.app_context():  # 49 wrong codes, the first of them 24 hours and 1 second ago
        saved = db.session.get(PatientAccount, account.id)
        saved.twostep_wrong_codes = 49
        saved.twostep_wrong_since = START - timedelta(hours=24, seconds=1)
        db.session.commit()
    auth.patient_sign_in("robin")
    assert send_code(client, wrong(secret)).status_code == 200
    assert stored(app, PatientAccount, account.id).twostep_locked_at is None
    assert stored(app, PatientAccount, account.id).twostep_wrong_codes == 1
    assert lock_mail(outbox) == []
    # Within 24 hours of the first, the 50th locks.
    with app.app_context():
        saved = db.session.get(PatientAccount, account.id)
        saved.twostep_wrong_codes = 48
        saved.twostep_wrong_since = START - timedelta(hours=23, minutes=59)
        db.session.commit()
    assert send_code(client, wrong(secret)).status_code == 200  # the 49th
    assert send_code(client, wrong(secret)).status_code == 403  # the 50th
    assert len(lock_mail(outbox)) == 1


def _lock(app, model, account_id, auth_sign_in, client, secret):
    """Reach the cap: 49 wrong codes on record within 24 hours, then the 50th typed."""
    with app.app_context():
        saved = db.session.get(model, account_id)
        saved.twostep_wrong_codes = 49
        saved.twostep_wrong_since = START - timedelta(hours=1)
        db.session.commit()
    auth_sign_in()
    assert send_code(client, wrong(secret)).status_code == 403


def test_the_emailed_link_unlocks_once(app, auth, client, robin_with_two_step, outbox, clock, audit_trail):
    account, secret = robin_with_two_step
    other_browser = app.test_client()
    AuthActions(other_browser).patient_sign_in("robin")
    _lock(app, PatientAccount, account.id, lambda: auth.patient_sign_in("robin"), client, secret)
    link = re.search(r"https?://\S+/two-step/unlock\?t=\S+", lock_mail(outbox)[0].body_text)[0]
    path = link[link.index("/two-step/unlock"):]
    opened = client.get(path)
    assert opened.headers["Location"] == "/two-step/unlock"  # the token leaves the URL
    page = client.get("/two-step/unlock")
    assert page.status_code == 200 and "Unlock two-step sign-in" in page.get_data(as_text=True)
    assert stored(app, PatientAccount, account.id).twostep_locked_at is not None  # a GET
    done = post_form(client, "/two-step/unlock", {})
    assert done.headers["Location"] == "/sign-in"
    saved = stored(app, PatientAccount, account.id)
    assert saved.twostep_locked_at is None and saved.twostep_wrong_codes == 0
    assert "twostep.unlocked" in audit_trail.actions()
    clock.tick(60)
    auth.patient_sign_in("robin")
    assert send_code(client, code_at(secret)).headers["Location"] == "/home"
    # The link worked once.
    again = app.test_client()
    again.get(path)
    assert again.get("/two-step/unlock").status_code == 400


def test_an_unlock_link_expires_after_24_hours(app, auth, client, robin_with_two_step, outbox, clock):
    account, secret = robin_with_two_step
    _lock(app, PatientAccount, account.id, lambda: auth.patient_sign_in("robin"), client, secret)
    link = re.search(r"/two-step/unlock\?t=\S+", lock_mail(outbox)[0].body_text)[0]
    clock.tick(24 * 3600 + 1)
    browser = app.test_client()
    browser.get(link)
    page = browser.get("/two-step/unlock")
    assert page.status_code == 400 and "This link has expired." in page.get_data(as_text=True)
    assert stored(app, PatientAccount, account.id).twostep_locked_at is not None


def test_staff_lock_too_and_the_practice_s_reset_unlocks(app, auth, client, make_staff, outbox,
                                                         clock, audit_trail):
    nurse = make_staff("nurse")
    secret, _ = turn_on_two_step(app, StaffUser, nurse.id)
    _lock(app, StaffUser, nurse.id, lambda: auth.sign_in(nurse.email), client, secret)
    assert len(lock_mail(outbox)) == 1
    clock.tick(60)
    assert send_code(client, code_at(secret)).status_code == 403
    admin = make_staff("admin")
    admin_browser = app.test_client()
    sign_in_with_code(admin_browser, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])
    assert "locked on" in admin_browser.get("/admin/staff").get_data(as_text=True)
    response = post_form(admin_browser, f"/admin/staff/{nurse.id}/reset-two-step", {},
                         page_url="/admin/staff")
    one_time = re.search(r'<code id="one-time-password">([^<]+)</code>',
                         response.get_data(as_text=True)).group(1)
    saved = stored(app, StaffUser, nurse.id)
    assert saved.twostep_locked_at is None and saved.twostep_wrong_codes == 0
    clock.tick(60)
    assert AuthActions(client).sign_in(nurse.email, one_time).headers["Location"] == \
        "/staff/two-step/setup"
    assert one_time != STAFF_PASSWORD


def test_the_practice_s_reset_unlocks_a_patient(app, auth, client, make_staff, robin_with_two_step, outbox,
                                                clock):
    account, secret = robin_with_two_step
    _lock(app, PatientAccount, account.id, lambda: auth.patient_sign_in("robin"), client, secret)
    admin = make_staff("admin")
    admin_browser = app.test_client()
    sign_in_with_code(admin_browser, admin.email, turn_on_two_step(app, StaffUser, admin.id)[0])
    chart = f"/staff/patients/{account.patient_id}"
    assert "after too many wrong codes" in admin_browser.get(chart).get_data(as_text=True)
    post_form(admin_browser, f"{chart}/reset-two-step", {}, page_url=chart)
    assert stored(app, PatientAccount, account.id).twostep_locked_at is None
