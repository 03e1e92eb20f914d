"""Consents on the staff side in Chromium, with JavaScript on and off (issue 8).

A parent signed the portal consent on paper for a minor: staff record it from the chart with
a scan of the paper, see it on the chart, download its sealed PDF, check its verification code,
print the day's consents in one PDF and assign the health form. Then the practice admin edits
the consent and publishes version 2. axe-core runs on each page when JavaScript is on.

The data it makes through the services (the seal certificate, the default documents, a paper
signature) comes from consent_data.py, which test_pages.py and test_https_flows.py share.
"""

import re
from datetime import date

import pytest
from consent_data import default_documents, practice_today, scan_png, seal_p12
from helpers import pdf_text
from playwright.sync_api import expect

from .helpers import chart_section

CONSENT_TITLE = "Patient portal consent"
FORM_TITLE = "Medical history questionnaire"
NURSE_EMAIL = "nurse@practice.test"
ADMIN_EMAIL = "admin@practice.test"


# -- the page helpers of this walk ---------------------------------------------------------

@pytest.fixture
def app_overrides(tmp_path_factory):
    """`app` with the run's seal certificate."""
    return {"SEAL_P12": str(seal_p12(tmp_path_factory))}


def download(page, click, path):
    """Click something that downloads a file; save it at `path` and return its bytes."""
    with page.expect_download() as download_info:
        click()
    download_info.value.save_as(path)
    return path.read_bytes()


def hidden_detail(visible, detail):
    """A link's name: its visible words, then a visually hidden ": detail" (which Chromium's
    accessibility tree may join with a space before the colon)."""
    return re.compile(rf"^{re.escape(visible)} ?: {re.escape(detail)}")


def expect_status(page, message):
    """The page shows a status note starting with `message`."""
    expect(page.get_by_role("status").filter(has_text=message)).to_be_visible()


