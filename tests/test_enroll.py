"""Enrollment: staff invite from the chart; the patient opens the emailed link, proves who they
are, and sets up an account. Links are read from the outbox, as a patient would from email."""

import re
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from account_steps import (
    ACCOUNT,
    ACCOUNT_NUMBER,
    BORN,
    IDENTITY,
    PASSWORD,
    chart_url,
    create,
    invite,
    save_account,
    sign_consent,
    verify,
)
from conftest import AuthActions, csrf_token, open_link, post_form
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import (
    AuditEvent,
    DocumentVersion,
    Invitation,
    Patient,
    PatientAccount,
    Signature,
)
from portal.models.types import utcnow
from portal.services import accounts
from portal.services.consents import reports
from portal.services.practice import get_practice
from portal.services.setup import install_defaults
from portal.services.tokens import make_token

IDENTITY_FAILED = get_message("enroll_identity_failed")[0]
SUMMARY = re.compile(r'<div class="error-summary".*?</div>', re.S)


def text(response):
    return response.get_data(as_text=True).replace("&#39;", "'")


def local_day(moment):
    """A UTC moment as the chart shows it (the practice's default zone, New York)."""
    return moment.astimezone(ZoneInfo("America/New_York")).strftime("%b %d, %Y")


@pytest.fixture
def patient(make_patient):
    return make_patient(account_number=ACCOUNT_NUMBER, date_of_birth=BORN)


@pytest.fixture
def front_desk_client(staff_client):
    """Here one browser, signed in as front-desk staff (the patient uses `client`)."""
    return staff_client("front_desk")


def the_invitation(app, **where):
    with app.app_context():
        rows = db.session.scalars(select(Invitation).filter_by(**where).order_by(Invitation.id)).all()
        db.session.expunge_all()
        return rows[-1]


def account_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(PatientAccount.id)))


# -- the whole flow ---------------------------------------------------------------------------

def test_invite_verify_enroll_and_sign_in(app, client, front_desk_client, patient, outbox, auth, audit_trail):
    link = invite(front_desk_client, patient)
    [email] = outbox.queued
    assert email.recipient == patient.email
    assert ACCOUNT_NUMBER not in email.body_text and "1980" not in email.body_text

    page = open_link(client, link)
    assert page.status_code == 200 and "Confirm it is you" in text(page)
    assert "Robin" not in text(page), "nothing about the patient before the identity check"
    client.get("/enroll")  # opened twice: one audit row
    invitation = the_invitation(app)
    assert invitation.opened_at is not None

    wrong = post_form(client, "/enroll", {**IDENTITY, "account_number": "MG-1002"})
    assert wrong.status_code == 200 and IDENTITY_FAILED in text(wrong)
    # Account numbers compare as the chart stores them: case and spaces do not matter.
    response = post_form(client, "/enroll", {**IDENTITY, "account_number": " mg-1001 "})
    assert response.headers["Location"] == "/enroll/account"
    assert client.get("/enroll").headers["Location"] == "/enroll/account"
    assert "Thank you, Robin" in text(client.get("/enroll/account"))

    response = create(client, username="Robin.Q")
    assert response.status_code == 302 and response.headers["Location"] == "/home"
    assert get_message("enroll_finished")[0] in text(client.get("/home"))

    with app.app_context():
        account = db.session.scalar(select(PatientAccount))
        assert (account.username, account.email) == ("robin.q", patient.email)
        [signature] = db.session.scalars(select(Signature)).all()
        assert (signature.patient_id, signature.signer_account_id) == (patient.id, account.id)
        assert (signature.signer_name, signature.kind) == ("robin QUILL", "consent")
        consent = db.session.get(DocumentVersion, signature.version_id)
        assert consent.title == "Patient portal consent" and consent.validity_months == 12
        assert account.policy_digest == accounts.policy_digest(consent.body)
        assert reports.signature_pdf(signature.id).startswith(b"%PDF-")
        assert accounts.answer_matches(account, "grace  HOPPER!")
    invitation = the_invitation(app)
    assert invitation.used_at and invitation.identity_verified_at and invitation.identity_failures == 1

    welcome = outbox.queued[-1]
    assert welcome.recipient == patient.email and "http://portal.test/sign-in" in welcome.body_text
    assert ACCOUNT_NUMBER not in welcome.body_text and "robin.q" not in welcome.body_text

    assert AuthActions(app.test_client()).patient_sign_in("robin.q", PASSWORD).headers["Location"] == "/home"
    trail = audit_trail.actions()
    for action in ("invitation.sent", "invitation.opened", "invitation.identity_failed",
                   "invitation.identity_passed", "patient.account_created", "invitation.used"):
        assert action in trail, f"{action} not audited: {trail}"
    assert trail.count("invitation.opened") == 1
    with app.app_context():
        sent = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.sent"))
        assert sent.actor_kind == "staff" and sent.actor_id == front_desk_client.staff.id
        assert sent.patient_id == patient.id


