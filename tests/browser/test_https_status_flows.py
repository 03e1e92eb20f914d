"""Issue 21 part 5 over real TLS: gunicorn serves the portal with a self-signed certificate for
localhost, `PORTAL_BASE_URL=https://localhost:<port>` and two-step required for staff.

Three walks, each with every post over https (no Referer, same-origin), only `__Host-` cookies,
and axe-core clean on the pages visited:

1. A nurse publishes a lab panel in one form (three rows, flags left for the range to suggest);
   the patient, on a 375 px phone, finds the three results at /records/lab with the high one
   said in words, and the panel's name on the result.
2. A patient sends a message with a PNG attached; the nurse opens the conversation and the
   image is drawn inline from its https address (it loads: naturalWidth > 0, served as
   image/png with a download's headers), and its download link still saves the PNG.
3. A patient on a 375 px phone signs the portal consent at the gate and submits the health
   form; /consents then says when each was signed or submitted with its signed copy, and the
   consent's and the form's own addresses show the signed copy (and the consent's end date)
   instead of a second form to sign.

The walks whose pages download (2 and 3) use `trusting_browser`, whose Chromium trusts the test
certificate: an <a download> click on an ignored certificate is cancelled before any request.
"""

import re
from datetime import timedelta

import pytest
from conftest import PATIENT_PASSWORD, turn_on_two_step
from consent_data import default_documents, practice_today, scan_png
from helpers import pdf_text
from playwright.sync_api import expect

from portal.models import StaffUser

from .helpers import (
    PostLog,
    assert_host_cookies,
    chart_section,
    main_nav,
    sign_and_wait,
    staff_signs_in,
)

NURSE_EMAIL = "nurse@practice.test"
CONSENT_TITLE = "Patient portal consent"
FORM_TITLE = "Medical history questionnaire"
PANEL = "Basic metabolic panel"
# (test name, value, unit, range): the flag is left for the range to suggest.
ROWS = (("Glucose", "126", "mg/dL", "70-99"), ("Potassium", "4.2", "mmol/L", "3.5-5.1"),
        ("Sodium", "140", "mmol/L", "135-145"))
SUBJECT = "A rash on my arm"
PNG_NAME = "rash.png"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def app_overrides(https_app_overrides):
    """`app` (and so make_staff, outbox...) on the TLS server's base URL and instance folder."""
    return https_app_overrides


@pytest.fixture
def nurse(app, make_staff):
    """A nurse with two-step on: (email, authenticator secret)."""
    member = make_staff("nurse", email=NURSE_EMAIL, name="Nina Night")
    secret, _codes = turn_on_two_step(app, StaffUser, member.id)
    return NURSE_EMAIL, secret


def us_date(day):
    return f"{day.month:02d}/{day.day:02d}/{day.year}"


def long_date(day):
    """A date as the patient pages write it ("%B %d, %Y")."""
    return day.strftime("%B %d, %Y")


def test_a_lab_panel_published_over_https_reaches_the_patient_s_phone(
        app, https_server, open_https_context, make_account, nurse, staff_password,
        patient_sign_in, save_practice, axe_check, assert_phone_layout):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    patient_id = make_account().patient_id
    today = practice_today(app)

    # -- The nurse: chart -> "Publish a record" -> the lab panel form, filled and published. --
    staff_context = open_https_context("desktop")
    staff = posts.watch(staff_context.new_page())
    staff_signs_in(staff, nurse[0], staff_password, nurse[1])
    main_nav(staff).get_by_role("link", name="Patients").click()
    staff.get_by_role("link", name="Quill, Robin").click()
    staff.wait_for_url(f"{base}/staff/patients/{patient_id}")
    chart_section(staff, "Health record", lambda: axe_check(staff))
    staff.locator("#health-record").get_by_role(
        "link", name="Publish a record for this patient").click()
    staff.get_by_role(
        "link", name="Publish a lab panel: one name and date, a row for each result").click()
    staff.wait_for_url(f"{base}/staff/patients/{patient_id}/records/panel")
    expect(staff.get_by_role("heading", level=1)).to_have_text("Publish a lab panel")
    expect(staff.get_by_label("Resulted on")).to_have_value(us_date(today))  # today to start
    axe_check(staff)
    staff.get_by_label("Panel name").fill(PANEL)
    staff.get_by_label("Collected on (optional)").fill(us_date(today - timedelta(days=1)))
    for number, (test, value, unit, reference_range) in enumerate(ROWS, start=1):
        row = staff.get_by_role("group", name=f"Result {number}", exact=True)
        row.get_by_label("Test name").fill(test)
        row.get_by_label("Result", exact=True).fill(value)
        row.get_by_label("Unit (optional)").fill(unit)
        row.get_by_label("Reference range (optional)").fill(reference_range)
    staff.get_by_role("button", name="Publish now").click()
    staff.wait_for_url(f"{base}/staff/patients/{patient_id}/records")
    expect(staff.get_by_role("status").filter(has_text="from the panel")).to_have_text(
        "Results published from the panel: 3. The patient can see them now.")
    axe_check(staff)
    assert_host_cookies(staff_context)

    # -- The patient, on a phone: Health record -> Lab and test results -> the high one. -----
    context = open_https_context("phone")
    page = posts.watch(context.new_page())
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    assert page.url == f"{base}/home", page.url
    main_nav(page).get_by_role("link", name="Health record").click()
    page.wait_for_url(f"{base}/records")
    page.get_by_role("link", name="Lab and test results", exact=True).click()
    page.wait_for_url(f"{base}/records/lab")
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(3)
    for test, value, unit, reference_range in ROWS:
        row = rows.filter(has=page.get_by_role("link", name=test, exact=True))
        for shown in ("New", value, unit, reference_range, us_date(today)):
            expect(row).to_contain_text(shown)
        if test == "Glucose":
            expect(row.locator(".tag-abnormal")).to_have_text("Abnormal: high")
        else:
            expect(row).not_to_contain_text("Abnormal")
    axe_check(page)
    assert_phone_layout(page)
    page.get_by_role("link", name="Glucose", exact=True).click()
    page.wait_for_url(re.compile(rf"^{re.escape(base)}/records/lab/\d+$"))
    facts = page.locator("dl.record-facts")
    for label, value in (("Test name", "Glucose"), ("Result", "126"), ("Flag", "High"),
                         ("Panel", PANEL), ("Resulted on", us_date(today))):
        expect(facts).to_contain_text(f"{label}{value}")
    axe_check(page)
    assert_phone_layout(page)
    assert_host_cookies(context)

    posted = posts.check()
    for path in ("/staff/sign-in", "/sign-in/code", f"/staff/patients/{patient_id}/records/panel",
                 "/sign-in"):
        assert path in posted, (path, posted)


