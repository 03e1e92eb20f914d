"""Two-step sign-in pages in Chromium: setup and code step pass axe-core at desktop and
375 px, and the code step works with JavaScript off."""

import re
from datetime import UTC, datetime

import pyotp
import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import StaffUser


@pytest.fixture(autouse=True)
def two_step_required(app):
    app.config["TWO_STEP_REQUIRED_FOR_STAFF"] = True


@pytest.fixture
def enrolled_staff(app, make_staff):
    """make_staff with two-step already on: returns (email, secret)."""

    def make(role="nurse"):
        staff = make_staff(role)
        with app.app_context():
            saved = db.session.get(StaffUser, staff.id)
            saved.totp_secret = pyotp.random_base32(32)
            saved.totp_enabled_at = datetime.now(UTC)
            db.session.commit()
            return staff.email, saved.totp_secret

    return make


def password_step(page, email, password):
    page.goto("/staff/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_setup_page(open_context, make_staff, staff_password, axe_check, assert_phone_layout,
                    viewport):
    staff = make_staff("nurse")
    page = open_context(viewport).new_page()
    password_step(page, staff.email, staff_password)
    page.wait_for_url("**/staff/two-step/setup")
    qr = page.get_by_role("img", name=re.compile("QR code"))
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    assert page.evaluate("document.querySelector('img.qr-code').naturalWidth") > 0
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)
    page.get_by_label("Code from the app").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator(".field-error")).to_be_visible()
    axe_check(page)
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    assert page.locator(".recovery-codes li").count() == 10
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.wait_for_url("**/staff/patients")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_code_page(open_context, enrolled_staff, staff_password, axe_check, assert_phone_layout,
                   viewport):
    email, secret = enrolled_staff()
    page = open_context(viewport).new_page()
    password_step(page, email, staff_password)
    page.wait_for_url("**/sign-in/code")
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)
    page.get_by_label("Sign-in code").fill("12345")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_be_visible()
    axe_check(page)
    page.get_by_label("Sign-in code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/patients")


def test_code_step_without_javascript(open_context, enrolled_staff, staff_password):
    email, secret = enrolled_staff()
    page = open_context("phone", java_script_enabled=False).new_page()
    password_step(page, email, staff_password)
    page.wait_for_url("**/sign-in/code")
    page.get_by_label("Sign-in code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/patients")
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_patient_turns_it_on(open_context, make_account, axe_check, assert_phone_layout,
                             patient_sign_in, viewport):
    from conftest import PATIENT_PASSWORD

    make_account(username="robin")
    page = open_context(viewport).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto("/profile/two-step")
    axe_check(page)
    page.get_by_label("Your current password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/profile/two-step/setup")
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved my codes, continue").click()
    page.wait_for_url("**/profile/two-step")
    expect(page.get_by_text("Two-step sign-in is on.", exact=True)).to_be_visible()
    axe_check(page)
