"""The patient's own settings (profile) and staff pausing portal access (suspension)."""

import re
from datetime import timedelta

import pytest
from conftest import PATIENT_PASSWORD, AuthActions, count_queries, post_form, stored
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, AuthSession, PatientAccount, SignInFailure
from portal.models.types import utcnow
from portal.services import accounts, profile
from portal.services.passwords import verify_password
from portal.services.tokens import make_token

NEW_PASSWORD = "a fresh kettle sings at dawn"
WRONG_PASSWORD = get_message("profile_wrong_password")[0]
LINK = re.compile(r"http://portal\.test(/profile/email/confirm\?t=\S+)")


@pytest.fixture
def signed_in_account(make_account, auth):
    """Robin, signed in on `client`."""
    account = make_account()
    assert auth.patient_sign_in("robin").status_code == 302
    return account


# -- overview and ownership --

def test_overview_shows_account_and_links(client, signed_in_account):
    page = client.get("/profile").get_data(as_text=True)
    for text in ("Robin Quill", "robin", "robin.quill@example.com", "/profile/password",
                 "/profile/security-question", "/profile/email", "/profile/notices",
                 "/profile/activity"):
        assert text in page


def test_profile_urls_name_no_account_or_patient(app):
    patient_rules = [rule for rule in app.url_map.iter_rules()
                     if rule.endpoint.startswith("profile.") and not rule.rule.startswith("/staff")]
    assert len(patient_rules) >= 8
    for rule in patient_rules:
        assert rule.rule.startswith("/profile") and not rule.arguments, rule.rule


def test_each_patient_sees_and_changes_only_their_own(app, client, make_account, signed_in_account,
                                                      patient_client):
    other = make_account(username="sam", account_number="T-2002", first_name="Sam",
                         email="sam@example.com")
    sam = patient_client("sam")
    assert "sam@example.com" in sam.get("/profile").get_data(as_text=True)
    assert "robin.quill@example.com" not in sam.get("/profile").get_data(as_text=True)
    post_form(sam, "/profile/notices", {"notify_messages": "none", "notify_results": "none",
                                        "notify_appointments": "none", "notify_forms": "none"})
    assert not stored(app, PatientAccount, other.id).notify_messages
    assert stored(app, PatientAccount, signed_in_account.id).notify_messages


@pytest.mark.parametrize("url", ["/profile", "/profile/password", "/profile/activity",
                                 "/profile/notices", "/profile/email/confirm"])
def test_pages_need_a_signed_in_patient(app, client, url, make_staff, staff_client):
    assert client.get(url).headers["Location"].startswith("/sign-in")
    assert staff_client("nurse", direct=True).get(url).status_code == 403


# -- password --

