"""The chart's record shares, for staff, in Chromium over HTTPS (gunicorn with TLS).

The patient shares the whole record (phone, no JavaScript). A nurse at her desk signs in with
two-step, opens the chart, sees the share (for whom, what, until when, uses, state), opens
"Stop this share", sends no reason (the error summary), then a reason; the chart says the
practice stopped it. A front-desk clerk on a 375 px phone sees the same panel without any stop
button. axe-core finds nothing on any of these pages, on the desktop and on the phone.
"""

import re

from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect

from .helpers import RECIPIENT, PostLog, assert_host_cookies, make_share, new_staff_page

REASON = "Patient called: the code was sent to the wrong clinic"


def test_staff_see_and_stop_a_share_over_https(
        app, https_server, open_https_context, make_account, make_staff, staff_password,
        patient_sign_in, axe_check, assert_phone_layout):
    base = https_server.url
    posts = PostLog(base)
    robin = make_account()
    chart = f"/staff/patients/{robin.patient_id}/records"  # the health record, with its shares
    patient = posts.watch(open_https_context("phone", java_script_enabled=False).new_page())
    patient_sign_in(patient, "robin", PATIENT_PASSWORD)
    make_share(patient)

    # -- A front-desk clerk on a phone: the panel, no stop button. ----------------------------
    clerk = new_staff_page(app, open_https_context, make_staff, staff_password, "front_desk",
                           "desk@practice.test", "phone")
    clerk.goto(chart)
    panel = clerk.locator("#record-shares")
    expect(panel).to_contain_text(RECIPIENT)
    expect(panel).to_contain_text("Working")
    expect(panel.get_by_role("link", name=re.compile("Stop this share"))).to_have_count(0)
    axe_check(clerk)
    assert_phone_layout(clerk)

    # -- A nurse at her desk stops it, with a reason. ----------------------------------------
    # Not in the PostLog: its first post is refused on purpose (400, no reason given).
    nurse = new_staff_page(app, open_https_context, make_staff, staff_password, "nurse",
                           "nurse2@practice.test", "desktop")
    nurse.goto(chart)
    panel = nurse.locator("#record-shares")
    expect(panel.get_by_role("heading", level=2)).to_have_text("Record shares")
    expect(panel).to_contain_text(RECIPIENT)
    expect(panel).to_contain_text("Lab and test results")
    axe_check(nurse)
    panel.get_by_role("link", name=f"Stop this share with {RECIPIENT}").click()
    expect(nurse.get_by_role("heading", level=1)).to_contain_text("Stop sharing")
    axe_check(nurse)
    nurse.get_by_role("button", name="Stop this share").click()
    expect(nurse.locator(".error-summary")).to_contain_text("Enter why you are stopping this share.")
    axe_check(nurse)
    nurse.get_by_label("Reason for stopping this share").fill(REASON)
    nurse.get_by_role("button", name="Stop this share").click()
    nurse.wait_for_url(re.compile(rf"{chart}(#record-shares)?$"))
    expect(nurse.get_by_role("status").filter(has_text="The share was stopped")).to_be_visible()
    expect(nurse.locator("#record-shares")).to_contain_text(f"Stopped by the practice: {REASON}")
    axe_check(nurse)
    assert_host_cookies(nurse.context)

    # The nurse's chart on a phone too: the narrowest layout.
    phone_nurse = open_https_context("phone").new_page()
    phone_nurse.context.add_cookies(nurse.context.cookies())
    phone_nurse.goto(chart)
    expect(phone_nurse.locator("#record-shares")).to_contain_text("Stopped by the practice")
    axe_check(phone_nurse)
    assert_phone_layout(phone_nurse)

    patient.goto("/records/shares")
    expect(patient.locator("table.record-shares")).to_contain_text("Stopped by the practice")
    assert "/records/shares/new" in posts.check()
