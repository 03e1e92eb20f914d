"""Enrollment by a paper activation letter: staff print it from the chart, the patient types its
code on /activate, proves who they are and sets up the account. The code is read from the PDF
with pdftotext, as a person reads the printed letter."""

import hashlib
import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import pytest
from account_steps import chart_url, enter_activation_code, print_letter
from conftest import AuthActions, csrf_token, post_form
from freezegun import freeze_time
from helpers import pdf_text
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import Invitation, OutboxEmail, Patient, PatientAccount
from portal.services import codes

ACCOUNT_NUMBER = "MG-2002"
BORN = date(1961, 7, 23)
PASSWORD = "harbor violet compass 19"
IDENTITY = {"date_of_birth-month": "07", "date_of_birth-day": "23", "date_of_birth-year": "1961",
            "account_number": ACCOUNT_NUMBER}
WRONG_IDENTITY = {**IDENTITY, "account_number": "MG-2003"}
ACCOUNT = {"username": "wren", "password": PASSWORD, "confirm": PASSWORD,
           "question": "childhood_hero", "answer": "Ada Lovelace"}
CONSENT = {"legal_name": "Wren Ashdown", "agree": "y"}
UNKNOWN = get_message("activation_code_unknown")[0]


def text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN, first_name="Wren",
                        last_name="Ashdown", email="")


@pytest.fixture
def front_desk_client(staff_client):
    """One browser signed in as front-desk staff (the patient uses `client`)."""
    return staff_client("front_desk", name="Dana Front")


def verify(client, code, identity=IDENTITY):
    response = enter_activation_code(client, code)
    assert response.headers["Location"] == "/enroll", text(response)
    return post_form(client, "/enroll", identity)


def enroll(client, **account_changes):
    """Steps 2 and 3: the account, then the consent; the consent step's response."""
    kept = post_form(client, "/enroll/account", {**ACCOUNT, **account_changes})
    assert kept.headers["Location"] == "/enroll/consent", text(kept)
    return post_form(client, "/enroll/consent", CONSENT)


def letters(app):
    with app.app_context():
        rows = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        db.session.expunge_all()
        return rows


# -- the code itself ----------------------------------------------------------------------------

def test_a_code_is_12_characters_of_32_without_look_alikes_in_groups_of_four():
    assert len(codes.ALPHABET) == 32 and len(set(codes.ALPHABET)) == 32  # 5 bits each
    assert not set("0O1I") & set(codes.ALPHABET)
    made = {codes.new_code(12) for _ in range(200)}
    assert len(made) == 200
    for code in made:
        assert len(code) == 12 and set(code) <= set(codes.ALPHABET)  # 60 bits
    assert codes.grouped("ABCDEFGHJKLM") == "ABCD EFGH JKLM"
    assert codes.normalize(" abcd-efgh jklm ") == "ABCDEFGHJKLM"


# -- the whole flow -----------------------------------------------------------------------------