def test_an_image_a_patient_sends_is_drawn_for_staff_over_https(
        app, https_server, open_https_context, open_trusting_context, make_account, nurse,
        staff_password, patient_sign_in, save_practice, axe_check, tmp_path):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    make_account()

    # -- The patient writes with a PNG attached (a multipart post over TLS). -----------------
    patient_context = open_https_context("desktop")
    patient = posts.watch(patient_context.new_page())
    patient_sign_in(patient, "robin", PATIENT_PASSWORD)
    main_nav(patient).get_by_role("link", name="Messages").click()
    patient.get_by_role("link", name="Write a new message").click()
    patient.get_by_role("group", name="What is your message about?").get_by_label(
        "Question for my care team").check()
    patient.get_by_role("button", name="Continue").click()
    patient.get_by_label("Subject", exact=True).fill(SUBJECT)
    patient.get_by_label("Your message").fill("It started on Monday and itches at night.")
    patient.get_by_label("Attach files (optional)").set_input_files(
        {"name": PNG_NAME, "mimeType": "image/png", "buffer": scan_png()})
    axe_check(patient)
    patient.get_by_role("button", name="Send message").click()
    patient.wait_for_url(re.compile(rf"^{re.escape(base)}/messages/\d+$"))
    conversation_id = int(patient.url.rsplit("/", 1)[1])
    expect(patient.get_by_role("heading", level=1)).to_have_text(SUBJECT)
    expect(patient.locator("li.message-mine").get_by_role(
        "link", name=f"Download {PNG_NAME}")).to_be_visible()
    axe_check(patient)
    assert_host_cookies(patient_context)

    # -- The nurse: the shared inbox -> the conversation, the image drawn inline. ------------
    staff_context = open_trusting_context("desktop")
    staff = posts.watch(staff_context.new_page())
    images = []
    staff.on("response", lambda response: images.append(response)
             if response.url.endswith("/image") else None)
    staff_signs_in(staff, nurse[0], staff_password, nurse[1])
    main_nav(staff).get_by_role("link", name="Messages").click()
    staff.wait_for_url(f"{base}/staff/messages")
    staff.get_by_role("link", name=SUBJECT).click()
    staff.wait_for_url(f"{base}/staff/messages/{conversation_id}")
    first = staff.locator("li.message-patient")
    image = first.get_by_role("img", name="Image the patient sent: attachment 1")
    expect(image).to_be_visible()
    staff.wait_for_load_state("load")  # the image has been fetched (or failed)
    drawn = image.evaluate("img => ({src: img.currentSrc, complete: img.complete,"
                           " width: img.naturalWidth, height: img.naturalHeight})")
    assert re.fullmatch(rf"{re.escape(base)}/staff/messages/attachments/\d+/image",
                        drawn["src"]), drawn
    assert drawn["complete"] and drawn["width"] > 0, drawn
    assert (drawn["width"], drawn["height"]) == (60, 20), drawn  # the scan's own size
    [served] = [response for response in images if response.url == drawn["src"]]
    headers = served.all_headers()
    assert served.status == 200, served.status
    assert headers["content-type"] == "image/png", headers
    assert headers["content-disposition"].startswith("inline; filename="), headers
    assert PNG_NAME not in headers["content-disposition"], headers  # a neutral name
    assert "no-store" in headers["cache-control"], headers
    assert headers["x-content-type-options"] == "nosniff", headers
    assert served.body().startswith(PNG_MAGIC)
    axe_check(staff)

    # Its download still works, from the link under the image.
    with staff.expect_download() as download_info:
        first.get_by_role("link", name=f"Download {PNG_NAME}").click()
    download = download_info.value
    assert download.url.startswith(f"{base}/staff/messages/attachments/"), download.url
    assert download.suggested_filename.endswith(".png"), download.suggested_filename
    assert PNG_NAME not in download.suggested_filename
    saved = tmp_path / "download.png"
    download.save_as(saved)
    assert saved.read_bytes().startswith(PNG_MAGIC)
    assert_host_cookies(staff_context)

    posted = posts.check()
    for path in ("/sign-in", "/messages/new", "/staff/sign-in", "/sign-in/code"):
        assert path in posted, (path, posted)
    [upload] = [request for request in posts.posts if request.url == f"{base}/messages/new"
                and "multipart" in request.all_headers().get("content-type", "")]
    assert upload.all_headers()["content-type"].startswith("multipart/form-data; boundary=")


