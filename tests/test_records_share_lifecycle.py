"""Shares end when they should (issue 19, part 2): a share needs the current password and is
announced to the patient by email; suspension, a password reset (self-service or
staff-assisted), an admin's two-step reset, "sign out everywhere" and the patient's own stop
end every share, and the provider's open browser gets the stopped page at its next request;
Close ends the opening on the server; downloads are limited per account and per share; staff
see and stop a chart's shares."""

import re

import pytest
from account_steps import NEW_PASSWORD, print_letter, request_reset, reset_links, set_password
from conftest import (
    SECURITY_ANSWER,
    TEST_SECRET,
    Outbox,
    _settings,
    csrf_token,
    open_link,
    post_form,
    turn_on_two_step,
)
from records_data import CODE_PAGE, RECORD, archive_of, make_share, open_share, text, words

from portal import create_app
from portal.extensions import db
from portal.models import PatientAccount, RecordShare

STOPPED = "This shared record was stopped"


def the_share(app):
    with app.app_context():
        share = db.session.scalars(db.select(RecordShare)).one()
        db.session.expunge(share)
        return share


def chart(robin_account):
    return f"/staff/patients/{robin_account.patient_id}"


def record_section(robin_account):
    """The chart's health-record section, which lists the record's shares."""
    return f"{chart(robin_account)}/records"


# -- every event that ends the account's trust stops its shares -------------------------------

def suspend(app, robin_account, robin_client, staff_client):
    nurse = staff_client("nurse", email="nurse2@practice.test", direct=True)
    answer = post_form(nurse, f"{chart(robin_account)}/portal/suspend",
                       {"reason": "Asked by the patient"}, page_url=chart(robin_account))
    assert answer.status_code == 302


def self_service_reset(app, robin_account, robin_client, staff_client):
    visitor = app.test_client()
    request_reset(visitor)
    [link] = reset_links(Outbox(app))
    open_link(visitor, link)
    post_form(visitor, "/reset", {"answer": SECURITY_ANSWER})
    assert set_password(visitor).headers["Location"] == "/sign-in"


def staff_assisted_reset(app, robin_account, robin_client, staff_client):
    clerk = staff_client("front_desk", direct=True)
    post_form(clerk, f"{chart(robin_account)}/password-reset", {}, page_url=chart(robin_account))
    [link] = reset_links(Outbox(app))
    visitor = app.test_client()
    open_link(visitor, link)
    answer = set_password(visitor, question="first_concert", answer="Kind of Blue")
    assert answer.headers["Location"] == "/sign-in"


def admin_two_step_reset(app, robin_account, robin_client, staff_client):
    turn_on_two_step(app, PatientAccount, robin_account.id)
    admin = staff_client("admin", direct=True)
    answer = post_form(admin, f"{chart(robin_account)}/reset-two-step", {}, page_url=chart(robin_account))
    assert answer.headers["Location"] == chart(robin_account)


def sign_out_everywhere(app, robin_account, robin_client, staff_client):
    answer = post_form(robin_client, "/profile/sign-out-everywhere", {},
                       page_url="/profile/activity")
    assert answer.status_code == 302


def patient_stops(app, robin_account, robin_client, staff_client):
    listed = text(robin_client.get("/records/shares"))
    stop = re.search(r'action="(/records/shares/\d+/stop)"', listed).group(1)
    assert post_form(robin_client, stop, {}, page_url="/records/shares").status_code == 302