def test_print_a_letter_enroll_with_its_code_and_sign_in(app, client, front_desk_client, patient,
                                                          outbox, audit_trail):
    response, code = print_letter(front_desk_client, patient)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    assert "Ashdown" not in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    letter = pdf_text(response.data)
    assert code, letter
    for shown in ("Wren Ashdown", "http://portal.test/activate", "Your activation code",
                  "Three steps", "The code works once, until"):
        assert shown in letter
    [invitation] = letters(app)
    expires = invitation.expires_at.astimezone(ZoneInfo("America/New_York")).strftime("%B %d, %Y")
    assert expires in letter
    # Never the date of birth or the account number.
    for hidden in (ACCOUNT_NUMBER, "1961", "07/23", "July 23"):
        assert hidden not in letter

    # Only a keyed hash is kept: the code is in no column of the row.
    assert invitation.kind == "letter" and invitation.email == ""
    assert invitation.code_hash and len(invitation.code_hash) == 64
    plain = code.replace(" ", "")
    with app.app_context():
        row = db.session.execute(select(Invitation.__table__)).one()
    assert not any(plain in str(value) for value in row)
    assert invitation.code_hash != hashlib.sha256(plain.encode()).hexdigest()

    chart = text(front_desk_client.get(chart_url(patient)))
    assert "Activation letter outstanding: printed on" in chart and "by Dana Front" in chart

    assert client.get("/activate").status_code == 200
    # Typed as a person might: small letters, dashes between the groups.
    response = enter_activation_code(client, code.lower().replace(" ", "-"))
    assert response.headers["Location"] == "/enroll"
    page = text(client.get("/enroll"))
    assert "Confirm it is you" in page and "Wren" not in page and "Step 1 of 3" in page
    response = post_form(client, "/enroll", IDENTITY)
    assert response.headers["Location"] == "/enroll/account"
    page = text(client.get("/enroll/account"))
    assert "Email address (optional)" in page and "Step 2 of 3" in page
    response = post_form(client, "/enroll/account", ACCOUNT)
    assert response.headers["Location"] == "/enroll/consent", text(response)
    assert letters(app)[0].used_at is None, "spent only when enrollment finishes"
    page = text(client.get("/enroll/consent"))
    assert "Step 3 of 3" in page and 'type="password"' not in page
    wrong = post_form(client, "/enroll/consent", {**CONSENT, "legal_name": "Wren Smith"})
    assert wrong.status_code == 200 and "does not match our records" in text(wrong)
    assert PASSWORD not in text(wrong) and 'type="password"' not in text(wrong)
    response = post_form(client, "/enroll/consent", {**CONSENT, "legal_name": "wren  ashdown"})
    assert response.headers["Location"] == "/home", text(response)
    assert client.get("/home").status_code == 200, "signed in by finishing"

    with app.app_context():
        account = db.session.scalar(select(PatientAccount))
        assert (account.username, account.email, account.patient_id) == ("wren", "", patient.id)
        assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0  # no address, no email
    assert letters(app)[0].used_at is not None
    assert AuthActions(app.test_client()).patient_sign_in("wren", PASSWORD).headers["Location"] == "/home"
    trail = audit_trail.actions()
    for action in ("invitation.letter_printed", "activation_letter.exported", "invitation.opened",
                   "invitation.identity_passed", "patient.account_created", "invitation.used"):
        assert action in trail, f"{action} not audited: {trail}"
    [printed] = audit_trail.rows("invitation.letter_printed")
    assert printed.actor_id == front_desk_client.staff.id and printed.patient_id == patient.id
    assert "works for 30 days" in printed.detail
    assert plain not in " ".join(str(row.detail) for action in set(trail)
                                 for row in audit_trail.rows(action))

    chart = text(front_desk_client.get(chart_url(patient)))
    assert "Active: username wren" in chart


def test_a_code_works_once(app, client, front_desk_client, patient):
    _, code = print_letter(front_desk_client, patient)
    verify(client, code)
    assert enroll(client).headers["Location"] == "/home"
    again = app.test_client()
    response = enter_activation_code(again, code)
    assert response.status_code == 410 and "already been used" in text(response)


def test_a_code_expires_after_the_practice_s_days(app, client, front_desk_client, patient,
                                                  save_practice):
    _, code = print_letter(front_desk_client, patient)
    invitation = letters(app)[0]
    assert timedelta(days=30) - timedelta(minutes=1) < invitation.expires_at - invitation.created_at \
        <= timedelta(days=30)
    with freeze_time(invitation.expires_at + timedelta(seconds=1)):
        response = enter_activation_code(client, code)
        assert response.status_code == 410 and "This activation code has expired" in text(response)

    save_practice(activation_code_days=3)
    print_letter(front_desk_client, patient)
    newer = letters(app)[-1]
    assert newer.expires_at - newer.created_at <= timedelta(days=3)
    assert newer.expires_at - newer.created_at > timedelta(days=3) - timedelta(minutes=1)