def test_signed_consent_and_submitted_form_show_their_status_over_https(
        app, https_server, open_trusting_context, make_account, save_practice, patient_sign_in,
        axe_check, assert_phone_layout, tmp_path):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    documents = default_documents(app)
    make_account(consented=False)
    today = long_date(practice_today(app))
    context = open_trusting_context("phone")
    page = posts.watch(context.new_page())

    def ok():
        axe_check(page)
        assert_phone_layout(page)

    # -- The gate: the portal consent, signed. -----------------------------------------------
    patient_sign_in(page, "robin", PATIENT_PASSWORD, expect_home=False)
    page.wait_for_url(f"{base}/consents/{documents['consent']}/sign?required=1")
    ok()
    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    sign_and_wait(page, f"Sign “{CONSENT_TITLE}”", re.compile(r"/consents\?signed=\d+$"))
    assert page.url.startswith(f"{base}/consents?signed="), page.url
    assert_host_cookies(context)

    # -- The health form, filled in and submitted. -------------------------------------------
    page.get_by_role("link", name=f"Fill in “{FORM_TITLE}”").click()
    page.wait_for_url(f"{base}/consents/forms/{documents['form']}")
    ok()
    page.get_by_role("group", name="Are you allergic to any medicine? (required)").get_by_label(
        "No", exact=True).check()
    page.get_by_role("group", name="Do you smoke or use tobacco? (required)").get_by_label(
        "Never").check()
    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    sign_and_wait(page, "Submit and sign", re.compile(r"/consents\?signed=\d+$"))
    assert_host_cookies(context)

    # -- /consents: when each was done, and its signed copy; nothing left to fill in. --------
    page.goto("/consents")
    consent_item = page.get_by_role("listitem").filter(has_text=CONSENT_TITLE)
    expect(consent_item).to_contain_text(f"signed on {today}, current until ")
    expect(consent_item.get_by_role("link", name=f"Signed copy (PDF) of {CONSENT_TITLE}")) \
        .to_be_visible()
    form_item = page.get_by_role("listitem").filter(has_text=FORM_TITLE)
    expect(form_item).to_contain_text(f"submitted on {today}")
    expect(form_item.get_by_role("link", name=f"Signed copy (PDF) of {FORM_TITLE}")) \
        .to_be_visible()
    expect(page.get_by_role("link", name=f"Fill in “{FORM_TITLE}”")).to_have_count(0)
    expect(page.get_by_role("link", name=f"Read and sign “{CONSENT_TITLE}”")).to_have_count(0)
    ok()

    # -- The form's own address: "Submitted on DATE." and its copy, not the form again. ------
    page.goto(f"/consents/forms/{documents['form']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    expect(page.locator(".signed-status")).to_contain_text(f"Submitted on {today}.")
    expect(page.get_by_role("link", name=f"Download your signed copy (PDF) of {FORM_TITLE}")) \
        .to_be_visible()
    expect(page.get_by_role("button", name="Submit and sign")).to_have_count(0)
    ok()

    # -- The consent's own address: the signed copy and its end date, no second signature. ---
    page.goto(f"/consents/{documents['consent']}/sign")
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_TITLE)
    status = page.locator(".signed-status")
    expect(status).to_contain_text(f"You signed this on {today}.")
    expect(status).to_contain_text(re.compile(r"It is current until \w+ \d{2}, \d{4}\."))
    expect(page.get_by_label("Type your full legal name")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Sign “{CONSENT_TITLE}”")).to_have_count(0)
    ok()
    with page.expect_download() as download_info:
        status.get_by_role("link", name="Download your signed copy (PDF)").click()
    download = download_info.value
    assert download.url.startswith(f"{base}/consents/"), download.url
    path = tmp_path / "consent.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    words = " ".join(pdf_text(path).split())
    assert CONSENT_TITLE in words and "Robin Quill" in words
    assert_host_cookies(context)

    posted = posts.check()
    assert "/sign-in" in posted, posted
    for path in (f"/consents/{documents['consent']}/sign", f"/consents/forms/{documents['form']}"):
        assert path in posted, (path, posted)
