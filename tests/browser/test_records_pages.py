"""The patient's health record pages in Chromium: each passes axe-core at desktop width and at
375 px on a phone, where it must not scroll sideways and its buttons are 44 px tap targets.
The pages are shown with entries in them (abnormal and new ones, upcoming and past
appointments, statements, a document), since empty pages hide most problems."""

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect
from records_data import PDF, SAMPLES

from portal.extensions import db
from portal.models import Patient, StaffUser
from portal.services import audit
from portal.services.records import entries as record_entries


def publish_record(app, patient_id, staff_id):
    """A record with something in every table: {name: entry id} of the entries opened."""
    entries = [
        ("lab", {}),
        ("lab", {"test": "Hemoglobin A1c with estimated average glucose", "value": "5.4",
                 "unit": "%", "reference_range": "4.0-5.6", "flag": "normal"}),
        ("appointment", {"day": "12/30/2099", "state": "scheduled"}),
        ("appointment", {}),
        ("statement", {}),
        ("statement", {"title": "Laboratory services", "balance": "0.00"}),
        ("visit", {"notes": "Blood pressure a little high.\nRecheck at home twice a day."}),
        ("document", {}),
    ]
    ids = {}
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        origin = audit.Origin(db.session.get(StaffUser, staff_id), "127.0.0.1", "test")
        for category, values in entries:
            entry = record_entries.publish(patient, category, {**SAMPLES[category], **values}, origin,
                                    release=True, file=PDF if category == "document" else None)
            db.session.flush()
            ids.setdefault(category, entry.id)
        db.session.commit()
    return ids


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_record_pages_are_accessible(viewport, app, open_context, make_account, make_staff,
                                         patient_sign_in, axe_check, assert_phone_layout):
    account = make_account()
    ids = publish_record(app, account.patient_id, make_staff("admin").id)  # admins publish every kind
    page = open_context(viewport).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    for path, heading in (("/records", "Health record"),
                          ("/records/lab", "Lab and test results"),
                          (f"/records/lab/{ids['lab']}", "New Glucose, fasting"),
                          ("/records/appointment", "Appointments"),
                          ("/records/statement", "Bills and statements"),
                          (f"/records/visit/{ids['visit']}", "New Annual physical"),
                          (f"/records/document/{ids['document']}", "New Chest X-ray report")):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe_check(page)
        if viewport == "phone":
            assert_phone_layout(page)