def test_five_wrong_identities_void_the_code(app, client, front_desk_client, patient, audit_trail):
    _, code = print_letter(front_desk_client, patient)
    enter_activation_code(client, code)
    for attempt in range(1, 5):
        response = post_form(client, "/enroll", WRONG_IDENTITY)
        assert response.status_code == 200
        left = 5 - attempt
        assert f"{left} more time" in text(response) and "before this code stops working" in text(response)
    response = post_form(client, "/enroll", WRONG_IDENTITY)
    assert response.status_code == 410 and "too many times" in text(response)
    assert "This activation code no longer works" in text(response)
    assert "get a new letter" in text(response) and "invitation" not in text(response)
    invitation = letters(app)[0]
    assert (invitation.identity_failures, invitation.void_reason) == (5, "identity_failures")
    # The right answers now come too late, and the code opens nothing.
    assert client.get("/enroll").status_code == 410
    assert enter_activation_code(app.test_client(), code).status_code == 410
    chart = text(front_desk_client.get(chart_url(patient)))
    assert "Activation letter void:" in chart and "entered wrongly 5 times" in chart


def test_a_newer_letter_voids_the_older_one(app, client, front_desk_client, patient):
    _, first = print_letter(front_desk_client, patient)
    _, second = print_letter(front_desk_client, patient)
    assert first != second
    older, newer = letters(app)
    assert older.void_reason == "superseded" and newer.voided_at is None
    response = enter_activation_code(client, first)
    assert response.status_code == 410 and "no longer works" in text(response)
    assert enter_activation_code(app.test_client(), second).headers["Location"] == "/enroll"


def test_an_emailed_invitation_voids_a_letter_and_a_letter_voids_an_invitation(
        app, client, front_desk_client, patient, outbox):
    with app.app_context():
        db.session.get(Patient, patient.id).email = "wren@example.com"
        db.session.commit()
    _, code = print_letter(front_desk_client, patient)
    response = post_form(front_desk_client, chart_url(patient) + "/invitation", {},
                         page_url=chart_url(patient))
    assert response.status_code == 302
    letter, invitation = letters(app)
    assert letter.void_reason == "superseded" and invitation.kind == "email"
    assert enter_activation_code(client, code).status_code == 410
    print_letter(front_desk_client, patient)
    assert letters(app)[1].void_reason == "superseded"


def test_changing_the_chart_email_leaves_a_printed_letter_working(app, client, front_desk_client,
                                                                    patient):
    _, code = print_letter(front_desk_client, patient)
    with app.app_context():
        from portal.services import invitations
        from portal.services.audit import SYSTEM
        assert invitations.void_for_email_change(patient, SYSTEM) == 0
        db.session.commit()
    assert enter_activation_code(client, code).headers["Location"] == "/enroll"


def test_wrong_or_malformed_codes_say_what_to_fix_and_are_audited(app, client, front_desk_client,
                                                                  patient, audit_trail):
    print_letter(front_desk_client, patient)
    response = enter_activation_code(client, "ABCD EFGH JKLM")  # well formed, but no letter has it
    assert response.status_code == 400 and UNKNOWN in text(response)
    assert 'value="ABCD EFGH JKLM"' in text(response), "what was typed stays in the box"
    response = enter_activation_code(client, "ABCD EFGH JK")
    assert response.status_code == 200 and "has 12 letters and numbers" in text(response)
    response = enter_activation_code(client, "ABCD EFGH JKL0")
    assert "never has 0 (zero), O, 1 (one) or I" in text(response)
    assert "Enter the activation code" in text(enter_activation_code(client, ""))
    [refused] = audit_trail.rows("invitation.code_refused")
    assert refused.detail == "unknown" and refused.patient_id is None
    assert "ABCD" not in refused.detail


