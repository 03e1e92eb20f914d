"""The patient's account pages: axe-clean at desktop and 375 px, and usable without JavaScript."""

import re

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect

NEW_PASSWORD = "a fresh kettle sings at dawn"
LINK = re.compile(r"http://portal\.test(/profile/email/confirm\?t=\S+)")


def check(page, axe_check, assert_phone_layout, kind):
    axe_check(page)
    if kind == "phone":
        assert_phone_layout(page)


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_profile_pages_are_accessible(open_context, make_account, outbox, axe_check,
                                      assert_phone_layout, patient_sign_in, kind):
    make_account()
    page = open_context(kind).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    for path in ("/profile", "/profile/password", "/profile/security-question", "/profile/email",
                 "/profile/notices", "/profile/activity"):
        page.goto(path)
        check(page, axe_check, assert_phone_layout, kind)
    # Forms with errors: the summary, the inline messages and the input kept.
    page.goto("/profile/password")
    page.get_by_label("New password", exact=True).fill("too short")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check(page, axe_check, assert_phone_layout, kind)
    page.goto("/profile/security-question")
    page.get_by_role("button", name="Save security question").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    check(page, axe_check, assert_phone_layout, kind)
    page.goto("/profile/email")
    page.get_by_label("New email address").fill("robin.new@example.com")
    page.get_by_label("Your current password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Send confirmation link").click()
    expect(page.get_by_text("We sent a link to your new email address")).to_be_visible()
    check(page, axe_check, assert_phone_layout, kind)
    page.goto(LINK.search(outbox.queued[0].body_text).group(1))
    expect(page).to_have_url(re.compile(r"/profile/email/confirm$"))
    check(page, axe_check, assert_phone_layout, kind)
    page.get_by_role("button", name="Use the new email address").click()
    expect(page.get_by_text("robin.new@example.com")).to_be_visible()
    page.goto("/profile/email/confirm")  # the link is used up: the problem page
    check(page, axe_check, assert_phone_layout, kind)


def test_preferences_and_password_without_javascript(open_context, make_account, app,
                                                     patient_sign_in):
    account = make_account()
    page = open_context("desktop", java_script_enabled=False).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto("/profile/notices")
    page.get_by_role("group", name="When a test result or document is ready").get_by_label("No email").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_text("Your email notice choices were saved.")).to_be_visible()
    page.goto("/profile/password")
    page.get_by_label("Your current password").fill(PATIENT_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    page.goto("/profile/activity")  # still signed in on a fresh session
    expect(page.get_by_text("Active (this browser)")).to_be_visible()

    from portal.extensions import db
    from portal.models import PatientAccount

    with app.app_context():
        saved = db.session.get(PatientAccount, account.id)
        assert saved.notify_messages and not saved.notify_results