def test_change_password_keeps_this_browser_and_ends_the_others(app, client, signed_in_account, outbox,
                                                                audit_trail, patient_client):
    other = patient_client()
    response = post_form(client, "/profile/password", {
        "current_password": PATIENT_PASSWORD, "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert response.headers["Location"] == "/profile"
    assert get_message("profile_password_changed")[0] in client.get("/profile").get_data(as_text=True)
    assert other.get("/profile").headers["Location"].startswith("/sign-in")
    account = stored(app, PatientAccount, signed_in_account.id)
    assert verify_password(account.password_hash, NEW_PASSWORD)[0]
    assert account.password_changed_at > signed_in_account.password_changed_at
    assert [(m.recipient, m.subject) for m in outbox.queued] == [
        ("robin.quill@example.com", "Your portal password was changed")]
    assert "patient.password_changed" in audit_trail.actions()
    assert AuthActions(app.test_client()).patient_sign_in("robin").status_code == 200
    assert AuthActions(app.test_client()).patient_sign_in("robin", NEW_PASSWORD).status_code == 302


def test_wrong_current_password_is_refused_and_audited(app, client, signed_in_account, outbox, audit_trail):
    response = post_form(client, "/profile/password", {
        "current_password": "not my password at all", "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and WRONG_PASSWORD in page and "There is a problem" in page
    assert verify_password(stored(app, PatientAccount, signed_in_account.id).password_hash,
                           PATIENT_PASSWORD)[0]
    assert audit_trail.actions()[-1] == "patient.reauth_failed" and not outbox.queued
    with app.app_context():  # it counts as a sign-in failure of the account
        keys = db.session.scalars(select(SignInFailure.account_key)).all()
    assert f"patient:{signed_in_account.id}" in keys


@pytest.mark.parametrize("values, message", [
    ({"current_password": ""}, "Enter your current password."),
    ({"password": "", "confirm": ""}, "Enter a new password."),
    ({"password": "too short one", "confirm": "too short one"}, "at least 15"),
    ({"confirm": "something else entirely"}, "The two passwords are not the same."),
    ({"password": "robinquill19800409", "confirm": "robinquill19800409"},
     "too close to your name"),
    ({"password": "passwordpassword", "confirm": "passwordpassword"}, "common"),
])
def test_password_validation(app, client, signed_in_account, values, message):
    data = {"current_password": PATIENT_PASSWORD, "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD, **values}
    page = post_form(client, "/profile/password", data).get_data(as_text=True)
    assert message in page and 'type="password"' in page
    assert verify_password(stored(app, PatientAccount, signed_in_account.id).password_hash,
                           PATIENT_PASSWORD)[0]


# -- security question --

def test_change_security_question(app, client, signed_in_account, outbox, audit_trail):
    response = post_form(client, "/profile/security-question", {
        "question": "first_concert", "answer": "The Beach Boys", "current_password": PATIENT_PASSWORD})
    assert response.headers["Location"] == "/profile"
    account = stored(app, PatientAccount, signed_in_account.id)
    assert account.security_question == "first_concert"
    assert "Beach" not in account.security_answer_hash
    assert accounts.answer_matches(account, "the beach-boys")
    assert "patient.security_question_changed" in audit_trail.actions()
    [notice] = outbox.queued
    assert notice.subject == "A change to your portal account"
    assert "security question for your portal account was changed" in notice.body_text
    assert "Beach" not in notice.body_text


@pytest.mark.parametrize("values, message", [
    ({"answer": ""}, "Enter the answer to your security question."),
    ({"answer": "!"}, "at least 3 letters"),
    ({"question": "favourite_colour"}, "Not a valid choice"),
    ({"current_password": ""}, "Enter your current password."),
    ({"current_password": "not my password at all"}, WRONG_PASSWORD),
])
def test_security_question_validation(app, client, signed_in_account, values, message):
    data = {"question": "first_concert", "answer": "The Beach Boys",
            "current_password": PATIENT_PASSWORD, **values}
    response = post_form(client, "/profile/security-question", data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert stored(app, PatientAccount, signed_in_account.id).security_question == "childhood_hero"


# -- email --

def request_change(client, new_email="robin.new@example.com"):
    return post_form(client, "/profile/email", {"email": new_email,
                                                "current_password": PATIENT_PASSWORD})


def link_path(outbox):
    return LINK.search(outbox.queued[0].body_text).group(1)


def confirm(client):
    return post_form(client, "/profile/email/confirm", {})


def test_email_change_confirmed_by_link(app, client, signed_in_account, outbox, audit_trail):
    assert request_change(client).headers["Location"] == "/profile"
    assert stored(app, PatientAccount, signed_in_account.id).email == "robin.quill@example.com"
    sent = [(m.recipient, m.subject) for m in outbox.queued]
    assert sent[0][0] == "robin.new@example.com" and sent[1][0] == "robin.quill@example.com"
    response = client.get(link_path(outbox))
    assert response.headers["Location"] == "/profile/email/confirm"  # the token leaves the URL
    page = client.get("/profile/email/confirm").get_data(as_text=True)
    assert "robin.new@example.com" in page and "Use the new email address" in page
    assert confirm(client).headers["Location"] == "/profile"
    account = stored(app, PatientAccount, signed_in_account.id)
    assert account.email == "robin.new@example.com"
    with app.app_context():  # the chart keeps the practice's own record
        assert db.session.get(PatientAccount, signed_in_account.id).patient.email == "robin.quill@example.com"
    last = outbox.queued[-1]
    assert last.recipient == "robin.quill@example.com" and "was changed" in last.subject
    assert {"patient.email_change_requested", "patient.email_changed"} <= set(audit_trail.actions())


def test_reused_email_link_is_refused(app, client, signed_in_account, outbox):
    request_change(client)
    client.get(link_path(outbox))
    confirm(client)
    client.get(link_path(outbox))
    response = client.get("/profile/email/confirm")
    assert response.status_code == 400 and "already used" in response.get_data(as_text=True)


def test_expired_email_link(app, client, auth, signed_in_account, outbox, audit_trail):
    with freeze_time(utcnow()) as frozen:
        request_change(client)
        frozen.tick(timedelta(hours=24, seconds=1))  # the link lasts 24 hours
        auth.patient_sign_in("robin")  # the old session timed out long ago
        client.get(link_path(outbox))
        response = client.get("/profile/email/confirm")
        assert response.status_code == 400 and "expired" in response.get_data(as_text=True)
        assert confirm(client).status_code == 400
    assert stored(app, PatientAccount, signed_in_account.id).email == "robin.quill@example.com"
    assert "patient.email_change_link_refused" in audit_trail.actions()


def test_tampered_and_wrong_purpose_links(app, client, signed_in_account, outbox):
    request_change(client)
    path = link_path(outbox)
    with app.test_request_context():
        invite = make_token("invite", {"a": signed_in_account.id, "e": "evil@example.com",
                                       "o": "robin.quill@example.com"})
    for bad in (path[:-3] + ("aaa" if not path.endswith("aaa") else "bbb"),
                "/profile/email/confirm?t=" + invite):
        client.get(bad)
        response = client.get("/profile/email/confirm")
        assert response.status_code == 400 and "does not work" in response.get_data(as_text=True)
        assert confirm(client).status_code == 400
    assert stored(app, PatientAccount, signed_in_account.id).email == "robin.quill@example.com"


def test_email_link_for_another_account(app, client, make_account, signed_in_account, outbox, patient_client):
    request_change(client)
    make_account(username="sam", account_number="T-2002", email="sam@example.com")
    sam = patient_client("sam")
    sam.get(link_path(outbox))
    response = sam.get("/profile/email/confirm")
    assert response.status_code == 400 and "another account" in response.get_data(as_text=True)
    assert stored(app, PatientAccount, signed_in_account.id).email == "robin.quill@example.com"


def test_email_link_needs_sign_in_and_keeps_token_out_of_urls(app, client, signed_in_account, outbox):
    request_change(client)
    anonymous = app.test_client()
    response = anonymous.get(link_path(outbox))
    assert response.headers["Location"] == "/profile/email/confirm"
    response = anonymous.get("/profile/email/confirm")
    assert "?t=" not in response.headers["Location"] and "sign-in" in response.headers["Location"]


@pytest.mark.parametrize("values, message", [
    ({"email": ""}, "Enter your new email address."),
    ({"email": "not-an-email"}, "Enter an email address like"),
    ({"email": "Robin.Quill@example.com"}, "already your email address"),
    ({"current_password": "not my password at all"}, WRONG_PASSWORD),
])
def test_email_validation(client, signed_in_account, outbox, values, message):
    data = {"email": "robin.new@example.com", "current_password": PATIENT_PASSWORD, **values}
    response = post_form(client, "/profile/email", data)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert not outbox.queued


# -- preferences --

def test_preferences_saved(app, client, signed_in_account, audit_trail):
    assert checked(client) == ["email", "email", "email", "email"]  # the saved choices shown
    response = post_form(client, "/profile/notices", {
        "notify_messages": "email", "notify_results": "none", "notify_appointments": "none",
        "notify_forms": "email"})
    assert response.headers["Location"] == "/profile"
    account = stored(app, PatientAccount, signed_in_account.id)
    assert (account.notify_messages, account.notify_results, account.notify_appointments) == (
        True, False, False)
    assert "patient.preferences_changed" in audit_trail.actions()
    assert checked(client) == ["email", "none", "none", "email"]


def checked(client):
    page = client.get("/profile/notices").get_data(as_text=True)
    inputs = re.findall(r"<input[^>]*\bchecked\b[^>]*>", page)
    return [re.search(r'value="(\w+)"', tag).group(1) for tag in inputs]


def test_preferences_need_every_choice(app, client, signed_in_account):
    response = post_form(client, "/profile/notices", {"notify_messages": "none",
                                                     "notify_results": "email"})
    assert "Choose how to be told." in response.get_data(as_text=True)
    assert stored(app, PatientAccount, signed_in_account.id).notify_messages


# -- activity and sign out everywhere --

def add_sessions(app, account, count, first=0):
    with app.app_context():
        for number in range(first, first + count):
            db.session.add(AuthSession(
                token_hash=f"{number:064d}", account_kind="patient", account_id=account.id,
                ip=f"203.0.113.{number % 250}", ended_at=utcnow(), end_reason="sign-out",
                user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 16_0 like Mac OS X) Version/16.0 "
                           "Mobile/15E148 Safari/604.1"))
        db.session.commit()


def test_activity_shows_sessions_and_failures(app, client, auth, make_account):
    account = make_account()
    auth.patient_sign_in("robin", "a wrong password typed here")
    auth.patient_sign_in("robin")
    add_sessions(app, account, 2)
    page = client.get("/profile/activity").get_data(as_text=True)
    assert "Active (this browser)" in page and "203.0.113.1" in page
    assert "Safari on iPhone" in page and "Signed out" in page
    assert "Wrong password" in page and "No failed sign-in attempts" not in page


def test_activity_runs_a_fixed_number_of_queries(app, client, signed_in_account):
    def visit():
        assert client.get("/profile/activity").status_code == 200

    add_sessions(app, signed_in_account, 1)  # with this browser's own: 2 sessions
    visit()
    few = count_queries(app, visit)
    add_sessions(app, signed_in_account, 13, first=100)  # 15
    many = count_queries(app, visit)
    assert few == many


@pytest.mark.parametrize("agent, expected", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36",
     "Chrome on Windows"),
    ("Mozilla/5.0 (Windows NT 10.0; Trident/7.0; rv:11.0) like Gecko", "Internet Explorer on Windows"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36 Edg/120",
     "Edge on Android"),
    ("", "Unknown browser"),
])
def test_describe_browser(app, agent, expected):
    with app.test_request_context():
        assert profile.describe_browser(agent) == expected


def test_sign_out_everywhere(app, client, signed_in_account, audit_trail, patient_client):
    other = patient_client()
    response = post_form(client, "/profile/sign-out-everywhere", {}, page_url="/profile/activity")
    assert response.headers["Location"] == "/sign-in"
    assert client.get("/profile").headers["Location"].startswith("/sign-in")
    assert other.get("/profile").headers["Location"].startswith("/sign-in")
    with app.app_context():
        assert db.session.scalar(select(func.count(AuthSession.id)).where(
            AuthSession.ended_at.is_(None))) == 0
    assert "patient.signed_out_everywhere" in audit_trail.actions()


# -- suspension --

def suspend(staff, account, reason="Abusive messages to staff"):
    url = f"/staff/patients/{account.patient_id}/portal/suspend"
    return post_form(staff, url, {"reason": reason}, page_url=f"/staff/patients/{account.patient_id}")


def test_suspension_ends_sessions_and_reinstating_restores(app, client, signed_in_account, make_staff, outbox,
                                                          audit_trail, staff_client):
    nurse = staff_client("nurse", direct=True)
    chart = nurse.get(f"/staff/patients/{signed_in_account.patient_id}").get_data(as_text=True)
    assert "Suspend portal access" in chart
    response = suspend(nurse, signed_in_account)
    assert response.headers["Location"] == f"/staff/patients/{signed_in_account.patient_id}"
    assert client.get("/profile").headers["Location"].startswith("/sign-in")
    account = stored(app, PatientAccount, signed_in_account.id)
    assert account.status == "suspended" and account.suspended_reason == "Abusive messages to staff"
    assert account.suspended_at is not None
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.action == "patient.portal_suspended"))
        assert event.detail == "suspended" and event.actor_kind == "staff"
        assert event.patient_id == signed_in_account.patient_id
    assert [m.recipient for m in outbox.queued] == ["robin.quill@example.com"]
    assert "Abusive" not in outbox.queued[0].body_text
    signing_in = AuthActions(app.test_client()).patient_sign_in("robin")
    assert signing_in.status_code == 403 and "paused" in signing_in.get_data(as_text=True)
    chart = nurse.get(f"/staff/patients/{signed_in_account.patient_id}").get_data(as_text=True)
    assert "Reinstate portal access" in chart and "Abusive messages to staff" in chart
    post_form(nurse, f"/staff/patients/{signed_in_account.patient_id}/portal/reinstate", {},
              page_url=f"/staff/patients/{signed_in_account.patient_id}")
    assert stored(app, PatientAccount, signed_in_account.id).status == "active"
    assert "patient.portal_reinstated" in audit_trail.actions()
    assert AuthActions(app.test_client()).patient_sign_in("robin").status_code == 302


def test_suspension_needs_a_reason(app, signed_in_account, make_staff, staff_client):
    admin = staff_client("admin", direct=True)
    response = suspend(admin, signed_in_account, reason="  ")
    assert "Enter the reason for pausing portal access." in response.get_data(as_text=True)
    assert stored(app, PatientAccount, signed_in_account.id).status == "active"


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_front_desk_and_billing_see_status_only(app, signed_in_account, make_staff, role, staff_client):
    staff = staff_client(role, direct=True)
    chart = staff.get(f"/staff/patients/{signed_in_account.patient_id}").get_data(as_text=True)
    assert "Portal access is active." in chart and "Suspend portal access" not in chart
    assert suspend(staff, signed_in_account).status_code == 403
    assert stored(app, PatientAccount, signed_in_account.id).status == "active"


def test_patient_cannot_reach_staff_suspend_route(app, client, signed_in_account):
    url = f"/staff/patients/{signed_in_account.patient_id}/portal/suspend"
    response = post_form(client, url, {"reason": "x"}, page_url="/profile")
    assert response.status_code in (403, 404)
    assert stored(app, PatientAccount, signed_in_account.id).status == "active"


def test_suspend_route_for_chart_without_account(app, make_patient, make_staff, staff_client):
    chart = make_patient(account_number="T-3003")
    nurse = staff_client("nurse", direct=True)
    response = post_form(nurse, f"/staff/patients/{chart.id}/portal/suspend", {"reason": "x"},
                         page_url=f"/staff/patients/{chart.id}")
    assert response.status_code == 404