# -- the flow ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("desktop", False)])
def test_a_parent_s_paper_signature_is_recorded_checked_printed_and_the_consent_revised(
        app, open_context, make_staff, sign_in, add_patient, save_practice, axe_check, tmp_path,
        kind, javascript):
    save_practice()
    in_use = default_documents(app)
    today = practice_today(app)
    minor = add_patient(account_number="RFM-3001", first_name="Ada", last_name="Quill",
                        date_of_birth=date(today.year - 9, 6, 1))
    make_staff("nurse", email=NURSE_EMAIL, name="Jo Rivera")
    make_staff("admin", email=ADMIN_EMAIL, name="Dana Whitfield")
    page = open_context(kind, java_script_enabled=javascript).new_page()

    def ok():
        if javascript:  # axe-core runs inside the page
            axe_check(page)

    # -- The chart: the portal consent is missing; record the parent's paper signature. -----
    sign_in(page, NURSE_EMAIL)
    page.goto(f"/staff/patients/{minor}")
    ok()
    chart_section(page, "Consents and forms")
    section = page.locator("#consents")
    expect(section.get_by_role("heading", level=2)).to_have_text("Consents and health forms")
    expect(section).to_contain_text("1 required consent is missing:")
    expect(section).to_contain_text("Nothing signed yet.")
    ok()
    section.get_by_role("link", name=hidden_detail("Record a paper signature", CONSENT_TITLE)).click()
    page.wait_for_url(f"**/staff/patients/{minor}/consents/{in_use['consent']}/paper")
    expect(page.get_by_role("heading", level=1)).to_have_text("Record a paper signature")
    expect(page.locator("dl.details")).to_contain_text("Ada Quill")
    # A minor: a parent or guardian signs, and staff type their name.
    expect(page.get_by_label("Parent or guardian")).to_be_checked()
    expect(page.get_by_label("Name of the person who signed")).to_have_value("")
    ok()
    page.get_by_label("Name of the person who signed").fill("Morgan Quill")
    page.get_by_label("Month", exact=True).fill(f"{today.month:02d}")
    page.get_by_label("Day", exact=True).fill(f"{today.day:02d}")
    page.get_by_label("Year", exact=True).fill(str(today.year))
    page.get_by_label("Scan of the signed paper (optional)").set_input_files(
        {"name": "signed-paper.png", "mimeType": "image/png", "buffer": scan_png()})
    page.get_by_role("button", name="Record the paper signature").click()
    page.wait_for_url(re.compile(rf"/staff/patients/{minor}/consents$"))
    expect_status(page, f"The paper signature of “{CONSENT_TITLE}” was recorded.")
    expect(section).not_to_contain_text("required consent is missing")
    signed = section.get_by_role("row").filter(has_text="Morgan Quill")
    expect(signed).to_contain_text("Morgan Quill (Parent or guardian)")
    expect(signed).to_contain_text("Signed on paper")
    expect(signed.get_by_role("link", name=re.compile(r"^Open the scan"))).to_be_visible()
    ok()

    # -- Its sealed PDF, as a download. --------------------------------------------------------
    pdf_path = tmp_path / "signed.pdf"
    pdf = download(page, signed.get_by_role("link", name=re.compile(r"^Open PDF")).click, pdf_path)
    assert pdf.startswith(b"%PDF")
    words = pdf_text(pdf_path)
    assert "Ada Quill" in words and "Signature record" in words and "Morgan Quill" in words
    code = re.search(r"Verification code ([A-Z0-9]{5}-[A-Z0-9]{5})", words).group(1)

    # -- Its verification code, checked. -------------------------------------------------------
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Consents").click()
    page.wait_for_url("**/staff/consents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Consents")
    ok()
    page.get_by_role("link", name="Check a verification code or a signed PDF").click()
    page.wait_for_url("**/staff/consents/verify")
    page.get_by_label("Verification code").fill(code.lower())
    page.get_by_role("button", name="Check", exact=True).click()
    result = page.locator("section", has=page.get_by_role("heading", name="Result"))
    expect(result).to_contain_text("Morgan Quill (Parent or guardian)")
    expect(result).to_contain_text("Ada Quill")
    expect(result).to_contain_text("Signed on paper")
    expect(result).to_contain_text(code)
    ok()

    # -- Today's consents, printed in one PDF. ---------------------------------------------------
    page.get_by_role("link", name="All consents").click()
    page.get_by_role("link", name="Print the consents signed in a date range").click()
    page.wait_for_url("**/staff/consents/batch")
    for field in ("first", "last"):
        page.locator(f"#{field}-month").fill(str(today.month))
        page.locator(f"#{field}-day").fill(str(today.day))
        page.locator(f"#{field}-year").fill(str(today.year))
    ok()
    batch_path = tmp_path / "batch.pdf"
    batch = download(page, page.get_by_role("button", name="Download the PDF").click, batch_path)
    assert batch.startswith(b"%PDF")
    assert code in pdf_text(batch_path)

    # -- The health form, assigned from the chart. ---------------------------------------------
    page.goto(f"/staff/patients/{minor}/consents")
    section.get_by_label("Health form").select_option(label=FORM_TITLE)
    section.get_by_role("button", name="Assign a health form").click()
    page.wait_for_url(re.compile(rf"/staff/patients/{minor}/consents$"))
    expect_status(page, "The health form was assigned.")
    expect(section.get_by_role("listitem").filter(has_text=FORM_TITLE)).to_contain_text(
        "not yet filled in")
    ok()

    # -- The admin publishes version 2 of the consent. -----------------------------------------
    page = open_context(kind, java_script_enabled=javascript).new_page()
    sign_in(page, ADMIN_EMAIL)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Documents").click()
    page.wait_for_url("**/admin/consents")
    ok()
    page.get_by_role("link", name=CONSENT_TITLE).click()
    page.wait_for_url(f"**/admin/consents/{in_use['consent']}")
    page.get_by_role("button", name="Edit", exact=True).click()
    page.wait_for_url(f"**/admin/consents/{in_use['consent']}/draft")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Draft of version 2: {CONSENT_TITLE}")
    ok()
    text = page.get_by_label("Text of the consent")
    text.fill(text.input_value() + "\n\n## Paper copies\n\nA parent may sign on paper at the desk.")
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(f"**/admin/consents/{in_use['consent']}")
    expect_status(page, "Version 2 is published")
    expect(page.get_by_role("heading", level=2, name="Published version 2")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name="Paper copies")).to_be_visible()
    versions = page.get_by_role("table")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("2 (current)")
    expect(versions.get_by_role("row").nth(1)).to_contain_text("Dana Whitfield")
    expect(versions.get_by_role("row").nth(2)).to_contain_text("The portal (default text)")
    ok()
