"""A patient who forgot the password resets it in Chromium: forgot password -> the link from the
.eml in the outbox -> security question -> new password -> sign in with it; the old one is
refused. At desktop and 375 px, axe-core clean on every page, and with JavaScript off."""


import pytest
from conftest import PATIENT_PASSWORD as OLD_PASSWORD
from conftest import SECURITY_ANSWER as ANSWER
from playwright.sync_api import expect

NEW_PASSWORD = "lantern orchard velvet harbor"


def check(page, kind, javascript, axe_check, assert_phone_layout):
    """axe-core and the phone layout need JavaScript in the page: with it off, the run
    proves the flow works and the JavaScript-on runs check the same pages."""
    if not javascript:
        return
    axe_check(page)
    if kind == "phone":
        assert_phone_layout(page)


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("desktop", False)])
def test_forgot_password_to_new_password(open_context, make_account, eml_link, axe_check,
                                         assert_phone_layout, patient_sign_in, kind, javascript):
    make_account(username="robin")
    page = open_context(kind, java_script_enabled=javascript).new_page()
    ok = lambda: check(page, kind, javascript, axe_check, assert_phone_layout)  # noqa: E731

    page.goto("/sign-in")
    ok()
    page.get_by_role("link", name="Forgot your username?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your username?")
    ok()
    page.get_by_role("link", name="Back to sign in").click()
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Forgot your password?")
    ok()
    page.get_by_role("button", name="Email me a reset link").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter your username or email")
    ok()
    page.get_by_label("Username or email address").fill("robin")
    page.get_by_role("button", name="Email me a reset link").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_text("If the username or email matches an account")).to_be_visible()
    ok()

    link = eml_link("/reset?t=")[1]
    page.goto(link)
    page.wait_for_url("**/reset")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answer your security question")
    ok()
    page.get_by_label("Who was your childhood hero?").fill("Ada Lovelace")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("does not match")
    if javascript:
        assert page.title().startswith("Error:")
    ok()
    page.get_by_label("Who was your childhood hero?").fill(ANSWER)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    ok()
    page.get_by_label("New password", exact=True).fill("short")
    page.get_by_label("New password again").fill("short")
    page.get_by_role("button", name="Save new password").click()
    expect(page.locator(".error-summary")).to_contain_text("at least 15")
    ok()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    ok()

    patient_sign_in(page, "robin", OLD_PASSWORD, expect_home=False)
    expect(page.get_by_text("did not match an account")).to_be_visible()
    patient_sign_in(page, "robin", NEW_PASSWORD)

    # The used link now gets a clear page.
    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("This reset link cannot be used")
    ok()