@pytest.mark.parametrize("event, reason, words_for_patient", [
    (suspend, "suspended", "Stopped when your portal access was paused"),
    (self_service_reset, "password-reset", "Stopped when your password was reset"),
    (staff_assisted_reset, "password-reset", "Stopped when your password was reset"),
    (admin_two_step_reset, "two-step-reset", "Stopped when your two-step sign-in was reset"),
    (sign_out_everywhere, "sign-out-all", "Stopped when you signed out everywhere"),
    (patient_stops, "patient", "Stopped by you"),
])
def test_each_end_of_trust_stops_the_share_at_the_provider_s_next_request(
        app, robin_account, robin_client, staff_client, publish_entry, audit_trail, event, reason,
        words_for_patient):
    lab = publish_entry("lab")
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    assert provider.get(f"{RECORD}/lab/{lab}").status_code == 200
    event(app, robin_account, robin_client, staff_client)
    for path in (RECORD, f"{RECORD}/lab/{lab}", f"{RECORD}/lab/{lab}.pdf",
                 f"{RECORD}/download.zip"):
        answer = provider.get(path)
        assert answer.status_code == 410, path
        assert STOPPED in text(answer)
    fresh = app.test_client()  # a new browser with the link and the code
    assert STOPPED in text(fresh.get(link))
    assert fresh.get(CODE_PAGE).status_code == 400
    assert fresh.post(CODE_PAGE, data={"code": code}).status_code == 400
    assert the_share(app).revoked_reason == reason
    [stopped] = audit_trail.rows("record_share.revoked")
    assert stopped.detail == f"reason: {reason}"
    with app.app_context():  # the words the patient reads in the list of shares
        from portal.page_texts import SHARE_STOP_REASONS
        assert str(SHARE_STOP_REASONS[reason]) == words_for_patient


def test_the_patient_reads_why_a_share_stopped(app, robin_client, patient_client):
    make_share(robin_client)
    post_form(robin_client, "/profile/sign-out-everywhere", {}, page_url="/profile/activity")
    listed = words(patient_client("robin").get("/records/shares"))
    assert "Stopped when you signed out everywhere" in listed


def test_a_password_reset_stop_reads_so_in_the_list(app, robin_account, robin_client, staff_client,
                                                    patient_client):
    make_share(robin_client)
    self_service_reset(app, robin_account, robin_client, staff_client)
    listed = words(patient_client("robin", NEW_PASSWORD).get("/records/shares"))
    assert "Stopped when your password was reset" in listed


def test_an_expired_share_keeps_its_state_when_the_account_is_suspended(
        app, clock, robin_account, robin_client, staff_client, audit_trail):
    make_share(robin_client, days="1")
    clock.tick(24 * 3600 + 1)
    suspend(app, robin_account, robin_client, staff_client)
    assert the_share(app).revoked_at is None
    assert not audit_trail.rows("record_share.revoked")


# -- Close ends the opening on the server ------------------------------------------------------

def test_a_cookie_replayed_after_close_opens_nothing(app, robin_client, audit_trail):
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    name = app.config["SESSION_COOKIE_NAME"]
    kept = provider.get_cookie(name).value
    answer = post_form(provider, "/record-share/close", {}, page_url=RECORD)
    assert answer.status_code == 302
    assert provider.get(RECORD).status_code == 400
    replay = app.test_client()
    replay.set_cookie(name, kept)
    answer = replay.get(RECORD)
    assert answer.status_code == 302 and answer.headers["Location"] == CODE_PAGE
    assert replay.get(f"{RECORD}/download.zip").headers["Location"] == CODE_PAGE
    assert len(audit_trail.rows("record_share.closed")) == 1
    # The share itself still works: the code opens it again in a browser.
    assert open_share(app, link, code).get(RECORD).status_code == 200


def test_the_cookie_holds_no_open_until_time_to_edit(app, robin_client):
    """An opening is the server's record (a hashed nonce and its end), not a time the
    cookie carries: the browser's session holds only the share's id and the nonce."""
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    with provider.session_transaction() as session:
        held = dict(session["record_share"])
    assert set(held) == {"id", "open"}
    with provider.session_transaction() as session:
        session["record_share"] = {"id": held["id"], "open": "forged-nonce"}
    assert provider.get(RECORD).headers["Location"] == CODE_PAGE


# -- the password on creation and the notice --------------------------------------------------

def test_a_share_needs_the_current_password_and_a_wrong_one_counts(app, robin_client,
                                                                   audit_trail):
    answer = post_form(robin_client, "/records/shares/new",
                       {"recipient": "Dr. Lee", "scope": "whole", "days": "7",
                        "current_password": "not my password"})
    assert answer.status_code == 400
    assert "That is not your current password." in text(answer)
    assert 'value="Dr. Lee"' in text(answer)  # what was typed is kept
    [counted] = audit_trail.rows("patient.reauth_failed")
    assert counted.detail == "record share"
    missing = post_form(robin_client, "/records/shares/new",
                        {"recipient": "Dr. Lee", "scope": "whole", "days": "7"})
    assert missing.status_code == 400 and "Enter your current password." in text(missing)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(RecordShare)) == 0