def test_guessing_codes_is_limited_per_address(app, client, front_desk_client, patient):
    _, code = print_letter(front_desk_client, patient)
    for guess in range(10):
        assert enter_activation_code(client, f"ABCD EFGH {codes.ALPHABET[guess]}KLM").status_code == 400
    assert enter_activation_code(client, "ABCD EFGH JKLM").status_code == 429
    assert enter_activation_code(client, code).status_code == 429, "the right code waits too"
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert enter_activation_code(other, code).headers["Location"] == "/enroll"


def test_guessing_over_all_addresses_cannot_lock_out_a_real_letter(app, front_desk_client, patient):
    """20 addresses spend their 10 guesses each (200 wrong codes, the practice-wide cap): a
    21st address with a valid code still gets in; an address that typed a wrong code itself
    waits while the cap is spent."""
    _, code = print_letter(front_desk_client, patient)
    for number in range(20):
        browser = app.test_client()
        browser.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        for guess in range(10):
            wrong_code = f"ABCD EFGH {codes.ALPHABET[guess]}KLM"
            assert enter_activation_code(browser, wrong_code).status_code == 400
        assert enter_activation_code(browser, code).status_code == 429  # its own 10 are spent
    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "203.0.113.77"
    assert enter_activation_code(fresh, code).headers["Location"] == "/enroll"
    guesser = app.test_client()
    guesser.environ_base["REMOTE_ADDR"] = "203.0.113.78"
    assert enter_activation_code(guesser, "ABCD EFGH JKLM").status_code == 400  # a first wrong code
    assert enter_activation_code(guesser, "ABCD EFGH JKLN").status_code == 429  # then the cap holds


def test_an_email_typed_at_enrollment_is_confirmed_by_its_link(app, client, front_desk_client, patient,
                                                               outbox, patient_client):
    _, code = print_letter(front_desk_client, patient)
    verify(client, code)
    kept = post_form(client, "/enroll/account", {**ACCOUNT, "email": "Wren@Example.com"})
    assert kept.headers["Location"] == "/enroll/consent"
    assert outbox.queued == [], "the link is sent once the account is open, not before"
    assert 'value="Wren@Example.com"' not in text(client.get("/enroll/consent"))
    assert 'value="wren@example.com"' in text(client.get("/enroll/account")), "kept to change"
    response = post_form(client, "/enroll/consent", CONSENT)
    assert response.headers["Location"] == "/home"
    page = text(client.get("/home"))
    assert "We sent a link to wren@example.com" in page
    [confirmation] = outbox.queued
    assert confirmation.recipient == "wren@example.com"
    with app.app_context():
        assert db.session.scalar(select(PatientAccount.email)) == "", "not until confirmed"
    link = re.search(r"http://portal\.test(/profile/email/confirm\?t=\S+)",
                     confirmation.body_text).group(1)
    browser = patient_client("wren", PASSWORD)
    browser.get(link)
    confirm_page = browser.get("/profile/email/confirm")
    assert confirm_page.status_code == 200, text(confirm_page)
    post_form(browser, "/profile/email/confirm", {})
    with app.app_context():
        assert db.session.scalar(select(PatientAccount.email)) == "wren@example.com"


def test_a_bad_email_keeps_the_rest_of_the_account_form(app, client, front_desk_client, patient):
    _, code = print_letter(front_desk_client, patient)
    verify(client, code)
    response = post_form(client, "/enroll/account", {**ACCOUNT, "email": "not an address"})
    assert response.status_code == 200 and "Enter an email address like" in text(response)
    assert 'value="wren"' in text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count(PatientAccount.id))) == 0


