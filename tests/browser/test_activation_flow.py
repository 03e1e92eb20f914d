"""Enrollment by a printed activation letter in Chromium.

Front-desk staff press "Print activation letter (PDF)" on the chart; the browser downloads the
letter and its code is read from the PDF with pdftotext, as the patient reads the paper. The
patient, on a phone (375 px), follows "Have an activation letter?" from the sign-in page to
/activate: a code no letter has shows the error summary, a mistyped zero says what is wrong,
then the real code (typed in small letters with dashes) opens /enroll. One wrong identity says
how many tries the code has left; the right one opens step 2 of 3, /enroll/account, where the
email address is optional; step 3 of 3, /enroll/consent, signs the portal consent and lands
signed in on /home. The chart then shows the account. The walk runs with JavaScript on (axe-core on every
page, a finger-drawn signature) and off; on every page no id is used twice and the layout fits
375 px.

Over HTTPS (gunicorn with TLS, staff with two-step): the letter printed there names the https
/activate address, the patient walks from it to an account with an email address and confirms
that address from the emailed https link. Every post went over https, without a Referer, and
every cookie is a __Host- cookie.
"""

import re
from datetime import date

import pytest
from conftest import turn_on_two_step
from helpers import pdf_text
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.flash_messages import get_message
from portal.models import Invitation, PatientAccount, StaffUser

from . import helpers
from .helpers import (
    Mailbox,
    PostLog,
    assert_host_cookies,
    assert_unique_ids,
    draw_signature,
    main_nav,
    sign_and_wait,
    staff_signs_in,
    stored_signatures,
)

FRONT_DESK = "frontdesk@practice.test"
ACCOUNT_NUMBER = "MG-2002"
PASSWORD = "harbor violet compass 19"
PATIENT_EMAIL = "wren@example.com"
# A letter's code as printed: three groups of four from the 32 symbols (no 0, O, 1 or I).
CODE = re.compile(r"\b([2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4})\b")
LETTER_FILE = re.compile(r"activation-letter-\d+\.pdf")
UNKNOWN = get_message("activation_code_unknown")[0]
READY = get_message("enroll_finished")[0]


@pytest.fixture
def chart(add_patient):
    """Wren Ashdown's chart: active, with no email address and no portal account."""
    return add_patient(account_number=ACCOUNT_NUMBER, first_name="Wren", last_name="Ashdown",
                       date_of_birth=date(1961, 7, 23), email="")


def print_letter(staff, chart, tmp_path, ok=lambda: None):
    """On the chart: "Print activation letter (PDF)", the download saved and read with
    pdftotext. Returns (the code as printed, the letter's text, the download)."""
    staff.goto(f"/staff/patients/{chart}")
    access = staff.locator("#portal-access")
    expect(access.get_by_role("heading", level=2)).to_have_text("Portal access")
    expect(access.locator(".portal-status")).to_have_text("Not invited.")
    ok()
    with staff.expect_download() as download_info:
        access.get_by_role("button", name="Print activation letter (PDF)").click()
    download = download_info.value
    # A neutral name: it lands in the Downloads folder and the browser's history.
    assert LETTER_FILE.fullmatch(download.suggested_filename), download.suggested_filename
    path = tmp_path / "activation-letter.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    letter = pdf_text(path)
    codes = CODE.findall(letter)
    assert len(codes) == 1, letter
    for shown in ("Wren Ashdown", "Your activation code", "The code works once, until"):
        assert shown in letter, (shown, letter)
    # Never the date of birth or the account number: with the code, a finder would need them.
    for hidden in (ACCOUNT_NUMBER, "1961", "07/23", "July 23"):
        assert hidden not in letter, (hidden, letter)

    # The download left the chart in place; reloaded, it shows the letter as outstanding.
    staff.reload()
    expect(access.locator(".portal-status")).to_contain_text(
        "Activation letter outstanding: printed on")
    expect(access.locator(".portal-status")).to_contain_text("by Dana Front")
    expect(access.get_by_role("button", name="Revoke activation code")).to_be_visible()
    ok()
    return codes[0], letter, download


def enter_activation_code(page, typed):
    page.get_by_label("Activation code").fill(typed)
    page.get_by_role("button", name="Continue").click()


def fill_identity(page, account_number=ACCOUNT_NUMBER):
    helpers.fill_identity(page, account_number, born=("07", "23", "1961"))


