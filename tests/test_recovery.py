"""Recovering access: forgotten username, reset by emailed link and security question, and the
staff-assisted reset. Links are read from the outbox, as a patient would."""

from datetime import timedelta

import pytest
from account_steps import NEW_PASSWORD, QUESTION, request_reset, reset_links, set_password
from conftest import (
    CSRF_INPUT,
    PATIENT_PASSWORD,
    SECURITY_ANSWER,
    AuthActions,
    csrf_token,
    engine_events,
    open_link,
    post_form,
    stored,
)
from freezegun import freeze_time
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import AuditEvent, PasswordReset, PatientAccount
from portal.services import accounts, audit, recovery
from portal.services.tokens import make_token

SIGN_IN_FAILED = get_message("patient_sign_in_failed")[0]
NO_LINK = "This reset link cannot be used"
LOCKED = "Password reset is locked"
def masked(response):
    return CSRF_INPUT.sub('name="csrf_token" value="X"', response.get_data(as_text=True))


def answer(client, text=SECURITY_ANSWER):
    return post_form(client, "/reset", {"answer": text})


def test_full_reset_through_the_emailed_link(client, auth, make_account, outbox, app,
                                             patient_client, audit_trail):
    account = make_account()
    other = patient_client()
    assert request_reset(client).headers["Location"] == "/sign-in"
    [link] = reset_links(outbox)
    page = open_link(client, link)
    assert page.status_code == 200 and QUESTION in page.get_data(as_text=True)
    assert "t=" not in page.request.url
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = answer(client, "  grace   HOPPER! ")
    assert response.headers["Location"] == "/reset"
    assert 'type="password"' in client.get("/reset").get_data(as_text=True)
    response = set_password(client)
    assert response.headers["Location"] == "/sign-in"
    assert get_message("password_reset_done")[0] in client.get("/sign-in").get_data(as_text=True)
    assert client.get("/home").status_code == 302  # no auto-login
    assert other.get("/home").status_code == 302  # the other device was signed out
    assert [mail.subject for mail in outbox.queued][-1] == "Your portal password was changed"
    assert SIGN_IN_FAILED in auth.patient_sign_in("robin").get_data(as_text=True)
    assert auth.patient_sign_in("robin", NEW_PASSWORD).headers["Location"] == "/home"
    row = stored(app, PatientAccount, account.id)
    assert row.password_changed_at is not None
    for action in ("recovery.reset_requested", "recovery.reset_link_opened",
                   "recovery.password_reset"):
        assert audit_trail.rows(action), action
    # The used link is dead.
    assert NO_LINK in open_link(app.test_client(), link).get_data(as_text=True)


def test_forgot_password_answers_the_same_for_known_and_unknown(app, make_account, outbox):
    make_account()
    pages = []
    for name in ("robin", "nobody-here", "robin.quill@example.com", "no@example.com"):
        client = app.test_client()
        response = request_reset(client, name)
        assert response.status_code == 302
        pages.append(masked(client.get(response.headers["Location"])))
    assert len(set(pages)) == 1
    assert get_message("reset_requested")[0] in pages[0]
    assert len(reset_links(outbox)) == 2


@pytest.mark.parametrize("path, data", [
    ("/forgot-password", {"name": "robin"}),
    ("/forgot-username", {"email": "robin.quill@example.com", "date_of_birth-month": "4",
                          "date_of_birth-day": "9", "date_of_birth-year": "1980"}),
])
def test_forgot_pages_run_the_same_statements_for_known_and_unknown(app, make_account, path,
                                                                    data):
    """The page only leaves the request for the mail worker: the same SQL for any input."""
    make_account()
    unknown = {key: "nobody-at-all@example.com" if key in ("name", "email") else value
               for key, value in data.items()}

    def statements(values):
        client = app.test_client()
        token = csrf_token(client, path)

        def post():
            response = client.post(path, data={"csrf_token": token, **values})
            assert response.status_code == 302

        return [args[2] for args in engine_events(app, "before_cursor_execute", post)]

    known_statements = statements(data)
    assert known_statements == statements(unknown)
    assert any("INSERT INTO recovery_requests" in s for s in known_statements)
    assert not any("patient_accounts" in s for s in known_statements)


def test_forgot_username_emails_only_on_a_match(app, make_account, outbox, audit_trail):
    make_account()
    good = {"email": "Robin.Quill@example.com", "date_of_birth-month": "04",
            "date_of_birth-day": "09", "date_of_birth-year": "1980"}
    pages = []
    for data in (good, {**good, "date_of_birth-year": "1981"}, {**good, "email": "x@example.com"}):
        client = app.test_client()
        response = post_form(client, "/forgot-username", data)
        assert response.status_code == 302
        pages.append(masked(client.get(response.headers["Location"])))
    assert len(set(pages)) == 1
    assert get_message("username_requested")[0] in pages[0]
    assert outbox.queued == []  # the mail worker answers the requests
    assert outbox.process_requests() == 3
    [mail] = outbox.queued
    assert mail.recipient == "robin.quill@example.com" and "robin" in mail.body_text
    assert len(audit_trail.rows("recovery.username_requested")) == 3


