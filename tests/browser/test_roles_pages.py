"""Staff roles in Chromium over HTTPS (issue 19, part 1): a front desk's chart offers no
clinical publishing (only the kinds the role may publish, no CSV import, no retract), and the
admin's page of what each role may do works with and without JavaScript, on a desktop and a
375 px phone, axe-core clean."""

import pytest
from playwright.sync_api import expect

from .helpers import chart_section, new_staff_page

FRONT_DESK = "frontdesk@practice.test"
ADMIN = "admin@practice.test"


@pytest.mark.parametrize("kind", ["desktop", "phone"])
def test_a_front_desk_chart_offers_no_clinical_publishing(
        app, https_server, open_https_context, make_staff, staff_password, add_patient,
        save_practice, axe_check, assert_phone_layout, kind):
    save_practice()
    chart_id = add_patient(account_number="ROLE-77")
    page = new_staff_page(app, open_https_context, make_staff, staff_password, "front_desk",
                          FRONT_DESK, kind)
    page.goto(f"/staff/patients/{chart_id}")
    chart_section(page, "Health record")
    section = page.locator("#health-record")
    expect(section).to_contain_text("You may publish: Appointment, Statement, Document.")
    axe_check(page)
    if kind == "phone":
        assert_phone_layout(page)
    section.get_by_role("link", name="Publish a record").click()
    links = page.locator("main ul.settings-list a")
    expect(links).to_have_text(["Appointment", "Statement", "Document"])
    expect(page.get_by_text("Import lab results or immunizations")).to_have_count(0)
    expect(page.get_by_role("link", name="Lab result")).to_have_count(0)
    axe_check(page)
    # A clinical form asked for by its address is refused.
    response = page.goto(f"/staff/patients/{chart_id}/records/new?category=lab")
    assert response.status == 403


# axe-core and the layout check run as scripts in the page, so they check the page with
# JavaScript on; the change is also made once with JavaScript off.
@pytest.mark.parametrize(("kind", "java_script"), [("desktop", True), ("phone", True), ("desktop", False)])
def test_the_admin_changes_what_a_role_may_do(
        app, https_server, open_https_context, make_staff, staff_password, save_practice,
        axe_check, assert_phone_layout, kind, java_script):
    save_practice()
    page = new_staff_page(app, open_https_context, make_staff, staff_password, "admin", ADMIN, kind,
                          java_script=java_script)

    def check_the_page():
        if java_script:
            axe_check(page)
            if kind == "phone":
                assert_phone_layout(page)

    page.goto("/admin/permissions")
    expect(page.get_by_role("heading", level=1)).to_have_text("What each staff role may do")
    check_the_page()
    group = page.get_by_role("group", name="Retract an entry entered in error")
    expect(group.get_by_label("Nurse")).to_be_checked()
    group.get_by_label("Nurse").uncheck()
    page.get_by_role("button", name="Save what each role may do").click()
    page.wait_for_url("**/admin/permissions")
    expect(page.get_by_text("What each staff role may do was saved.")).to_be_visible()
    expect(page.get_by_role("group", name="Retract an entry entered in error")
           .get_by_label("Nurse")).not_to_be_checked()
    check_the_page()