def test_link_is_built_from_the_base_url_and_leaves_the_address_bar(app, client, front_desk_client,
                                                                     patient):
    link = invite(front_desk_client, patient)
    response = client.get(link)
    assert response.headers["Location"] == "/enroll"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "t=" not in client.get("/enroll").request.url


def test_invitation_expiry_is_a_setting(app, client, front_desk_client, patient):
    app.config["INVITATION_DAYS"] = 2
    started = utcnow()
    link = invite(front_desk_client, patient)
    invitation = the_invitation(app)
    assert timedelta(days=2) <= invitation.expires_at - started < timedelta(days=2, minutes=1)
    with freeze_time(invitation.expires_at + timedelta(seconds=1)):
        assert open_link(client, link).status_code == 410


def test_lowering_the_setting_spares_links_already_sent(app, client, front_desk_client, patient):
    """The lifetime is stamped on the row when sent; the setting only shapes new invitations."""
    app.config["INVITATION_DAYS"] = 7
    link = invite(front_desk_client, patient)
    sent = the_invitation(app).created_at
    app.config["INVITATION_DAYS"] = 1
    with freeze_time(sent + timedelta(days=3)):
        response = open_link(client, link)
        assert response.status_code == 200, text(response)
    with freeze_time(sent + timedelta(days=7, seconds=1)):
        assert open_link(app.test_client(), link).status_code == 410


# -- links that must not work -----------------------------------------------------------------

def test_no_token_gets_a_page_saying_to_open_the_email(client):
    response = client.get("/enroll")
    assert response.status_code == 400 and "Open the link from your invitation email" in text(response)
    assert client.get("/enroll/account").status_code == 400
    assert open_link(client, "/enroll?t=").status_code == 400


@pytest.mark.parametrize("spoil", [
    lambda link: link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"),
    lambda link: link.replace("t=", "t=x"),
    lambda link: "/enroll?t=not-a-token",
])
def test_tampered_token(app, client, front_desk_client, patient, spoil, save_practice):
    save_practice(phone="555-201-0100")
    link = invite(front_desk_client, patient)
    response = open_link(client, spoil(link))
    assert response.status_code == 400
    assert "This invitation link does not work" in text(response) and "555-201-0100" in text(response)
    assert post_form(client, "/enroll", IDENTITY, page_url="/sign-in").status_code == 400


def test_token_naming_a_missing_invitation_or_wrong_nonce(app, client, front_desk_client, patient):
    invite(front_desk_client, patient)
    invitation = the_invitation(app)
    with app.test_request_context():
        wrong_nonce = make_token("invite", {"i": invitation.id, "n": "guessed"})
        missing = make_token("invite", {"i": invitation.id + 1, "n": invitation.nonce})
        odd = make_token("invite", ["not", "a", "dict"])
    for token in (wrong_nonce, missing, odd):
        assert open_link(client, "/enroll?t=" + token).status_code == 400


def test_wrong_purpose_token(app, client, front_desk_client, patient):
    invite(front_desk_client, patient)
    invitation = the_invitation(app)
    with app.test_request_context():
        reset = make_token("reset", {"i": invitation.id, "n": invitation.nonce})
    response = open_link(client, "/enroll?t=" + reset)
    assert response.status_code == 400 and "does not work" in text(response)
    assert the_invitation(app).opened_at is None