def test_five_wrong_passwords_in_a_row_sign_the_patient_out(app, robin_client):
    for _attempt in range(5):
        answer = post_form(robin_client, "/records/shares/new",
                           {"recipient": "Dr. Lee", "scope": "whole", "days": "7",
                            "current_password": "not my password"})
    assert answer.status_code == 302 and "/sign-in" in answer.headers["Location"]
    assert robin_client.get("/records/shares").status_code == 302


def test_a_new_share_emails_the_patient_a_notice_without_health_information(
        app, robin_account, robin_client, outbox):
    make_share(robin_client, recipient="Dr. Lee, Lakeside Cardiology", scope="parts",
               categories=["lab"], days="5")
    [notice] = [mail for mail in outbox.queued if mail.subject == "You shared your health record"]
    assert notice.recipient == robin_account.email
    for body in (notice.body_text, notice.body_html):
        assert "http://portal.test/records/shares" in body
        assert "5 days" in body
        for secret in ("Lee", "Lakeside", "Cardiology", "Lab", "lab", "/record-share"):
            assert secret not in body, secret


# -- download limits ---------------------------------------------------------------------------

def test_the_11th_zip_in_15_minutes_is_refused_per_account_and_per_share(
        app, clock, robin_client, publish_entry, patient_client):
    publish_entry("lab")
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    for _number in range(10):
        archive_of(provider).close()
    refused = provider.get(f"{RECORD}/download.zip")
    assert refused.status_code == 429
    assert "Too many downloads of the whole record" in text(refused)
    assert "10 times in 15 minutes" in words(refused)
    # The patient's own account has its own 10.
    for _number in range(10):
        with robin_client.get("/records/download.zip") as answer:
            assert answer.status_code == 200
    assert robin_client.get("/records/download.zip").status_code == 429
    clock.tick(15 * 60 + 1)  # the window has passed (and the patient's idle session with it)
    archive_of(provider).close()
    with patient_client("robin").get("/records/download.zip") as answer:
        assert answer.status_code == 200


def test_the_61st_pdf_or_document_in_15_minutes_is_refused(app, clock, robin_client, publish_entry):
    document = publish_entry("document")
    link, code, _page = make_share(robin_client)
    provider = open_share(app, link, code)
    path = f"{RECORD}/documents/{document}/file"
    for _number in range(60):
        assert provider.get(path).status_code == 200
    refused = provider.get(path)
    assert refused.status_code == 429 and "Too many downloads" in text(refused)
    assert provider.get(f"{RECORD}/document.pdf").status_code == 429  # the same limit
    assert robin_client.get(f"/records/documents/{document}/file").status_code == 200


# -- staff see a chart's shares and may stop one ----------------------------------------------

def stop_url(robin_account, share_id):
    return f"{chart(robin_account)}/shares/{share_id}/stop"


def test_staff_see_the_chart_s_shares_and_a_nurse_stops_one_with_a_reason(
        app, robin_account, robin_client, staff_client, audit_trail):
    link, code, _page = make_share(robin_client, days="5")
    provider = open_share(app, link, code)
    share = the_share(app)
    nurse = staff_client("nurse", email="nurse2@practice.test", direct=True)
    page = words(nurse.get(record_section(robin_account)))
    assert "Record shares" in page
    assert "Dr. Lee, Lakeside Cardiology The whole record" in page
    assert "1 time, last on" in page and "Working" in page
    assert f'href="{stop_url(robin_account, share.id)}"' in text(nurse.get(record_section(robin_account)))
    assert nurse.get(stop_url(robin_account, share.id)).status_code == 200
    empty = post_form(nurse, stop_url(robin_account, share.id), {"reason": " "})
    assert empty.status_code == 400 and "Enter why you are stopping this share." in text(empty)
    assert the_share(app).revoked_at is None
    answer = post_form(nurse, stop_url(robin_account, share.id),
                       {"reason": "Patient called: lost the code"})
    assert answer.headers["Location"] == f"{record_section(robin_account)}#record-shares"
    assert "The share was stopped." in words(nurse.get(record_section(robin_account)))
    stopped = the_share(app)
    assert stopped.revoked_reason == "staff"
    assert stopped.revoked_note == "Patient called: lost the code"
    [row] = audit_trail.rows("record_share.revoked")
    assert (row.actor_kind, row.actor_id, row.patient_id, row.detail) == (
        "staff", nurse.staff.id, robin_account.patient_id, "reason: staff")
    assert "Patient called" not in row.detail  # the words stay on the share, for staff
    assert "Stopped by the practice: Patient called: lost the code" in words(
        nurse.get(record_section(robin_account)))
    assert STOPPED in text(provider.get(RECORD))
    assert "Stopped by the practice" in words(robin_client.get("/records/shares"))
    again = post_form(nurse, stop_url(robin_account, share.id), {"reason": "twice"},
                      page_url=record_section(robin_account), follow_redirects=True)
    assert "That share had already stopped working." in words(again)
    assert len(audit_trail.rows("record_share.revoked")) == 1


