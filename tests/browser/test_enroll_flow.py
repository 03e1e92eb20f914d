"""Enrollment in Chromium: staff invite from the chart -> the link from the .eml in the outbox ->
step 1, the identity check -> step 2, the account -> step 3, the portal consent (a drawn
signature with JavaScript, the typed name alone without; a wrong name asks only for the name)
-> signed in on /home -> sign out and in again. At desktop and 375 px, axe-core clean on every
page, and the whole of it with JavaScript off."""


import pytest
from playwright.sync_api import expect

from .helpers import draw_signature, fill_identity, main_nav, sign_and_wait, stored_signatures

FRONT_DESK = "frontdesk@practice.test"
PATIENT_EMAIL = "maria.lopez@example.com"
PASSWORD = "copper meadow violin harbor"
CONSENT_TITLE = "Patient portal consent"


def short_enough(page):
    """The identity and account steps are at most about half the one page that held the
    account and the whole consent (about 4,600 px tall at 375 px)."""
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 2400, height


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("desktop", False), ("phone", False)])
def test_invite_enroll_sign_in_and_out(app, open_context, make_staff, sign_in, add_patient, save_practice,
                                       eml_link, axe_check, assert_phone_layout, kind, javascript):
    save_practice()
    chart = add_patient(account_number="RFM-2041", email=PATIENT_EMAIL)
    make_staff("front_desk", email=FRONT_DESK, name="Sam Ortiz")

    def accessible(page):
        """axe-core runs inside the page, so only with JavaScript on (the same pages are
        checked in the runs that have it)."""
        if javascript:
            axe_check(page)

    # Staff: the chart's "Portal access" section, then "Send invitation".
    staff = open_context("desktop", java_script_enabled=javascript).new_page()
    sign_in(staff, FRONT_DESK)
    staff.goto(f"/staff/patients/{chart}")
    access = staff.locator("#portal-access")
    expect(access.get_by_role("heading", level=2)).to_have_text("Portal access")
    expect(access.locator(".portal-status")).to_have_text("Not invited.")
    accessible(staff)
    access.get_by_role("button", name="Send invitation").click()
    expect(staff.get_by_role("status").first).to_contain_text("The invitation was emailed")
    expect(access.locator(".portal-status")).to_contain_text("Invited on")
    expect(access.get_by_role("button", name="Revoke invitation")).to_be_visible()
    accessible(staff)

    # The patient, in their own browser, from the emailed link.
    page = open_context(kind, java_script_enabled=javascript).new_page()

    def ok():
        accessible(page)
        if kind == "phone":
            assert_phone_layout(page)

    message, link = eml_link("/enroll?t=")
    assert message["To"] == PATIENT_EMAIL
    page.goto(link)
    page.wait_for_url("**/enroll")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm it is you")
    expect(page.locator("#date_of_birth-month")).to_have_attribute("autocomplete", "bday-month")
    expect(page.get_by_text("Setting up your portal account: Step 1 of 3")).to_be_visible()
    short_enough(page)
    ok()
    fill_identity(page, "RFM-2042")
    expect(page.locator(".error-summary")).to_contain_text("Those details do not match our records")
    assert page.title().startswith("Error:")
    ok()
    fill_identity(page, "rfm-2041")
    page.wait_for_url("**/enroll/account")
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your sign-in details")
    expect(page.get_by_text("Setting up your portal account: Step 2 of 3")).to_be_visible()
    short_enough(page)
    ok()

    # Step 2 holds only the sign-in details. A first try with the confirmation mistyped.
    expect(page.get_by_label("Type your full legal name")).to_have_count(0)
    page.get_by_label("Choose a username").fill("maria.lopez")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD + "s")
    page.get_by_label("What was the first concert you went to?").check()
    page.get_by_label("Your answer").fill("The Cure, 1989")
    page.get_by_role("button", name="Save and continue").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The two passwords are not the same.")
    expect(page.locator("#password-strength")).to_contain_text("accepted by our rules")
    expect(page.get_by_label("Choose a username")).to_have_value("maria.lopez")
    expect(page.get_by_label("New password", exact=True)).to_have_value("")
    assert page.title().startswith("Error:")
    ok()
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_role("button", name="Save and continue").click()

    # Step 3: the whole portal consent, signed with the kept account. Without JavaScript the
    # drawing pad stays hidden and the typed name alone signs.
    page.wait_for_url("**/enroll/consent")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign the portal consent")
    expect(page.get_by_text("Setting up your portal account: Step 3 of 3")).to_be_visible()
    pad = page.locator("#signature-pad")
    if javascript:
        expect(pad).to_be_visible()
        expect(pad.locator("canvas")).to_have_attribute("aria-label",
                                                       "Signature drawing area (optional)")
    else:
        expect(pad).to_be_hidden()
    ok()

    # A name that is not the chart's: only the name is asked again, never the password.
    page.get_by_label("Type your full legal name").fill("Maria Lopes")
    page.get_by_label("I have read and agree to this document").check()
    page.get_by_role("button", name="Sign and open my account").click()
    expect(page.locator(".error-summary")).to_contain_text("does not match our records")
    expect(page.locator("input[type=password]")).to_have_count(0)
    assert PASSWORD not in page.content()
    assert page.title().startswith("Error:")
    ok()

    policy_link = page.get_by_role("link", name="Printable page")
    expect(policy_link).to_have_attribute("target", "_blank")
    policy_page = page.context.new_page()
    policy_page.goto(policy_link.get_attribute("href"))
    expect(policy_page.get_by_role("heading", level=1)).to_have_text(CONSENT_TITLE)
    accessible(policy_page)
    policy_page.close()

    page.get_by_label("Type your full legal name").fill("maría  LÓPEZ")
    page.get_by_label("I have read and agree to this document").check()
    if javascript:
        draw_signature(page, touch=kind == "phone")
    sign_and_wait(page, "Sign and open my account", "**/home")

    # Signed in by finishing, straight to the home, past the consent gate.
    expect(page.get_by_role("status").first).to_have_text(
        "Your account is ready and you are signed in. Next time, sign in with your username "
        "and password.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maria")
    ok()
    assert stored_signatures(app) == [("consent", "maría LÓPEZ", "online", javascript)]
    main_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    page.get_by_label("Username or email address").fill("maria.lopez")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/home")

    staff.reload()
    expect(access.locator(".portal-status")).to_contain_text("Active: username maria.lopez, since")
