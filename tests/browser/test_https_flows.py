"""D9 in Chromium over real TLS: gunicorn serves the portal with a self-signed certificate for
localhost, `PORTAL_BASE_URL=https://localhost:<port>` and two-step required for staff.

One walk posts every kind of form over https: staff sign-in with two-step set-up, sign-out and
sign-in with a code; an invitation from the chart; enrollment from the emailed https link (the
portal consent signed with the account); a profile change and sign-out; a password reset from
the emailed link and a sign-in with the new password. A second walk signs the portal consent
behind the consent gate. A third records a paper signature with its scan (a multipart post),
checks a verification code, and saves and publishes a consent's draft. After each step the
browser's cookies are `__Host-` cookies (Secure, HttpOnly, Path=/, host-only), and every post
went over https without a Referer.
"""

import re
import time
from datetime import date

import pyotp
import pytest
from conftest import PATIENT_PASSWORD, turn_on_two_step
from consent_data import codes_of, default_documents, practice_today, scan_png
from playwright.sync_api import expect

from portal.models import StaffUser

from .helpers import (
    Mailbox,
    PostLog,
    assert_host_cookies,
    fill_identity,
    main_nav,
    sign_and_wait,
    staff_password_step,
    staff_signs_in,
)

FRONT_DESK = "frontdesk@practice.test"
PATIENT_EMAIL = "maria.lopez@example.com"
PASSWORD = "copper meadow violin harbor"
NEW_PASSWORD = "lantern orchard velvet harbor"


@pytest.fixture
def app_overrides(https_app_overrides):
    """`app` (and so make_staff, outbox...) on the TLS server's base URL and instance folder."""
    return https_app_overrides


