"""The record's access history with "Hide my own views and downloads" (issue 21, part 5), in
Chromium on a phone (375 px) and a desktop: the patient opens a result, a nurse opened it
too; ticking the box and pressing "Update the list" leaves the nurse's line only, with
JavaScript (axe-core clean) and without it."""

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect
from records_data import SAMPLES, staff_opened

from portal.extensions import db
from portal.models import Patient, StaffUser
from portal.services import audit
from portal.services.records import entries

from .helpers import assert_unique_ids


@pytest.fixture
def opened(app, make_account, make_staff):
    """Robin's released lab result, opened once by a nurse: the entry's id."""
    account = make_account()
    nurse = make_staff("nurse")
    with app.app_context():
        patient = db.session.get(Patient, account.patient_id)
        origin = audit.Origin(db.session.get(StaffUser, nurse.id), "127.0.0.1", "test")
        entry = entries.publish(patient, "lab", SAMPLES["lab"], origin, release=True)
        db.session.commit()
        entry_id = entry.id
    staff_opened(app, nurse, entry_id)
    return entry_id


@pytest.mark.parametrize("kind, javascript", [("desktop", True), ("phone", True),
                                              ("phone", False)],
                         ids=["desktop", "phone", "phone-no-javascript"])
def test_hide_my_own_views(app, open_context, opened, patient_sign_in, axe_check,
                           assert_phone_layout, kind, javascript):
    page = open_context(kind, java_script_enabled=javascript).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto(f"/records/lab/{opened}")
    page.goto("/records/history")
    history = page.locator("table.record-history tbody")
    expect(history.locator("tr")).to_have_count(2)
    expect(history).to_contain_text("You opened Glucose, fasting")
    page.get_by_label("Hide my own views and downloads").check()
    page.get_by_role("button", name="Update the list").click()
    page.wait_for_url("**/records/history?mine=hide")
    expect(history.locator("tr")).to_have_count(1)
    expect(history).to_contain_text("A nurse at the practice opened Glucose, fasting")
    expect(page.get_by_label("Hide my own views and downloads")).to_be_checked()
    assert_unique_ids(page)
    if javascript:
        axe_check(page)
    if kind == "phone":
        assert_phone_layout(page)