def fill_account(page, email=""):
    page.get_by_label("Choose a username").fill("wren")
    page.get_by_label("Email address (optional)").fill(email)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_label("Who was your childhood hero?").check()
    page.get_by_label("Your answer").fill("Ada Lovelace")
    page.get_by_role("button", name="Save and continue").click()


def fill_consent(page, name="Wren Ashdown"):
    page.get_by_label("Type your full legal name").fill(name)
    page.get_by_label("I have read and agree to this document").check()


def expect_status(page, message):
    expect(page.get_by_role("status").filter(has_text=message)).to_have_text(message)


def stored_account(app):
    """(username, email) of the only portal account, and whether the letter was used."""
    with app.app_context():
        account = db.session.scalar(select(PatientAccount))
        letter = db.session.scalar(select(Invitation).where(Invitation.kind == "letter"))
        return (account.username, account.email), letter.used_at is not None


# -- over HTTP: staff print on the desktop, the patient enrolls on a phone ----------------------

@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_print_a_letter_and_enroll_with_its_code_on_a_phone(
        app, open_context, make_staff, sign_in, chart, save_practice, axe_check,
        assert_phone_layout, tmp_path, javascript):
    save_practice()
    make_staff("front_desk", email=FRONT_DESK, name="Dana Front")

    def checker(page, phone):
        def ok():
            assert_unique_ids(page)
            if javascript:  # axe-core runs inside the page: only with JavaScript on
                axe_check(page)
            if phone:
                assert_phone_layout(page)
        return ok

    # -- Staff print the letter from the chart, on the desk's computer. ----------------------
    staff = open_context("desktop", java_script_enabled=javascript).new_page()
    sign_in(staff, FRONT_DESK)
    code, letter, _download = print_letter(staff, chart, tmp_path, checker(staff, phone=False))
    assert "http://portal.test/activate" in letter  # the BASE_URL the app was given

    # -- The patient, on their phone: from the sign-in page to /activate. --------------------
    page = open_context("phone", java_script_enabled=javascript).new_page()
    ok = checker(page, phone=True)
    page.goto("/sign-in")
    page.get_by_role("link", name="Have an activation letter? Set up your account here.").click()
    page.wait_for_url("**/activate")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up your account with an activation letter")
    code_box = page.get_by_label("Activation code")
    expect(code_box).to_have_attribute("autocomplete", "off")
    expect(code_box).to_have_attribute("autocapitalize", "characters")
    ok()

    # A well-formed code that no letter has: the error summary, what was typed kept.
    wrong = "ABCD EFGH JKLM" if code != "ABCD EFGH JKLM" else "MLKJ HGFE DCBA"
    enter_activation_code(page, wrong)
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text(UNKNOWN)
    expect(code_box).to_have_value(wrong)
    assert page.title().startswith("Error:")
    ok()

    # A zero where the letter has none: said next to the box, linked from the summary.
    enter_activation_code(page, code[:-1] + "0")
    expect(summary).to_contain_text("It never has 0 (zero), O, 1 (one) or I.")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#code")
    assert page.title().startswith("Error:")
    ok()

    # The real code, typed as a person might: small letters, dashes between the groups.
    enter_activation_code(page, code.lower().replace(" ", "-"))
    page.wait_for_url("**/enroll")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    expect(page.get_by_text("Wren")).to_have_count(0)  # the code alone shows no name
    expect(page.get_by_text("Setting up your portal account: Step 1 of 3")).to_be_visible()
    ok()

    # One wrong account number: the letter's own words on how many tries are left.
    fill_identity(page, "MG-2003")
    expect(summary).to_contain_text("Those details do not match our records")
    expect(summary).to_contain_text("You can try 4 more times before this code stops working.")
    assert page.title().startswith("Error:")
    ok()
    fill_identity(page)
    page.wait_for_url("**/enroll/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your sign-in details")
    expect(page.get_by_text("Thank you, Wren.")).to_be_visible()
    expect(page.get_by_label("Email address (optional)")).to_have_value("")
    expect(page.get_by_text("Setting up your portal account: Step 2 of 3")).to_be_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2400, height  # about half the ~4,600 px page that held the consent too
    ok()

    # The account, without an email address, is kept; then the consent, where with
    # JavaScript a finger draws the signature.
    fill_account(page)
    page.wait_for_url("**/enroll/consent")
    expect(page.get_by_text("Setting up your portal account: Step 3 of 3")).to_be_visible()
    assert stored_account(app) == (("wren", ""), False)  # kept, the letter not spent yet
    fill_consent(page, "Wren Ash")
    page.get_by_role("button", name="Sign and open my account").click()
    expect(summary).to_contain_text("does not match our records")
    expect(page.locator("input[type=password]")).to_have_count(0)
    ok()
    fill_consent(page)
    if javascript:
        draw_signature(page, touch=True)
    else:
        expect(page.locator("#signature-pad")).to_be_hidden()
    sign_and_wait(page, "Sign and open my account", "**/home")

    # Signed in by finishing, straight to /home (the consent was signed with the account).
    expect_status(page, READY)
    expect(page.get_by_text("We sent a link to")).to_have_count(0)  # no address, no email
    expect(page.get_by_role("heading", level=1)).to_contain_text("Wren")
    ok()
    assert stored_account(app) == (("wren", ""), True)
    assert stored_signatures(app) == [("consent", "Wren Ashdown", "online", javascript)]
    main_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")

    # The letter's code worked once: typed again (signed out, in a fresh browser), it is refused.
    again = open_context("phone", java_script_enabled=javascript).new_page()
    again.goto("/activate")
    enter_activation_code(again, code)
    expect(again.get_by_role("heading", level=1)).to_have_text(
        "This activation code has already been used")

    staff.reload()
    expect(staff.locator("#portal-access .portal-status")).to_contain_text(
        "Active: username wren, since")