def test_every_form_posts_over_https(https_server, open_https_context, make_staff, staff_password,
                                     add_patient, save_practice, outbox, patient_sign_in):
    base = https_server.url
    mailbox = Mailbox(outbox)
    posts = PostLog(base)
    save_practice()
    chart = add_patient(account_number="RFM-2041", email=PATIENT_EMAIL)
    make_staff("front_desk", email=FRONT_DESK, name="Sam Ortiz")

    # -- Staff: the first sign-in sets up the authenticator (two-step is required). ----------
    staff_context = open_https_context("desktop")
    staff = posts.watch(staff_context.new_page())
    staff_password_step(staff, FRONT_DESK, staff_password)
    staff.wait_for_url("**/staff/two-step/setup")
    assert staff.url.startswith(base)
    assert_host_cookies(staff_context)
    secret = staff.locator("#setup-key").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    staff.get_by_label("Code from the app").fill(totp.now())
    staff.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(staff.locator(".recovery-codes li")).to_have_count(10)
    staff.get_by_role("link", name="I have saved my codes, continue").click()
    staff.wait_for_url("**/staff/patients")
    assert_host_cookies(staff_context)

    main_nav(staff).get_by_role("button", name="Sign out").click()
    staff.wait_for_url("**/staff/sign-in")
    assert_host_cookies(staff_context)

    # Again with password and code. A code is good once: the next time step's code (accepted
    # for clock drift) rather than waiting up to 30 s for a new one.
    staff_password_step(staff, FRONT_DESK, staff_password)
    staff.wait_for_url("**/sign-in/code")
    staff.get_by_label("Sign-in code").fill(totp.at(time.time() + 30))
    staff.get_by_role("button", name="Continue").click()
    staff.wait_for_url("**/staff/patients")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Patients")
    assert_host_cookies(staff_context)

    # -- Staff invite the patient from the chart; the emailed link is https. -----------------
    staff.goto(f"/staff/patients/{chart}")
    access = staff.locator("#portal-access")
    access.get_by_role("button", name="Send invitation").click()
    expect(staff.get_by_role("status").first).to_contain_text("The invitation was emailed")
    assert_host_cookies(staff_context)
    message, link = mailbox.link("/enroll?t=")
    assert message["To"] == PATIENT_EMAIL
    assert link.startswith(f"{base}/enroll?t="), link

    # -- The patient enrolls from the link, in their own browser. ----------------------------
    patient_context = open_https_context("desktop")
    page = posts.watch(patient_context.new_page())
    page.goto(link)
    page.wait_for_url(f"{base}/enroll")
    assert_host_cookies(patient_context)
    fill_identity(page, "RFM-2041")
    page.wait_for_url("**/enroll/account")
    assert_host_cookies(patient_context)
    page.get_by_label("Choose a username").fill("maria.lopez")
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    page.get_by_label("What was the first concert you went to?").check()
    page.get_by_label("Your answer").fill("The Cure, 1989")
    page.get_by_role("button", name="Save and continue").click()
    page.wait_for_url(f"{base}/enroll/consent")
    assert_host_cookies(patient_context)
    page.get_by_label("Type your full legal name").fill("Maria Lopez")
    page.get_by_label("I have read and agree to this document").check()
    sign_and_wait(page, "Sign and open my account", f"{base}/home")  # signed in, over https
    expect(page.get_by_role("status").first).to_contain_text("you are signed in")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Maria")
    assert_host_cookies(patient_context)

    # -- Profile changes: notice choices, then the security question (current password). -----
    page.goto("/profile/notices")
    page.get_by_role("group", name="When a test result or document is ready").get_by_label("No email").check()
    page.get_by_role("button", name="Save choices").click()
    expect(page.get_by_text("Your email notice choices were saved.")).to_be_visible()
    assert_host_cookies(patient_context)
    page.goto("/profile/security-question")
    page.get_by_label("Who was your childhood hero?").check()
    page.get_by_label("Your answer").fill("Grace Hopper")
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Save security question").click()
    expect(page.get_by_text("Your security question was changed.")).to_be_visible()
    assert_host_cookies(patient_context)
    main_nav(page).get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_role("status")).to_have_text("You have signed out.")
    assert_host_cookies(patient_context)
    page.goto("/home")
    page.wait_for_url(re.compile(r"/sign-in(\?|$)"))

    # -- Password reset from the emailed https link. -----------------------------------------
    page.get_by_role("link", name="Forgot your password?").click()
    page.get_by_label("Username or email address").fill("maria.lopez")
    page.get_by_role("button", name="Email me a reset link").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_text("If the username or email matches an account")).to_be_visible()
    message, link = mailbox.link("/reset?t=")
    assert message["To"] == PATIENT_EMAIL
    assert link.startswith(f"{base}/reset?t="), link
    page.goto(link)
    page.wait_for_url(f"{base}/reset")
    assert_host_cookies(patient_context)
    page.get_by_label("Who was your childhood hero?").fill("Grace Hopper")
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a new password")
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save new password").click()
    page.wait_for_url("**/sign-in")
    expect(page.get_by_text("Your password was changed")).to_be_visible()
    assert_host_cookies(patient_context)
    patient_sign_in(page, "maria.lopez", NEW_PASSWORD)
    assert_host_cookies(patient_context)

    # Every post of the walk went over https, was answered, and carried no Referer.
    posted = posts.check()
    for path in ("/staff/sign-in", "/staff/two-step/setup", "/sign-in/code", "/sign-out",
                 f"/staff/patients/{chart}/invitation", "/enroll", "/enroll/account",
                 "/enroll/consent", "/sign-in",
                 "/profile/notices", "/profile/security-question", "/forgot-password", "/reset"):
        assert path in posted, (path, posted)
    staff.reload()
    expect(access.locator(".portal-status")).to_contain_text("Active: username maria.lopez, since")