def test_forgot_username_bad_date_is_explained(client):
    response = post_form(client, "/forgot-username", {
        "email": "a@example.com", "date_of_birth-month": "13", "date_of_birth-day": "1",
        "date_of_birth-year": "1980"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "must be a real date" in page
    assert 'value="a@example.com"' in page


def test_question_needs_a_valid_link(client, make_account):
    make_account()
    response = client.get("/reset")
    assert response.status_code == 400 and QUESTION not in response.get_data(as_text=True)
    assert post_form(client, "/reset", {"answer": "x"}, page_url="/forgot-password").status_code == 400


def tampered(link):
    return link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]


@pytest.mark.parametrize("spoil", ["tampered", "invite", "email-change", "garbage"])
def test_bad_tokens_get_a_clear_page(client, make_account, outbox, app, spoil):
    make_account()
    request_reset(client)
    [link] = reset_links(outbox)
    with app.test_request_context():
        row = db.session.scalars(select(PasswordReset)).one()
        data = {"r": row.id, "n": row.nonce, "p": "x"}
        links = {"tampered": tampered(link), "garbage": "/reset?t=nonsense",
                 "invite": "/reset?t=" + make_token("invite", data),
                 "email-change": "/reset?t=" + make_token("email-change", data)}
    page = open_link(client, links[spoil])
    assert page.status_code == 400
    text = page.get_data(as_text=True)
    assert NO_LINK in text and "Request a new link" in text and QUESTION not in text


def test_expired_link_on_get_and_on_post(client, make_account, outbox):
    make_account()
    with freeze_time("2026-03-02 10:00:00") as frozen:
        request_reset(client)
        [link] = reset_links(outbox)
        page = open_link(client, link)
        token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
        frozen.tick(timedelta(minutes=30, seconds=1))
        response = client.post("/reset", data={"answer": SECURITY_ANSWER, "csrf_token": token})
        assert response.status_code == 400 and "has expired" in response.get_data(as_text=True)
        page = open_link(client, link)
        assert page.status_code == 400 and "has expired" in page.get_data(as_text=True)


def test_newer_link_voids_the_older(client, make_account, outbox):
    make_account()
    request_reset(client)
    request_reset(client)
    first, second = reset_links(outbox)
    assert "already used, a newer link" in open_link(client, first).get_data(as_text=True)
    assert QUESTION in open_link(client, second).get_data(as_text=True)


def test_link_dies_when_the_password_changes_another_way(client, make_account, outbox, app):
    account = make_account()
    request_reset(client)
    [link] = reset_links(outbox)
    page = open_link(client, link)
    token = CSRF_INPUT.search(page.get_data(as_text=True)).group(1)
    with app.app_context():
        db.session.get(PatientAccount, account.id).password_hash = "changed elsewhere"
        db.session.commit()
    response = client.post("/reset", data={"answer": SECURITY_ANSWER, "csrf_token": token})
    assert response.status_code == 400 and NO_LINK in response.get_data(as_text=True)


def test_five_wrong_answers_lock_reset_for_an_hour(client, make_account, outbox, app, audit_trail):
    account = make_account()
    with freeze_time("2026-03-02 10:00:00") as frozen:
        request_reset(client)
        open_link(client, reset_links(outbox)[0])
        for _ in range(4):
            response = answer(client, "Ada Lovelace")
            assert response.status_code == 200
            assert "does not match" in response.get_data(as_text=True)
        response = answer(client, "Alan Turing")
        assert response.status_code == 403 and LOCKED in response.get_data(as_text=True)
        assert len(audit_trail.rows("recovery.answer_failed")) == 5
        assert len(audit_trail.rows("recovery.reset_locked")) == 1
        assert stored(app, PatientAccount, account.id).reset_locked_until is not None
        # A new link during the hour leads to the "locked" page, not the question.
        request_reset(client)
        page = open_link(client, reset_links(outbox)[-1])
        assert page.status_code == 403 and QUESTION not in page.get_data(as_text=True)
        frozen.tick(timedelta(hours=1, seconds=1))
        request_reset(client)
        assert QUESTION in open_link(client, reset_links(outbox)[-1]).get_data(as_text=True)
        assert answer(client).headers["Location"] == "/reset"


def test_fourth_request_in_an_hour_sends_nothing(client, auth, make_account, outbox, app, audit_trail):
    make_account()
    with freeze_time("2026-03-02 10:00:00") as frozen:
        for _ in range(4):
            assert request_reset(client).headers["Location"] == "/sign-in"
        assert len(reset_links(outbox)) == 3
        assert auth.patient_sign_in("robin").headers["Location"] == "/home"
        frozen.tick(timedelta(minutes=61))
        request_reset(client)
        assert len(reset_links(outbox)) == 4
    details = [event.detail for event in audit_trail.rows("recovery.reset_requested")]
    assert details.count("hourly limit reached, nothing sent") == 1


def test_suspended_account_gets_nothing(client, make_account, outbox, app):
    account = make_account()
    with app.app_context():
        db.session.get(PatientAccount, account.id).status = "suspended"
        db.session.commit()
    assert request_reset(client).headers["Location"] == "/sign-in"
    assert outbox.queued == []


def test_weak_or_mismatched_new_password_is_refused(client, make_account, outbox, app):
    account = make_account()
    request_reset(client)
    open_link(client, reset_links(outbox)[0])
    answer(client)
    page = set_password(client, "robinquill1980!").get_data(as_text=True)
    assert "at least 15" in page or "too close" in page
    response = post_form(client, "/reset", {"password": NEW_PASSWORD, "confirm": "other words"})
    assert "not the same" in response.get_data(as_text=True)
    assert stored(app, PatientAccount, account.id).password_hash == account.password_hash


def test_answered_question_is_not_carried_to_another_browser(client, make_account, outbox, app):
    make_account()
    request_reset(client)
    [link] = reset_links(outbox)
    open_link(client, link)
    answer(client)
    other = app.test_client()
    assert QUESTION in open_link(other, link).get_data(as_text=True)


def send_assisted(client, patient_id):
    return post_form(client, f"/staff/patients/{patient_id}/password-reset", {},
                     page_url=f"/staff/patients/{patient_id}")


def test_assisted_reset_sets_a_new_question(client, staffer, make_account, outbox, app, audit_trail):
    account = make_account()
    chart = client.get(f"/staff/patients/{account.patient_id}").get_data(as_text=True)
    assert "Send a password reset link (after checking identity by phone)" in chart
    response = send_assisted(client, account.patient_id)
    assert response.headers["Location"] == f"/staff/patients/{account.patient_id}"
    [event] = audit_trail.rows("recovery.assisted_reset_sent")
    assert event.actor_kind == "staff" and event.actor_id == staffer.id and staffer.name in event.detail
    patient = app.test_client()
    page = open_link(patient, reset_links(outbox)[0]).get_data(as_text=True)
    assert f'<label for="answer">{QUESTION}' not in page  # the old question is skipped
    assert "Choose a new password and a new security question" in page and 'name="question"' in page
    response = set_password(patient, question="first_concert", answer="")
    assert "Enter the answer" in response.get_data(as_text=True)
    response = set_password(patient, question="first_concert", answer="Kind of Blue")
    assert response.headers["Location"] == "/sign-in"
    row = stored(app, PatientAccount, account.id)
    assert row.security_question == "first_concert"
    with app.app_context():
        assert accounts.answer_matches(row, "kind of blue")
    assert AuthActions(patient).patient_sign_in("robin", NEW_PASSWORD).headers["Location"] == "/home"


def test_assisted_reset_lifts_a_reset_lock(client, staffer, make_account, outbox, app):
    account = make_account()
    with app.app_context():
        db.session.get(PatientAccount, account.id).reset_locked_until = (
            recovery.utcnow() + timedelta(hours=1))
        db.session.commit()
    send_assisted(client, account.patient_id)
    page = open_link(app.test_client(), reset_links(outbox)[0])
    assert page.status_code == 200
    assert "Choose a new password and a new security question" in page.get_data(as_text=True)


def test_recovery_button_only_for_charts_with_an_account(client, staffer, make_patient):
    patient = make_patient()
    page = client.get(f"/staff/patients/{patient.id}").get_data(as_text=True)
    assert "Send a password reset link" not in page


def test_staff_button_is_guarded(client, auth, app, make_account, audit_trail):
    account = make_account()
    url = f"/staff/patients/{account.patient_id}/password-reset"
    assert client.post(url).status_code in (302, 400)
    auth.patient_sign_in("robin")
    assert post_form(client, url, {}, page_url="/home").status_code == 403
    assert not audit_trail.rows("recovery.assisted_reset_sent")


def test_sign_in_page_links_to_recovery(client):
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'href="/forgot-username"' in page and 'href="/forgot-password"' in page


def test_no_secrets_in_the_audit_trail(client, make_account, outbox, app):
    make_account()
    request_reset(client)
    [link] = reset_links(outbox)
    open_link(client, link)
    answer(client, "Ada Lovelace")
    answer(client)
    set_password(client)
    with app.app_context():
        text = " ".join(event.detail for event in db.session.scalars(select(AuditEvent)))
    token = link.split("t=")[1]
    for secret in (token, NEW_PASSWORD, PATIENT_PASSWORD, "Lovelace", "Grace"):
        assert secret not in text


def test_service_refuses_a_reset_whose_question_was_not_answered(client, make_account, outbox,
                                                                  app):
    account = make_account()
    request_reset(client)
    token = reset_links(outbox)[0].split("t=")[1]
    with app.test_request_context():
        assert recovery.complete_reset(token, NEW_PASSWORD, audit.SYSTEM).problem == "invalid"
    assert stored(app, PatientAccount, account.id).password_hash == account.password_hash
