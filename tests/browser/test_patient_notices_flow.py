"""Staff change and cancel a released appointment in Chromium (issue 21, part 2): the entry's
"Change or cancel this appointment" link, the form filled in with what is stored, a refused
time kept with its error, the cancellation saved: on a 375 px phone axe-core clean (axe
needs JavaScript), and on a desktop without JavaScript. The patient's outbox holds one notice
per step, none with a detail."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Practice
from portal.services.practice import PRACTICE_ID

SCHEDULED = {"day": "03/10/2026", "at": "09:30", "provider": "Dr Alder",
             "reason": "Knee pain follow-up", "state": "scheduled"}


@pytest.mark.parametrize("kind, java_script", [("phone", True), ("desktop", False)])
def test_staff_change_then_cancel_an_appointment(
        kind, java_script, app, robin_account, publish_entry, make_staff, open_context, sign_in, outbox,
        axe_check, assert_phone_layout):
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name="Maple Street Family Practice"))
        db.session.commit()
    entry_id = publish_entry("appointment", **SCHEDULED)
    desk = make_staff("front_desk", email="desk@practice.test")
    page = open_context(kind, java_script_enabled=java_script).new_page()
    sign_in(page, desk.email)
    page.goto(f"/staff/patients/{robin_account.patient_id}/records/{entry_id}")
    page.get_by_role("link", name="Change or cancel this appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the appointment")
    expect(page.get_by_label("Date")).to_have_value("03/10/2026")
    if java_script:
        axe_check(page)
        assert_phone_layout(page)
    page.get_by_label("Time").fill("25:99")
    page.get_by_label("Provider").fill("Dr Birch")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Provider")).to_have_value("Dr Birch")
    if java_script:
        axe_check(page)
        assert_phone_layout(page)
    page.get_by_label("Time").fill("09:30")
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Save the change").click()
    expect(page.get_by_text("The appointment was changed.")).to_be_visible()
    expect(page.get_by_text("Cancelled")).to_be_visible()
    subjects = [email.subject for email in outbox.queued]
    assert subjects == ["Something new is in your patient portal"] * 2
    for email in outbox.queued:
        assert "Dr Birch" not in email.body_text and "Knee" not in email.body_text
    assert "cancelled" in outbox.queued[-1].body_text