def test_without_an_email_forgot_password_says_to_call_and_sends_nothing(
        app, client, front_desk_client, patient, outbox, audit_trail, save_practice):
    save_practice(phone="555-0100")
    _, code = print_letter(front_desk_client, patient)
    verify(client, code)
    enroll(client)
    client = app.test_client()  # the patient forgets, later, in a browser signed out
    page = text(client.get("/forgot-password"))
    assert "No email address on your account?" in page and "Call us at 555-0100" in page
    post_form(client, "/forgot-password", {"name": "wren"})
    outbox.process_requests()
    assert outbox.queued == []
    [requested] = audit_trail.rows("recovery.reset_requested")
    assert requested.detail == "no email address on the account, nothing sent"


def test_staff_send_the_assisted_reset_to_the_chart_email_when_the_account_has_none(
        app, client, front_desk_client, patient, outbox):
    _, code = print_letter(front_desk_client, patient)
    verify(client, code)
    enroll(client)
    chart = text(front_desk_client.get(chart_url(patient)))
    assert "neither has the chart" in chart
    assert "Send a password reset link" not in chart
    with app.app_context():
        db.session.get(Patient, patient.id).email = "wren.home@example.com"
        db.session.commit()
    chart = text(front_desk_client.get(chart_url(patient)))
    assert "the link goes to the chart's address, wren.home@example.com" in chart
    response = post_form(front_desk_client, chart_url(patient) + "/password-reset", {},
                         page_url=chart_url(patient))
    assert response.status_code == 302
    [reset] = outbox.queued
    assert reset.recipient == "wren.home@example.com" and "/reset?t=" in reset.body_text


# -- who may print, and when --------------------------------------------------------------------

def test_no_letter_for_a_patient_with_an_account_or_an_inactive_chart(app, front_desk_client,
                                                                       make_account, make_patient):
    account = make_account(username="holly", account_number="MG-3003")
    url = f"/staff/patients/{account.patient_id}"
    response = post_form(front_desk_client, url + "/activation-letter.pdf", {}, page_url=url)
    assert response.status_code == 302
    assert get_message("letter_has_account")[0] in text(front_desk_client.get(url))
    inactive = make_patient(account_number="MG-4004", status="inactive")
    url = f"/staff/patients/{inactive.id}"
    assert "Print activation letter" not in text(front_desk_client.get(url))
    response = post_form(front_desk_client, url + "/activation-letter.pdf", {}, page_url=url)
    assert response.status_code == 302
    assert get_message("letter_inactive")[0] in text(front_desk_client.get(url))
    assert letters(app) == []


def test_printing_needs_staff_and_the_form_token(app, client, front_desk_client, patient, make_account,
                                                 patient_client):
    url = chart_url(patient) + "/activation-letter.pdf"
    assert front_desk_client.post(url).status_code == 400  # no CSRF token
    assert client.post(url, data={"csrf_token": csrf_token(client, "/sign-in")}).status_code in (302, 401)
    make_account(username="holly", account_number="MG-3003")
    browser = patient_client("holly")
    response = browser.post(url, data={"csrf_token": csrf_token(browser, "/profile")})
    assert response.status_code in (403, 404)
    assert letters(app) == []


def test_a_signed_in_patient_is_asked_to_sign_out_first(app, make_account, patient_client):
    make_account(username="holly", account_number="MG-3003")
    browser = patient_client("holly")
    response = browser.get("/activate")
    assert response.status_code == 409 and "Sign out first" in text(response)


def test_the_code_days_setting_takes_1_to_90(app, admin, client):
    from helpers import PRACTICE_SETTINGS

    from portal.services.practice import get_practice

    assert "Days an activation letter" in text(client.get("/admin/settings"))
    for days, accepted in (("0", False), ("91", False), ("ten", False), ("90", True)):
        response = post_form(client, "/admin/settings", {**PRACTICE_SETTINGS, "activation_code_days": days})
        assert (response.status_code == 302) == accepted, days
        if not accepted:
            assert "Enter a number of days from 1 to 90." in text(response)
    with app.app_context():
        assert get_practice().activation_code_days == 90