# -- over HTTPS: gunicorn with TLS, staff with two-step ---------------------------------------

def test_letter_enrollment_over_https(app, https_server, open_https_context, make_staff,
                                      staff_password, chart, save_practice, outbox, tmp_path):
    base = https_server.url
    posts = PostLog(base)
    mailbox = Mailbox(outbox)
    save_practice()
    front_desk = make_staff("front_desk", email=FRONT_DESK, name="Dana Front")
    secret, _codes = turn_on_two_step(app, StaffUser, front_desk.id)

    # -- Staff sign in with password and code, and print the letter. -------------------------
    staff_context = open_https_context("desktop")
    staff = posts.watch(staff_context.new_page())
    staff_signs_in(staff, FRONT_DESK, staff_password, secret)
    code, letter, download = print_letter(staff, chart, tmp_path)
    assert download.url == f"{base}/staff/patients/{chart}/activation-letter.pdf", download.url
    assert_host_cookies(staff_context)

    # -- The patient types the https address printed on the letter, on a phone, no script. ---
    address = f"{base}/activate"
    assert address in letter, letter
    context = open_https_context("phone", java_script_enabled=False)
    page = posts.watch(context.new_page())
    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Set up your account with an activation letter")
    enter_activation_code(page, code)
    page.wait_for_url(f"{base}/enroll")
    assert_host_cookies(context)
    fill_identity(page)
    page.wait_for_url(f"{base}/enroll/account")
    assert_host_cookies(context)
    fill_account(page, email=PATIENT_EMAIL)
    page.wait_for_url(f"{base}/enroll/consent")
    assert_host_cookies(context)
    fill_consent(page)
    sign_and_wait(page, "Sign and open my account", f"{base}/home")
    expect_status(page, READY)
    expect(page.get_by_role("status").filter(has_text="We sent a link to")).to_contain_text(
        PATIENT_EMAIL)
    assert stored_account(app) == (("wren", ""), True)  # the address waits for its link
    assert_host_cookies(context)

    # -- The emailed https link confirms the address typed at enrollment. --------------------
    message, link = mailbox.link("/profile/email/confirm?t=")
    assert message["To"] == PATIENT_EMAIL
    assert link.startswith(f"{base}/profile/email/confirm?t="), link
    page.goto(link)
    page.wait_for_url(f"{base}/profile/email/confirm")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your new email address")
    page.get_by_role("button", name="Use the new email address").click()
    page.wait_for_url(f"{base}/profile")
    expect_status(page, "Your email address was changed.")
    assert_host_cookies(context)
    assert stored_account(app) == (("wren", PATIENT_EMAIL), True)

    posted = posts.check()
    for path in ("/staff/sign-in", "/sign-in/code", f"/staff/patients/{chart}/activation-letter.pdf",
                 "/activate", "/enroll", "/enroll/account", "/enroll/consent",
                 "/profile/email/confirm"):
        assert path in posted, (path, posted)
    staff.reload()
    expect(staff.locator("#portal-access .portal-status")).to_contain_text(
        "Active: username wren, since")
