"""Issue 22: the front desk records a child's parent and ends that access, on a phone with
JavaScript off: the section's forms are plain forms. (axe-core and the phone layout check
need JavaScript in the page: tests/browser/test_pages.py runs both on this section.)"""

from datetime import date

from playwright.sync_api import expect

from .helpers import chart_section, fill_guardian


def test_a_parent_recorded_and_ended_on_a_phone_without_javascript(
        open_context, make_staff, sign_in, add_patient, save_practice):
    save_practice()
    today = date.today()
    patient_id = add_patient(first_name="Milo", date_of_birth=date(today.year - 7, 6, 1))
    make_staff("front_desk", email="desk@practice.test", name="Pat Desk")
    page = open_context("phone", java_script_enabled=False).new_page()
    sign_in(page, "desk@practice.test")
    page.goto(f"/staff/patients/{patient_id}")
    chart_section(page, "Family and access")

    fill_guardian(page, "Dana Rivers", "dana@example.com")
    expect(page.locator(".notice-success")).to_contain_text(
        "Dana Rivers is recorded as a parent or guardian of this patient.")
    row = page.get_by_role("row").filter(has_text="Dana Rivers")
    expect(row).to_contain_text("Birth certificate")
    expect(row).to_contain_text("Added, not invited yet")

    row.get_by_role("link", name="Manage").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dana Rivers")
    page.get_by_label("Why the access ends").select_option(label="Added in error")
    page.get_by_role("button", name="End access").click()
    page.wait_for_load_state("load")
    expect(page.locator(".notice-success")).to_contain_text(
        "Dana Rivers's access as a parent or guardian has ended.")
    expect(page.get_by_role("row").filter(has_text="Dana Rivers")).to_contain_text(
        "Added in error")
