"""Sharing the health record with another provider, in Chromium.

The patient, on a phone (375 px), goes from the health record to "Share your record", sends the
form empty (the error summary), then shares only the lab results for 3 days with "Dr. Lee,
Lakeside Cardiology", confirming with the current password. The answer shows the link and the
access code. The provider, on a desktop, opens the link (the address bar loses its token),
types a wrong code (refused), then the right one. They see Robin's lab results and nothing
else, open a result and download its PDF, whose text is read with pdftotext. The patient's
record history names the share; the patient stops it, and the provider's next page says so. The
walk runs with JavaScript on (axe-core on every page) and off; on every phone page the layout
fits 375 px and no id is used twice.

Over HTTPS (gunicorn with TLS): the link the patient is given is the https address; the
provider opens it, types the code and downloads the ZIP. Every post went over https without a
Referer, and every cookie is a __Host- cookie.
"""

import io
import re
import zipfile

import pytest
from conftest import PATIENT_PASSWORD
from helpers import pdf_text
from playwright.sync_api import expect
from records_data import SAMPLES

from portal.extensions import db
from portal.models import Patient, StaffUser
from portal.services import audit
from portal.services.records import entries

from .helpers import RECIPIENT, PostLog, assert_host_cookies, assert_unique_ids, make_share

WHO = f"Someone with the link you shared with {RECIPIENT}"


@pytest.fixture
def record(app, make_account, make_staff):
    """Robin's account and record: a high glucose result and a flu vaccine, released."""
    account = make_account()
    with app.app_context():
        patient = db.session.get(Patient, account.patient_id)
        origin = audit.Origin(db.session.get(StaffUser, make_staff("nurse").id), "127.0.0.1",
                              "test")
        for category in ("lab", "immunization"):
            entries.publish(patient, category, SAMPLES[category], origin, release=True)
        db.session.commit()
    return account


def enter_share_code(page, code):
    page.get_by_label("Access code").fill(code)
    page.get_by_role("button", name="Open the shared record").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_share_the_lab_results_and_the_provider_reads_them(
        app, open_context, record, patient_sign_in, axe_check, assert_phone_layout, tmp_path,
        javascript):
    def checker(page, phone):
        def ok():
            assert_unique_ids(page)
            if javascript:
                axe_check(page)
            if phone:
                assert_phone_layout(page)
        return ok

    # -- The patient, on their phone, makes the share. ---------------------------------------
    page = open_context("phone", java_script_enabled=javascript).new_page()
    ok = checker(page, phone=True)
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto("/records/shares/new")
    page.get_by_label("For how many days?").fill("")
    page.get_by_role("button", name="Make the link and code").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Enter who you are sharing with")
    expect(summary).to_contain_text("Choose the whole record, or at least one part of it.")
    expect(summary).to_contain_text("Choose from 1 to 30 days.")
    expect(summary).to_contain_text("Enter your current password.")
    assert page.title().startswith("Error:")
    ok()
    link, code = make_share(page)
    assert link.startswith("http://portal.test/record-share?s="), link
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4} [2-9A-HJ-NP-Z]{4}", code), code
    ok()
    page.get_by_role("link", name="Go to your shares").click()
    expect(page.locator("table.record-shares")).to_contain_text(RECIPIENT)
    expect(page.locator("table.record-shares")).to_contain_text("Working")
    ok()

    # -- The provider, at their desk, opens the link and types the code. ---------------------
    provider = open_context("desktop", java_script_enabled=javascript).new_page()
    check = checker(provider, phone=False)
    provider.goto(link.removeprefix("http://portal.test"))
    provider.wait_for_url(re.compile(r"/record-share$"))  # the token is out of the address bar
    expect(provider.get_by_role("heading", level=1)).to_have_text("Type the access code")
    check()
    enter_share_code(provider, "ZZZZ ZZZZ" if code != "ZZZZ ZZZZ" else "YYYY YYYY")
    expect(provider.locator(".error-summary")).to_contain_text(
        "That access code is not right.")
    check()
    enter_share_code(provider, code.lower())
    provider.wait_for_url(re.compile(r"/record-share/record$"))
    expect(provider.get_by_role("heading", level=1)).to_have_text("Shared health record")
    expect(provider.locator(".shared-banner")).to_contain_text(
        "Shared health record of Robin Quill, born 04/09/1980.")
    expect(provider.get_by_role("link", name="Immunizations")).to_have_count(0)
    check()
    provider.get_by_role("link", name="Lab and test results").click()
    expect(provider.get_by_role("heading", level=1)).to_have_text("Lab and test results")
    check()
    provider.get_by_role("link", name="Glucose, fasting").click()
    expect(provider.get_by_text("Abnormal: high.")).to_be_visible()
    check()
    with provider.expect_download() as downloading:
        provider.get_by_role("link", name="Download as a PDF").click()
    saved = tmp_path / "entry.pdf"
    downloading.value.save_as(saved)
    assert re.fullmatch(r"lab-\d+\.pdf", downloading.value.suggested_filename)
    text = pdf_text(saved)
    assert "Glucose, fasting" in text and "126" in text and "Robin Quill" in text

    # -- The patient sees it in the history, and stops the share. ----------------------------
    page.goto("/records/history")
    expect(page.locator("table.record-history")).to_contain_text(
        f"{WHO} downloaded Glucose, fasting as a PDF")
    expect(page.locator("table.record-history")).to_contain_text(
        f"{WHO} typed a wrong access code")
    ok()
    page.goto("/records/shares")
    page.get_by_role("button", name=f"Stop sharing with {RECIPIENT}").click()
    expect(page.get_by_role("status").filter(has_text="You stopped sharing")).to_contain_text(
        f"You stopped sharing with {RECIPIENT}.")
    expect(page.locator("table.record-shares")).to_contain_text("Stopped by you")
    ok()

    provider.reload()
    expect(provider.get_by_role("heading", level=1)).to_have_text(
        "This shared record was stopped")
    check()


def test_a_share_over_https(app, https_server, open_https_context, open_trusting_context, record,
                            patient_sign_in):
    base = https_server.url
    posts = PostLog(base)
    context = open_https_context("phone", java_script_enabled=False)
    page = posts.watch(context.new_page())
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    link, code = make_share(page, days="1")
    assert link.startswith(f"{base}/record-share?s="), link
    assert_host_cookies(context)

    provider_context = open_trusting_context("desktop")  # clicks its download link
    provider = posts.watch(provider_context.new_page())
    provider.goto(link)
    provider.wait_for_url(f"{base}/record-share")
    enter_share_code(provider, code)
    provider.wait_for_url(f"{base}/record-share/record")
    assert_host_cookies(provider_context)
    with provider.expect_download() as downloading:
        provider.get_by_role("link", name="Download everything shared (ZIP)").click()
    with zipfile.ZipFile(io.BytesIO(open(downloading.value.path(), "rb").read())) as archive:
        names = archive.namelist()
        fhir = archive.read("record.fhir.json").decode()
    assert "record-summary.pdf" in names and "Glucose, fasting" in fhir
    assert "Influenza" not in fhir  # only the lab results were shared

    posted = posts.check()
    for path in ("/sign-in", "/records/shares/new", "/record-share"):
        assert path in posted, (path, posted)
