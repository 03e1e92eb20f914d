"""Issue 22 over real TLS (gunicorn with a self-signed certificate, an https base URL, two-step
required for staff): the front desk, on a phone with JavaScript off, records a child's parent,
names someone who must not have access, and ends the parent's access from the parent's own
page; a nurse marks the child's lab result confidential from its page. Every post goes over
https (no Referer, same-origin), the cookies stay `__Host-`, and axe-core finds nothing on the
nurse's pages (it needs JavaScript; tests/browser/test_pages.py checks the front desk's pages
at 375 px)."""

from datetime import date

import pytest
from playwright.sync_api import expect
from records_data import SAMPLES

from portal.extensions import db
from portal.models import Patient, StaffUser
from portal.services import audit
from portal.services.records import entries

from .helpers import PostLog, assert_host_cookies, chart_section, fill_guardian, new_staff_page


@pytest.fixture
def app_overrides(https_app_overrides):
    """`app` on the TLS server's base URL and instance folder."""
    return https_app_overrides


def test_guardians_blocks_and_a_confidential_mark_over_https(
        app, https_server, open_https_context, make_staff, staff_password, add_patient,
        save_practice, axe_check):
    base = https_server.url
    posts = PostLog(base)
    save_practice()
    today = date.today()
    patient_id = add_patient(first_name="Milo", date_of_birth=date(today.year - 7, 6, 1))

    # -- The front desk, on a phone without JavaScript. ---------------------------------------
    desk = posts.watch(new_staff_page(app, open_https_context, make_staff, staff_password,
                                      "front_desk", "desk@practice.test", "phone",
                                      java_script=False))
    desk.goto(f"/staff/patients/{patient_id}")
    chart_section(desk, "Family and access")
    fill_guardian(desk, "Dana Rivers", "dana@example.com")
    expect(desk.locator(".notice-success")).to_contain_text(
        "Dana Rivers is recorded as a parent or guardian of this patient.")
    row = desk.get_by_role("row").filter(has_text="Dana Rivers")
    expect(row).to_contain_text("Birth certificate")
    expect(row).to_contain_text("Added, not signed up yet")

    desk.locator("#block-full_name").fill("Lee Park")
    desk.locator("#block-basis").fill("Custody order of 11/02/2026")
    desk.get_by_role("button", name="Add the entry").click()
    desk.wait_for_load_state("load")
    expect(desk.locator(".notice-success")).to_contain_text("Access will not be granted to Lee Park")

    desk.get_by_role("row").filter(has_text="Dana Rivers").get_by_role("link", name="Manage").click()
    desk.wait_for_load_state("load")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Dana Rivers")
    desk.get_by_label("Why the access ends").select_option(label="Added in error")
    desk.get_by_role("button", name="End access").click()
    desk.wait_for_load_state("load")
    expect(desk.locator(".notice-success")).to_contain_text(
        "Dana Rivers's access as a parent or guardian has ended.")
    expect(desk.get_by_role("row").filter(has_text="Dana Rivers")).to_contain_text(
        "Added in error")
    assert_host_cookies(desk.context)

    # -- A nurse marks the child's lab result confidential, from the result's page. -----------
    nurse = posts.watch(new_staff_page(app, open_https_context, make_staff, staff_password,
                                       "nurse", "nurse@practice.test", "desktop"))
    with app.app_context():
        member = db.session.get(StaffUser, db.session.scalar(
            db.select(StaffUser.id).where(StaffUser.email == "nurse@practice.test")))
        entry = entries.publish(db.session.get(Patient, patient_id), "lab", SAMPLES["lab"],
                                audit.Origin(member, "127.0.0.1", "test"), release=True)
        db.session.commit()
        entry_id = entry.id
    nurse.goto(f"/staff/patients/{patient_id}/records/{entry_id}")
    nurse.get_by_role("link", name="Confidential from parents and guardians?").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text("Confidential from guardians")
    axe_check(nurse)
    nurse.get_by_label("A minor-consent service the law protects").check()
    nurse.get_by_label("Minor-consent service (for that basis)").select_option(
        label="Pregnancy care")
    nurse.get_by_role("button", name="Mark confidential").click()
    expect(nurse.locator(".notice-success")).to_contain_text(
        "is confidential from every parent and guardian.")
    expect(nurse.locator("dl")).to_contain_text("(Pregnancy care)")
    nurse.get_by_role("link", name="Back to family and access").click()
    expect(nurse.locator("#confidential-title + p + ul")).to_contain_text("Pregnancy care")
    axe_check(nurse)
    assert_host_cookies(nurse.context)

    posts.check()
