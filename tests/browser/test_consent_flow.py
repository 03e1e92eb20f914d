"""The consent gate and health forms in Chromium, as a patient with no consent on file.

Sign in -> sent to the portal consent (with a note saying why) -> sign it (a drawn signature
with the mouse on a desktop, with a finger on a phone, the typed name alone without
JavaScript) -> /home opens -> download the signed PDF from /consents -> the medical history
form: save a draft, come back to it, submit with a required answer missing, then submit and
sign. axe-core clean and phone layout checked on each page along the way.
"""

import re

import pytest
from conftest import PATIENT_PASSWORD
from helpers import pdf_text
from playwright.sync_api import expect

from .helpers import draw_signature, stored_signatures

CONSENT_TITLE = "Patient portal consent"
FORM_TITLE = "Medical history questionnaire"
GATE_URL = re.compile(r"/consents/\d+/sign\?required=1$")


def expect_status(page, message):
    """The page shows `message` as a status note (other notes may show with it)."""
    expect(page.get_by_role("status").filter(has_text=message)).to_have_text(message)


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("desktop", False)])
def test_gate_consent_download_and_health_form(app, open_context, make_account, save_practice,
                                               patient_sign_in, axe_check, assert_phone_layout,
                                               tmp_path, kind, javascript):
    save_practice()
    make_account(consented=False, middle_name="Q.")
    page = open_context(kind, java_script_enabled=javascript).new_page()

    def ok():
        if javascript:  # axe-core runs inside the page
            axe_check(page)
        if kind == "phone":
            assert_phone_layout(page)

    # -- The gate: signing in leads to the consent, whatever page was asked for. -------------
    patient_sign_in(page, "robin", PATIENT_PASSWORD, expect_home=False)
    page.wait_for_url(GATE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(CONSENT_TITLE)
    gate_note = page.get_by_role("status").filter(has_text="Before you continue")
    expect(gate_note).to_have_text(f"Before you continue, please read and sign “{CONSENT_TITLE}”.")
    expect(gate_note).to_have_class(re.compile(r"\bnotice-info\b"))
    page.goto("/consents")
    page.wait_for_url(GATE_URL)
    expect(page.get_by_role("heading", level=2, name="What you agree to")).to_be_visible()
    pad = page.locator("#signature-pad")
    if javascript:
        expect(pad).to_be_visible()
    else:
        expect(pad).to_be_hidden()
    ok()

    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    if javascript:
        draw_signature(page, touch=kind == "phone")
    page.get_by_role("button", name=f"Sign “{CONSENT_TITLE}”").click()
    page.wait_for_url(re.compile(r"/consents\?signed=\d+$"))
    expect_status(page, f"Thank you. You signed “{CONSENT_TITLE}”. Your signed copy is below.")
    assert stored_signatures(app) == [("consent", "Robin Quill", "online", javascript)]
    ok()

    page.goto("/home")
    page.wait_for_url("**/home")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Robin")

    # -- The signed copy, downloaded from /consents. ----------------------------------------
    page.goto("/consents")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forms and consents")
    signed = page.get_by_role("table", name="Your signed documents, newest first")
    with page.expect_download() as download_info:
        signed.get_by_role("link", name=re.compile(f"^Download PDF of {CONSENT_TITLE} signed")).click()
    download = download_info.value
    assert re.fullmatch(r"consent-[\w-]+\.pdf", download.suggested_filename), download.suggested_filename
    path = tmp_path / "consent.pdf"
    download.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")
    words = " ".join(pdf_text(path).split())
    assert "Robin Q. Quill" in words and CONSENT_TITLE in words

    # -- The health form: save a draft, come back to it. -------------------------------------
    page.get_by_role("link", name=f"Fill in “{FORM_TITLE}”").click()
    page.wait_for_url(re.compile(r"/consents/forms/\d+$"))
    form_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text(FORM_TITLE)
    ok()
    page.get_by_label("Medicines you take now").fill("Lisinopril 10 mg daily")
    page.get_by_role("group", name="Do you smoke or use tobacco? (required)").get_by_label(
        "In the past").check()
    page.get_by_role("button", name="Save and finish later").click()
    page.wait_for_url("**/consents")
    expect_status(page, f"Your answers to “{FORM_TITLE}” are saved. You can finish the form later.")
    page.get_by_role("link", name=f"Continue “{FORM_TITLE}”").click()
    page.wait_for_url(form_url)
    expect(page.get_by_label("Medicines you take now")).to_have_value("Lisinopril 10 mg daily")
    expect(page.get_by_label("In the past")).to_be_checked()

    # Submitting with a required question unanswered signs nothing and keeps the answers.
    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    page.get_by_role("button", name="Submit and sign").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Answer this question: Are you allergic to any medicine?")
    assert page.title().startswith("Error:")
    expect(page.get_by_label("Medicines you take now")).to_have_value("Lisinopril 10 mg daily")
    ok()
    assert len(stored_signatures(app)) == 1

    allergies = page.get_by_role("group", name="Are you allergic to any medicine? (required)")
    allergies.get_by_label("Yes").check()
    page.get_by_label("If yes, which medicines, and what happened?").fill("Penicillin: hives")
    page.get_by_label("Type your full legal name").fill("Robin Quill")
    page.get_by_label("I have read and agree to this document").check()
    page.get_by_role("button", name="Submit and sign").click()
    page.wait_for_url(re.compile(r"/consents\?signed=\d+$"))
    expect_status(page, f"Thank you. You submitted “{FORM_TITLE}”. Your care team will review it.")
    expect(signed.locator("tr.just-signed")).to_contain_text(FORM_TITLE)
    expect(signed.get_by_role("link", name=re.compile(f"^Download PDF of {FORM_TITLE} signed"))) \
        .to_be_visible()
    expect(page.get_by_role("link", name=f"Continue “{FORM_TITLE}”")).to_have_count(0)
    ok()
    assert [row[:2] for row in stored_signatures(app)] == [("consent", "Robin Quill"),
                                                          ("form", "Robin Quill")]
