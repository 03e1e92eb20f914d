"""Status where something was signed, in Chromium (issue 21, part 5): a patient whose consent
is current and whose health form is submitted opens both addresses and finds when, until when
and the signed copies, with no second form to sign; staff open the batch print and find
today's date in it, and download the day's consents. On a desktop and a phone, with
JavaScript and without it, axe-core clean."""

import re

import pytest
from conftest import PATIENT_PASSWORD
from consent_data import default_documents, practice_today, seal_p12, sign
from helpers import pdf_text
from playwright.sync_api import expect

CONSENT_TITLE = "Patient portal consent"
FORM_TITLE = "Medical history questionnaire"
NURSE_EMAIL = "nurse@practice.test"


@pytest.fixture
def app_overrides(tmp_path_factory):
    """`app` with the run's seal certificate."""
    return {"SEAL_P12": str(seal_p12(tmp_path_factory))}


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("desktop", False)])
def test_a_current_consent_and_a_submitted_form_show_their_copies_not_a_new_form(
        app, open_context, make_account, save_practice, patient_sign_in, axe_check,
        assert_phone_layout, tmp_path, kind, javascript):
    save_practice()
    in_use = default_documents(app)
    account = make_account(consented=False, middle_name="Q.")
    sign(app, account.patient_id, in_use["consent"])
    sign(app, account.patient_id, in_use["form"])
    page = open_context(kind, java_script_enabled=javascript).new_page()

    def ok():
        if javascript:  # axe-core runs inside the page
            axe_check(page)
        if kind == "phone":
            assert_phone_layout(page)

    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto(f"/consents/{in_use['consent']}/sign")
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_TITLE)
    status = page.locator(".signed-status")
    expect(status).to_contain_text("You signed this on")
    expect(status).to_contain_text("It is current until")
    expect(page.get_by_label("Type your full legal name")).to_have_count(0)
    expect(page.get_by_role("button", name=f"Sign “{CONSENT_TITLE}”")).to_have_count(0)
    ok()
    with page.expect_download() as download_info:
        status.get_by_role("link", name="Download your signed copy (PDF)").click()
    path = tmp_path / "consent.pdf"
    download_info.value.save_as(path)
    assert CONSENT_TITLE in pdf_text(path)

    page.goto("/consents")
    form_item = page.get_by_role("listitem").filter(has_text=FORM_TITLE)
    expect(form_item).to_contain_text("submitted on")
    expect(page.get_by_role("link", name=f"Fill in “{FORM_TITLE}”")).to_have_count(0)
    ok()
    page.goto(f"/consents/forms/{in_use['form']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    expect(page.locator(".signed-status")).to_contain_text(re.compile(r"Submitted on \w+ \d+, \d{4}\."))
    expect(page.get_by_role("button", name="Submit and sign")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Download your signed copy"))).to_be_visible()
    ok()


@pytest.mark.parametrize("javascript", [True, False])
def test_the_batch_print_starts_at_today_and_prints_it(app, open_context, make_staff, sign_in,
                                                       add_patient, save_practice, axe_check,
                                                       tmp_path, javascript):
    save_practice()
    in_use = default_documents(app)
    today = practice_today(app)
    patient = add_patient(account_number="RFM-4001", first_name="Ada", last_name="Quill")
    sign(app, patient, in_use["consent"])
    make_staff("nurse", email=NURSE_EMAIL, name="Jo Rivera")
    page = open_context("desktop", java_script_enabled=javascript).new_page()
    sign_in(page, NURSE_EMAIL)
    page.goto("/staff/consents/batch")
    expect(page.get_by_role("heading", level=1)).to_have_text("Print signed consents")
    for field in ("first", "last"):
        expect(page.locator(f"#{field}-month")).to_have_value(str(today.month))
        expect(page.locator(f"#{field}-day")).to_have_value(str(today.day))
        expect(page.locator(f"#{field}-year")).to_have_value(str(today.year))
    if javascript:
        axe_check(page)
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the PDF").click()
    path = tmp_path / "batch.pdf"
    download_info.value.save_as(path)
    words = pdf_text(path)
    assert "Ada Quill" in words and "Each consent's sealed original can be checked at" in words
    assert "This PDF carries the practice's digital seal" not in words