@pytest.mark.parametrize("role", ["front_desk", "billing"])
def test_front_desk_and_billing_see_shares_but_cannot_stop_them(
        app, robin_account, robin_client, staff_client, role):
    make_share(robin_client)
    share = the_share(app)
    clerk = staff_client(role, direct=True)
    page = text(clerk.get(record_section(robin_account)))
    assert "Dr. Lee, Lakeside Cardiology" in page and "Working" in page
    assert "/stop" not in page.split('id="record-shares"', 1)[1]
    assert clerk.get(stop_url(robin_account, share.id)).status_code == 403
    refused = post_form(clerk, stop_url(robin_account, share.id), {"reason": "no"},
                        page_url=record_section(robin_account))
    assert refused.status_code == 403
    assert the_share(app).revoked_at is None


def test_a_share_of_another_chart_is_404(app, robin_account, robin_client, staff_client, make_account):
    make_share(robin_client)
    share = the_share(app)
    other = make_account(username="sam", account_number="T-2002", email="sam@example.com",
                         first_name="Sam")
    nurse = staff_client("nurse", email="nurse2@practice.test", direct=True)
    wrong_chart = f"/staff/patients/{other.patient_id}/shares/{share.id}/stop"
    assert nurse.get(wrong_chart).status_code == 404
    assert post_form(nurse, wrong_chart, {"reason": "x"}, page_url=chart(robin_account)).status_code == 404
    assert nurse.get(stop_url(robin_account, 2**70)).status_code == 404
    assert the_share(app).revoked_at is None


# -- the secret key rotates: older letters and shares keep working -----------------------------

def test_a_rotated_secret_key_still_opens_an_older_letter_and_share(
        app, database_url, tmp_path, robin_client, staff_client, make_patient, publish_entry):
    lab = publish_entry("lab")
    link, code, _page = make_share(robin_client)
    newcomer = make_patient(account_number="MG-2002", first_name="Wren", last_name="Ashdown",
                            email="")
    clerk = staff_client("front_desk", direct=True)
    _response, letter_code = print_letter(clerk, newcomer)
    rotated = create_app({**_settings(database_url, tmp_path / "instance"),
                          "SECRET_KEY": "a-new-secret-key-after-rotation-0123456789abcdef",
                          "SECRET_KEY_FALLBACKS": [TEST_SECRET]})
    try:
        provider = rotated.test_client()
        assert provider.get(link).headers["Location"] == CODE_PAGE
        opened = provider.post(CODE_PAGE, data={"csrf_token": csrf_token(provider, CODE_PAGE),
                                                "code": code})
        assert opened.headers["Location"] == RECORD, words(opened)
        assert provider.get(f"{RECORD}/lab/{lab}").status_code == 200
        patient = rotated.test_client()
        answer = post_form(patient, "/activate", {"code": letter_code})
        assert answer.headers["Location"] == "/enroll", words(answer)
        # Without the old key in the fallbacks, neither opens.
        forgetful = create_app({**_settings(database_url, tmp_path / "instance"),
                                "SECRET_KEY": "a-new-secret-key-after-rotation-0123456789abcdef"})
        stranger = forgetful.test_client()
        assert stranger.get(link).status_code == 404
        assert post_form(stranger, "/activate", {"code": letter_code}).status_code == 400
    finally:
        for made in (rotated, locals().get("forgetful")):
            if made is not None:
                with made.app_context():
                    db.session.remove()
                    db.engine.dispose()
