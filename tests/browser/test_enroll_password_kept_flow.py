"""On a phone, the account step refused for a taken username keeps a good password: the boxes
come back empty with a line saying so, and fixing only the username goes on to the consent;
the enrollment ends signed in, and the first password signs in again. Without JavaScript
(its core task) and with it (axe-core runs inside the page)."""

import pytest
from playwright.sync_api import expect

from .helpers import fill_identity, main_nav

FRONT_DESK = "frontdesk@practice.test"
PASSWORD = "copper meadow violin harbor"
KEPT_LINE = "Your password is kept. Leave these boxes empty to keep it, or type a new one."


@pytest.mark.parametrize("javascript", [False, True])
def test_a_taken_username_on_a_phone_asks_only_for_the_username(
        open_context, make_staff, make_account, sign_in, add_patient, save_practice, eml_link,
        axe_check, assert_phone_layout, javascript):
    save_practice()
    make_account(username="maria.lopez", account_number="OTHER-9", email="other@example.com")
    chart = add_patient(account_number="RFM-2041", email="maria.lopez@example.com")
    make_staff("front_desk", email=FRONT_DESK, name="Sam Ortiz")
    staff = open_context("desktop").new_page()
    sign_in(staff, FRONT_DESK)
    staff.goto(f"/staff/patients/{chart}")
    staff.locator("#portal-access").get_by_role("button", name="Send invitation").click()
    expect(staff.get_by_role("status").first).to_contain_text("The invitation was emailed")

    page = open_context("phone", java_script_enabled=javascript).new_page()
    page.goto(eml_link("/enroll?t=")[1])
    page.wait_for_url("**/enroll")
    fill_identity(page, "RFM-2041")
    page.wait_for_url("**/enroll/account")

    page.get_by_label("Choose a username").fill("maria.lopez")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_label("What was the first concert you went to?").check()
    page.get_by_label("Your answer").fill("The Cure, 1989")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.locator(".error-summary")).to_contain_text("That username is taken.")
    expect(page.locator("#password-kept")).to_have_text(KEPT_LINE)
    expect(page.get_by_label("New password", exact=True)).to_have_value("")
    expect(page.get_by_label("New password again")).to_have_value("")
    assert PASSWORD not in page.content()
    assert_phone_layout(page)
    if javascript:
        axe_check(page)

    page.get_by_label("Choose a username").fill("maria.lopez2")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url("**/enroll/consent")
    page.get_by_label("Type your full legal name").fill("Maria Lopez")
    page.get_by_label("I have read and agree to this document").check()
    page.get_by_role("button", name="Sign and open my account").click()
    page.wait_for_url("**/home")

    main_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    page.get_by_label("Username or email address").fill("maria.lopez2")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/home")