def test_expired_token(app, client, front_desk_client, patient, save_practice):
    save_practice(phone="555-201-0100")
    link = invite(front_desk_client, patient)
    sent = the_invitation(app).created_at
    with freeze_time(sent + timedelta(days=7, seconds=1)):
        response = open_link(client, link)
        assert response.status_code == 410
        assert "This invitation has expired" in text(response)
        assert "new invitation" in text(response) and "555-201-0100" in text(response)
    # Expiring between the two steps: the identity check is refused too.
    other = app.test_client()
    open_link(other, link)
    with freeze_time(sent + timedelta(days=7, seconds=1)):
        assert post_form(other, "/enroll", IDENTITY, page_url="/sign-in").status_code == 410


def test_expired_between_identity_and_account(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    verify(client, link)
    with freeze_time(the_invitation(app).expires_at + timedelta(seconds=1)):
        response = create(client, page_url="/sign-in")
    assert response.status_code == 410 and account_count(app) == 0


def test_used_link_cannot_be_used_again(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    verify(client, link)
    assert create(client).status_code == 302
    again = open_link(app.test_client(), link)
    assert again.status_code == 410
    assert "already been used" in text(again) and 'href="/sign-in"' in text(again)
    AuthActions(client).sign_out()  # the patient was signed in by enrolling
    assert open_link(client, link).status_code == 410
    assert account_count(app) == 1


def test_new_invitation_supersedes_the_older_link(app, client, front_desk_client, patient, audit_trail):
    first = invite(front_desk_client, patient)
    second = invite(front_desk_client, patient)
    assert first != second
    response = open_link(client, first)
    assert response.status_code == 410 and "newest email" in text(response)
    with app.app_context():
        older, newer = db.session.scalars(select(Invitation).order_by(Invitation.id)).all()
        assert (older.void_reason, newer.voided_at) == ("superseded", None)
    assert open_link(client, second).status_code == 200
    assert "invitation.voided" in audit_trail.actions()


def chart_form(patient, **changes):
    return {"account_number": patient.account_number, "first_name": patient.first_name,
            "last_name": patient.last_name, "date_of_birth-month": str(patient.date_of_birth.month),
            "date_of_birth-day": str(patient.date_of_birth.day),
            "date_of_birth-year": str(patient.date_of_birth.year), "sex": patient.sex,
            "email": patient.email, "status": "active", **changes}


def test_changing_the_chart_email_voids_the_invitation(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    edit = chart_url(patient) + "/edit"
    post_form(front_desk_client, edit, chart_form(patient, phone="555-201-0199"))
    assert the_invitation(app).voided_at is None, "other changes leave the invitation alone"
    post_form(front_desk_client, edit, chart_form(patient, email="robin.new@example.com"))
    assert the_invitation(app).void_reason == "email_changed"
    assert open_link(client, link).status_code == 410
    page = text(front_desk_client.get(chart_url(patient)))
    assert "Invitation void: the chart's email address changed" in page
    # The new invitation goes to the new address.
    invite(front_desk_client, patient)
    assert the_invitation(app).email == "robin.new@example.com"


def test_revoked_invitation(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    chart = chart_url(patient)
    response = post_form(front_desk_client, chart + "/invitation/revoke", {}, page_url=chart)
    assert response.status_code == 302
    assert get_message("invitation_revoked")[0] in text(front_desk_client.get(chart))
    assert open_link(client, link).status_code == 410
    assert the_invitation(app).void_reason == "revoked"
    with app.app_context():
        revoked = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "invitation.revoked"))
        assert (revoked.actor_kind, revoked.actor_id) == ("staff", front_desk_client.staff.id)
    again = post_form(front_desk_client, chart + "/invitation/revoke", {}, page_url=chart)
    assert get_message("invitation_none_open")[0] in text(front_desk_client.get(again.headers["Location"]))


def test_signed_in_visitor_is_asked_to_sign_out_first(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    response = open_link(front_desk_client, link)
    assert response.status_code == 409 and "Sign out first" in text(response)
    assert the_invitation(app).opened_at is None


# -- the identity check -----------------------------------------------------------------------

def test_five_wrong_answers_void_the_invitation(app, client, front_desk_client, patient, save_practice,
                                                audit_trail):
    save_practice(phone="555-201-0100")
    link = invite(front_desk_client, patient)
    open_link(client, link)
    for tries_left in (4, 3, 2, 1):
        response = post_form(client, "/enroll", {**IDENTITY, "date_of_birth-year": "1981"})
        assert response.status_code == 200 and IDENTITY_FAILED in text(response)
        assert f"try {tries_left} more time" in text(response)
    response = post_form(client, "/enroll", {**IDENTITY, "date_of_birth-year": "1981"})
    assert response.status_code == 410
    assert "call the practice" in text(response) and "555-201-0100" in text(response)
    # Now even the right answers are refused, in this browser and any other.
    assert post_form(client, "/enroll", IDENTITY, page_url="/sign-in").status_code == 410
    assert open_link(app.test_client(), link).status_code == 410
    invitation = the_invitation(app)
    assert (invitation.identity_failures, invitation.void_reason) == (5, "identity_failures")
    assert invitation.identity_verified_at is None
    trail = audit_trail.actions()
    assert trail.count("invitation.identity_failed") == 5 and trail.count("invitation.voided") == 1
    page = text(front_desk_client.get(chart_url(patient)))
    assert "Invitation void: the date of birth and account number were entered wrongly 5 times" in page


def submit_at_once(browsers, url, forms):
    """POST forms[n] from browsers[n], all released together; returns the responses."""
    tokens = [csrf_token(browser, "/sign-in") for browser in browsers]
    start, results = threading.Barrier(len(browsers)), [None] * len(browsers)

    def submit(number):
        start.wait()
        results[number] = browsers[number].post(url, data={"csrf_token": tokens[number],
                                                           **forms[number]})

    threads = [threading.Thread(target=submit, args=(number,)) for number in range(len(browsers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_wrong_answers_at_once_are_all_counted(app, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    browsers = [app.test_client() for _ in range(5)]
    for browser in browsers:
        open_link(browser, link)
    wrong = {**IDENTITY, "account_number": "MG-0000"}
    results = submit_at_once(browsers, "/enroll", [wrong] * 5)
    assert sorted(result.status_code for result in results) == [200, 200, 200, 200, 410]
    invitation = the_invitation(app)
    assert (invitation.identity_failures, invitation.void_reason) == (5, "identity_failures")


def test_identity_answers_do_not_say_which_part_was_wrong(app, front_desk_client, make_patient):
    summaries = []
    for number, changes in enumerate([{"date_of_birth-day": "10"},
                                      {"account_number": "MG-9999"},
                                      {"date_of_birth-day": "10", "account_number": "MG-9999"}]):
        patient = make_patient(account_number=f"MG-100{number}", date_of_birth=BORN,
                               email=f"p{number}@example.com")
        visitor = app.test_client()
        response = verify(visitor, invite(front_desk_client, patient),
                          **{"account_number": f"MG-100{number}", **changes})
        page = text(response)
        assert response.status_code == 200 and "field-error" not in page
        summaries.append(SUMMARY.search(page).group(0))
    assert summaries[0] == summaries[1] == summaries[2]


def test_badly_typed_answers_are_not_counted(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    response = verify(client, link, **{"date_of_birth-month": "13", "account_number": ""})
    assert response.status_code == 200
    assert "The date of birth must be a real date." in text(response)
    assert "Enter your account number." in text(response)
    assert the_invitation(app).identity_failures == 0


def test_account_step_needs_the_identity_check_in_this_browser(app, client, front_desk_client, patient):
    link = invite(front_desk_client, patient)
    open_link(client, link)
    assert client.get("/enroll/account").headers["Location"] == "/enroll"
    assert create(client, page_url="/enroll").headers["Location"] == "/enroll"
    # Verified in one browser does not carry over to another that has the same link.
    verify(client, link)
    other = app.test_client()
    open_link(other, link)
    assert other.get("/enroll/account").headers["Location"] == "/enroll"
    assert account_count(app) == 0


# -- the account step -------------------------------------------------------------------------

@pytest.mark.parametrize("changes, message", [
    ({"password": "short one", "confirm": "short one"}, "Use at least 15 characters"),
    ({"password": "a" * 129, "confirm": "a" * 129}, "Use at most 128 characters"),
    ({"password": "passwordpassword", "confirm": "passwordpassword"}, "most common passwords"),
    ({"password": "robinquill04091980", "confirm": "robinquill04091980"}, "too close to your name"),
    ({"confirm": PASSWORD + "x"}, "The two passwords are not the same."),
    ({"username": "r"}, "Use 3 to 40 letters"),
    ({"question": ""}, "Choose a security question."),
    ({"question": "favourite_colour"}, "Not a valid choice"),
    ({"answer": "a-!"}, "Use at least 3 letters or numbers in the answer."),
])
def test_account_form_refusals(app, client, front_desk_client, patient, changes, message):
    verify(client, invite(front_desk_client, patient))
    response = create(client, **changes)
    assert response.status_code == 200 and message in text(response)
    assert 'class="error-summary"' in text(response)
    assert account_count(app) == 0 and the_invitation(app).used_at is None
    assert client.get("/enroll/consent").headers["Location"] == "/enroll/account"


@pytest.mark.parametrize("changes, message", [
    ({"agree": ""}, "Tick “I have read and agree” to sign."),
    ({"legal_name": ""}, "Type your full legal name to sign."),
    ({"legal_name": "Robin Smith"}, "does not match our records"),
])
def test_consent_form_refusals(app, client, front_desk_client, patient, changes, message):
    """The account step was kept: a refusal at the consent asks only for the consent again."""
    verify(client, invite(front_desk_client, patient))
    response = create(client, **changes)
    assert response.status_code == 200 and message in text(response)
    assert 'class="error-summary"' in text(response)
    assert 'type="password"' not in text(response) and PASSWORD not in text(response)
    assert account_count(app) == 1 and the_invitation(app).used_at is None
    with app.app_context():
        assert db.session.scalar(select(PatientAccount.status)) == "pending"
        assert db.session.scalar(select(func.count(Signature.id))) == 0


def test_taken_username(app, client, front_desk_client, patient, make_account):
    make_account(username="robin", account_number="OTHER-1", email="other@example.com")
    verify(client, invite(front_desk_client, patient))
    response = create(client, username="ROBIN")
    assert "That username is taken." in text(response) and account_count(app) == 1


def test_strength_note_when_the_form_is_shown_again(app, client, front_desk_client, patient):
    verify(client, invite(front_desk_client, patient))
    weak = "qwertyuiop123456789"
    page = text(create(client, password=weak, confirm=weak, answer="a-!"))
    assert "accepted by our rules. Its strength: " in page and 'id="password-strength"' in page
    assert 'value="' + weak not in page, "a password is never sent back to the browser"
    refused = text(create(client, password="short one", confirm="short one"))
    assert "Use at least 15 characters" in refused and "password-strength" not in refused
    assert "password-strength" not in text(client.get("/enroll/account"))


@pytest.mark.no_defaults  # the policy is folded in when `portal setup` makes the defaults
def test_the_account_page_shows_the_whole_consent_with_the_practices_own_policy(
        app, client, front_desk_client, patient):
    """A policy the practice wrote in its settings before consents were documents becomes the
    policy part of the portal consent, shown whole on the page, printable, and signed."""
    with app.app_context():  # as an upgraded practice has it: the column is no setting now
        practice = get_practice()
        practice.portal_policy = "Maple rules\n\nUse the portal for non-urgent questions only."
        db.session.add(practice)
        db.session.commit()
        install_defaults()  # then `portal setup` makes the defaults
        db.session.commit()
    verify(client, invite(front_desk_client, patient))
    assert "non-urgent" not in text(client.get("/enroll/account")), "the consent is step 3"
    save_account(client)
    page = text(client.get("/enroll/consent"))
    assert "Use the portal for non-urgent questions only." in page
    assert "Patient portal consent" in page and "What you agree to" in page
    assert 'href="/policy" target="_blank"' in page
    printable = app.test_client().get("/policy")
    assert printable.status_code == 200
    assert "Use the portal for non-urgent questions only." in text(printable)
    assert 'media="print"' in text(printable) and "print.css" in text(printable)
    assert sign_consent(client).status_code == 302
    with app.app_context():
        signature = db.session.scalar(select(Signature))
        assert "Maple rules" in db.session.get(DocumentVersion, signature.version_id).body


def test_default_policy_when_the_practice_has_none(client):
    page = text(client.get("/policy"))
    assert "Not for emergencies" in page
    assert page.count("Portal policy and procedures") == 1  # a section of the consent


def test_two_submissions_at_once_make_exactly_one_account(app, front_desk_client, patient, audit_trail):
    link = invite(front_desk_client, patient)
    browsers = [app.test_client(), app.test_client()]
    for browser in browsers:
        assert verify(browser, link).headers["Location"] == "/enroll/account"
    results = submit_at_once(browsers, "/enroll/account",
                             [{**ACCOUNT, "username": f"robin{number}"} for number in (0, 1)])
    # Both kept the account step: the second replaced the first's details on one account.
    assert [result.headers["Location"] for result in results] == ["/enroll/consent"] * 2
    assert account_count(app) == 1
    # The consent signed in one browser spends the invitation: the other's signing is refused
    # (under the invitation's lock, so at the same moment too).
    assert sign_consent(browsers[1]).headers["Location"] == "/home"
    late = sign_consent(browsers[0], page_url="/sign-in")
    assert late.status_code == 410 and "already been used" in text(late)
    trail = audit_trail.actions()
    assert trail.count("patient.account_created") == 1 and trail.count("invitation.used") == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(Signature.id))) == 1


def test_unique_chart_constraint_is_the_last_guard(app, client, front_desk_client, patient, monkeypatch):
    """Should the checks before it ever miss an account (another path making one at the same
    moment), the database refuses the second and the patient gets a clear page, not a 500."""
    verify(client, invite(front_desk_client, patient))
    with app.app_context():
        db.session.add(PatientAccount(patient_id=patient.id, username="made-elsewhere",
                                      email=patient.email, password_hash="x", security_question="x",
                                      security_answer_hash="x"))
        db.session.commit()
    monkeypatch.setattr(accounts, "account_for_patient", lambda patient_id: None)
    response = create(client)
    assert response.status_code == 410 and "already been used" in text(response)
    assert account_count(app) == 1 and the_invitation(app).used_at is None


def test_username_taken_in_the_same_moment(app, client, front_desk_client, patient, make_account,
                                           monkeypatch):
    """The form found the name free, but another patient took it before the insert."""
    from portal.blueprints.enroll import forms

    verify(client, invite(front_desk_client, patient))
    make_account(username="robin", account_number="OTHER-1", email="other@example.com")
    monkeypatch.setattr(forms, "username_problem", lambda username, except_id=None: None)
    response = create(client)
    assert response.status_code == 200 and "That username was just taken" in text(response)
    assert account_count(app) == 1 and the_invitation(app).used_at is None


# -- what staff see and may do ----------------------------------------------------------------

def status_of(front_desk_client, patient):
    """The chart's portal access status line, and the whole "Portal access" section."""
    page = text(front_desk_client.get(chart_url(patient)))
    section = re.search(r'<section class="portal-access".*?</section>', page, re.S).group(0)
    found = re.search(r'<p class="portal-status">(.*?)</p>', section, re.S)
    return " ".join(found.group(1).split()), section


def test_staff_see_each_state(app, client, front_desk_client, patient):
    status, page = status_of(front_desk_client, patient)
    assert status == "Not invited." and ">Send invitation<" in page and "Revoke" not in page

    link = invite(front_desk_client, patient)
    invitation = the_invitation(app)
    status, page = status_of(front_desk_client, patient)
    assert status == (f"Invited on {local_day(invitation.created_at)} "
                      f"(expires {local_day(invitation.expires_at)}), to {patient.email}.")
    assert ">Send a new invitation<" in page and ">Revoke invitation<" in page

    open_link(client, link)
    assert "opened the link on" in status_of(front_desk_client, patient)[0]

    with app.app_context():
        db.session.get(Invitation, invitation.id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    status, page = status_of(front_desk_client, patient)
    assert status.startswith("Invitation expired on ") and "Revoke" not in page
    assert ">Send a new invitation<" in page

    verify(app.test_client(), invite(front_desk_client, patient))
    assert "confirmed their identity" in status_of(front_desk_client, patient)[0]
    post_form(front_desk_client, chart_url(patient) + "/invitation/revoke", {}, page_url=chart_url(patient))
    assert status_of(front_desk_client, patient)[0].startswith("Invitation void: staff revoked it (sent ")

    other = app.test_client()
    verify(other, invite(front_desk_client, patient))
    create(other)
    status, page = status_of(front_desk_client, patient)
    assert status == f"Active: username robin, since {local_day(utcnow())}."
    assert "Send" not in page and "no invitation is needed" in page

    with app.app_context():
        account = db.session.scalar(select(PatientAccount))
        account.status, account.suspended_at = "suspended", utcnow()
        db.session.commit()
    status, _ = status_of(front_desk_client, patient)
    assert status == f"Suspended: username robin. Suspended on {local_day(utcnow())}."


def test_no_invitation_without_an_email_address(app, front_desk_client, make_patient, outbox, audit_trail):
    patient = make_patient(email="")
    status, page = status_of(front_desk_client, patient)
    assert "first add the patient's email address" in page and "Send invitation" not in page
    response = post_form(front_desk_client, chart_url(patient) + "/invitation", {},
                         page_url=chart_url(patient))
    assert get_message("invitation_no_email")[0] in text(front_desk_client.get(response.headers["Location"]))
    assert outbox.queued == [] and "invitation.sent" not in audit_trail.actions()


def test_no_invitation_when_an_account_exists(app, front_desk_client, make_account, outbox):
    account = make_account()
    with app.app_context():
        patient = db.session.get(Patient, account.patient_id)
        db.session.expunge(patient)
    response = post_form(front_desk_client, chart_url(patient) + "/invitation", {},
                         page_url=chart_url(patient))
    assert get_message("invitation_has_account")[0] in text(
        front_desk_client.get(response.headers["Location"]))
    assert outbox.queued == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_no_invitation_for_an_inactive_chart(app, front_desk_client, make_patient, outbox):
    patient = make_patient(status="deceased")
    assert "Only active charts" in status_of(front_desk_client, patient)[1]
    post_form(front_desk_client, chart_url(patient) + "/invitation", {}, page_url=chart_url(patient))
    assert outbox.queued == []


@pytest.mark.parametrize("role", ["billing", "nurse", "provider", "admin"])
def test_every_staff_role_can_invite(app, make_staff, make_patient, role):
    staff = make_staff(role)
    patient = make_patient()
    browser = app.test_client()
    AuthActions(browser).sign_in(staff.email)
    response = post_form(browser, chart_url(patient) + "/invitation", {}, page_url=chart_url(patient))
    assert response.headers["Location"] == chart_url(patient) + "#portal-access"
    assert the_invitation(app).sent_by_id == staff.id


def test_patients_and_visitors_cannot_use_the_staff_routes(app, client, auth, make_account,
                                                           make_patient):
    other = make_patient(account_number="T-2002", email="other@example.com")
    make_account(username="robin", account_number="T-3003", email="robin3@example.com")
    visitor = app.test_client()
    for path in ("/invitation", "/invitation/revoke"):
        response = post_form(visitor, chart_url(other) + path, {}, page_url="/sign-in")
        assert response.status_code == 302 and "/staff/sign-in" in response.headers["Location"]
    auth.patient_sign_in("robin")
    for path in ("/invitation", "/invitation/revoke"):
        assert post_form(client, chart_url(other) + path, {}, page_url="/home").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Invitation.id))) == 0


def test_unknown_chart_is_404(front_desk_client):
    response = post_form(front_desk_client, "/staff/patients/999999/invitation", {},
                         page_url="/staff/patients")
    assert response.status_code == 404


def test_invitation_routes_take_post_only(front_desk_client, patient):
    assert front_desk_client.get(chart_url(patient) + "/invitation").status_code == 405
