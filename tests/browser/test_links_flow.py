"""What people see of issue 21's smaller parts, in Chromium: the image a patient sent drawn in
the staff conversation, and the lab panel form (its core task without JavaScript, "Add more
rows" keeping what was typed). axe-core clean at desktop width and at 375 px."""

import pytest
from playwright.sync_api import expect
from test_staff_image_attachments import photo_with_metadata, start

from portal.extensions import db
from portal.models import RecordEntry
from portal.services.messages import attachments


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_staff_see_the_patient_s_image_in_the_conversation(
        viewport, app, open_context, make_account, make_staff, sign_in, axe_check,
        assert_phone_layout):
    account = make_account()
    conversation_id = start(app, account.id, [attachments.Upload("rash.png", photo_with_metadata())])
    nurse = make_staff("nurse", email="nurse@practice.test")
    page = sign_in(open_context(viewport).new_page(), nurse.email)
    page.goto(f"/staff/messages/{conversation_id}")
    image = page.get_by_role("img", name="Image the patient sent: attachment 1")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 40
    expect(page.get_by_role("link", name="Download rash.png")).to_be_visible()
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)


def test_the_lab_panel_form_works_without_javascript(app, open_context, make_patient,
                                                     make_staff, sign_in):
    patient = make_patient()
    nurse = make_staff("nurse", email="nurse@practice.test")
    page = sign_in(open_context("phone", java_script_enabled=False).new_page(), nurse.email)
    page.goto(f"/staff/patients/{patient.id}/records/new")
    page.get_by_role("link", name="Publish a lab panel: one name and date, a row for each result").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish a lab panel")
    page.get_by_label("Panel name").fill("Basic metabolic panel")
    first = page.get_by_role("group", name="Result 1", exact=True)
    first.get_by_label("Test name").fill("Glucose")
    first.get_by_label("Result", exact=True).fill("126")
    first.get_by_label("Reference range (optional)").fill("70-99")
    page.get_by_role("button", name="Add more rows").click()
    expect(page.get_by_role("group", name="Result 10")).to_be_visible()
    expect(first.get_by_label("Test name")).to_have_value("Glucose")
    expect(first.get_by_label("Flag")).to_have_value("high")  # suggested, staff may change it
    second = page.get_by_role("group", name="Result 2")
    second.get_by_label("Test name").fill("Creatinine")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("link", name="Result 2: Enter result.")).to_be_visible()
    expect(first.get_by_label("Test name")).to_have_value("Glucose")
    second.get_by_label("Result", exact=True).fill("0.9")
    second.get_by_label("Flag").select_option("normal")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_text("Results published from the panel: 2.")).to_be_visible()
    with app.app_context():
        assert [(row.title, row.facts["flag"]) for row in db.session.query(RecordEntry)
                .order_by(RecordEntry.id)] == [("Glucose", "high"), ("Creatinine", "normal")]


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_lab_panel_form_is_accessible(viewport, app, open_context, make_patient, make_staff,
                                          sign_in, axe_check, assert_phone_layout):
    patient = make_patient()
    nurse = make_staff("nurse", email="nurse@practice.test")
    page = sign_in(open_context(viewport).new_page(), nurse.email)
    page.goto(f"/staff/patients/{patient.id}/records/panel")
    axe_check(page)
    page.get_by_role("group", name="Result 1", exact=True).get_by_label("Test name").fill("Glucose")
    page.get_by_role("button", name="Publish now").click()  # no name, no result: errors
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)