def test_consent_gate_signs_over_https(https_server, open_https_context, make_account,
                                       save_practice, patient_sign_in):
    """A patient with no consent on file: sign in -> the consent page -> sign -> /home."""
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    make_account(consented=False)
    context = open_https_context("desktop")
    page = posts.watch(context.new_page())
    patient_sign_in(page, "robin", PATIENT_PASSWORD, expect_home=False)
    page.wait_for_url(re.compile(r"/consents/\d+/sign\?required=1$"))
    assert page.url.startswith(base)
    expect(page.get_by_role("status").filter(has_text="Before you continue")).to_have_text(
        "Before you continue, please read and sign “Patient portal consent”.")
    assert_host_cookies(context)
    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    page.get_by_role("button", name="Sign “Patient portal consent”").click()
    page.wait_for_url(re.compile(r"/consents\?signed=\d+$"))
    expect(page.get_by_role("status").filter(has_text="You signed")).to_have_text(
        "Thank you. You signed “Patient portal consent”. Your signed copy is below.")
    assert_host_cookies(context)
    page.goto("/home")
    page.wait_for_url(f"{base}/home")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Robin")

    posted = posts.check()
    assert "/sign-in" in posted and any(
        re.fullmatch(r"/consents/\d+/sign", path) for path in posted), posted


def test_paper_signature_verification_and_publishing_post_over_https(
        app, https_server, open_https_context, make_staff, staff_password, add_patient,
        save_practice):
    """An admin (two-step on): record a parent's paper signature with its scan, check its
    code, then edit the portal consent, save the draft and publish it."""
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    consent = default_documents(app)["consent"]
    today = practice_today(app)
    chart = add_patient(account_number="RFM-2051", first_name="Ada", last_name="Quill",
                        date_of_birth=date(today.year - 9, 6, 1))
    admin = make_staff("admin", email="admin@practice.test", name="Dana Whitfield")
    secret, _codes = turn_on_two_step(app, StaffUser, admin.id)
    context = open_https_context("desktop")
    page = posts.watch(context.new_page())
    staff_signs_in(page, admin.email, staff_password, secret)

    # -- A paper signature with its scan: a multipart post over TLS. -------------------------
    paper = f"/staff/patients/{chart}/consents/{consent}/paper"
    page.goto(paper)
    page.get_by_label("Name of the person who signed").fill("Morgan Quill")
    page.get_by_label("Month", exact=True).fill(f"{today.month:02d}")
    page.get_by_label("Day", exact=True).fill(f"{today.day:02d}")
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("Scan of the signed paper (optional)").set_input_files(
        {"name": "signed-paper.png", "mimeType": "image/png", "buffer": scan_png()})
    page.get_by_role("button", name="Record the paper signature").click()
    page.wait_for_url(f"{base}/staff/patients/{chart}/consents")
    expect(page.locator("#consents").get_by_role("row").filter(has_text="Morgan Quill")) \
        .to_contain_text("Signed on paper")
    expect(page.locator("#consents").get_by_role("link", name=re.compile(r"^Open the scan"))) \
        .to_be_visible()
    assert_host_cookies(context)

    # -- Its verification code, checked. ---------------------------------------------------
    [code] = codes_of(app, chart)
    page.goto("/staff/consents/verify")
    page.get_by_label("Verification code").fill(code)
    page.get_by_role("button", name="Check", exact=True).click()
    expect(page.locator("dl.details")).to_contain_text("Morgan Quill (Parent or guardian)")
    assert_host_cookies(context)

    # -- The admin saves a draft of the consent's next version, then publishes it. -----------
    page.goto(f"/admin/consents/{consent}")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.wait_for_url(f"{base}/admin/consents/{consent}/draft")
    text = page.get_by_label("Text of the consent")
    text.fill(text.input_value() + "\n\nA parent may sign on paper at the desk.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status").filter(has_text="The draft was saved.")).to_be_visible()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"{base}/admin/consents/{consent}")
    expect(page.get_by_role("heading", level=2, name="Published version 2")).to_be_visible()
    assert_host_cookies(context)

    posted = posts.check()
    for path in ("/staff/sign-in", "/sign-in/code", paper, "/staff/consents/verify",
                 f"/admin/consents/{consent}/edit", f"/admin/consents/{consent}/draft"):
        assert path in posted, (path, posted)
    assert posted.count(f"/admin/consents/{consent}/draft") == 2  # saved, then published
    [upload] = [request for request in posts.posts if request.url == base + paper]
    assert upload.all_headers()["content-type"].startswith("multipart/form-data; boundary=")
