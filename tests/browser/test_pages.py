"""Every staff console page passes axe-core at desktop width and at 375 px on a phone.

At phone width the page must not scroll sideways and its buttons and inputs must be at
least 44 px high. Each page is shown with content in it (a saved practice, patients, form
errors), since empty pages hide most problems.
"""

from datetime import date

import pytest
from playwright.sync_api import expect

ADMIN_EMAIL = "admin@practice.test"


class Scene:
    """What a page test needs to put a page on screen: a browser page and the test data."""

    def __init__(self, page, make_staff, sign_in, add_patient):
        self.page = page
        self.make_staff = make_staff
        self.sign_in = sign_in
        self.add_patient = add_patient

    def sign_in_admin(self):
        self.make_staff("admin", email=ADMIN_EMAIL, name="Dana Whitfield")
        self.sign_in(self.page, ADMIN_EMAIL)

    def add_patients(self, count):
        first_names = ["Maria", "James", "Aisha", "Wei", "Olga", "Tomas", "Grace", "Sam"]
        last_names = ["Lopez", "Okafor", "Nguyen", "Schmidt", "Brown", "Rossi"]
        ids = []
        for n in range(count):
            ids.append(self.add_patient(
                account_number=f"RFM-{1000 + n}",
                first_name=first_names[n % len(first_names)],
                last_name=last_names[n % len(last_names)],
                preferred_name="Bea" if n == 2 else "",
                date_of_birth=date(1940 + n, 1 + n % 12, 1 + n % 28),
                status="inactive" if n == 5 else "active",
            ))
        return ids

    def search(self, text):
        self.page.get_by_label("Name, account number or date of birth").fill(text)
        self.page.get_by_role("button", name="Search").click()
        self.page.wait_for_url("**/staff/patients")


def show_front_page(scene):
    scene.page.goto("/")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Welcome to the patient portal")


def show_sign_in(scene):
    scene.page.goto("/staff/sign-in")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Staff sign in")


def show_sign_in_failed(scene):
    scene.make_staff("admin", email=ADMIN_EMAIL)
    scene.sign_in(scene.page, ADMIN_EMAIL, password="not the right password")
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    assert scene.page.title().startswith("Error:")


def show_patient_list(scene):
    scene.add_patients(30)
    scene.sign_in_admin()
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("30 patients")
    expect(scene.page.locator("table tbody tr")).to_have_count(25)
    expect(scene.page.get_by_role("link", name="Next page")).to_be_visible()


def show_patient_search(scene):
    scene.add_patients(12)
    scene.sign_in_admin()
    scene.search("lopez")
    expect(scene.page.get_by_role("heading", level=2)).to_have_text("2 patients match")
    expect(scene.page.get_by_role("button", name="Clear search and show all")).to_be_visible()


def show_patient_search_without_match(scene):
    scene.add_patients(3)
    scene.sign_in_admin()
    scene.search("Zzyzx")
    expect(scene.page.get_by_text("No chart matches that search")).to_be_visible()


def show_new_patient_form(scene):
    scene.sign_in_admin()
    scene.page.get_by_role("link", name="New patient chart").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("New patient chart")


def show_new_patient_form_with_errors(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/patients/new")
    scene.page.locator("#date_of_birth-month").fill("13")
    scene.page.locator("#email").fill("not an address")
    scene.page.locator("#postal_code").fill("1234")
    scene.page.get_by_role("button", name="Save chart").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    expect(scene.page.locator(".field-error")).to_have_count(7)


def show_chart(scene):
    patient_id = scene.add_patient(
        middle_name="Elena", preferred_name="Mari", email="maria@example.com",
        phone="555-201-0199", address_line1="12 Elm Street", address_line2="Apt 4",
        city="Springfield", state="IL", postal_code="62704")
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Maria Elena Lopez")


def show_edit_form(scene):
    patient_id = scene.add_patient(email="maria@example.com", phone="555-201-0199")
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}/edit")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Edit patient chart")
    expect(scene.page.locator("#first_name")).to_have_value("Maria")


def show_settings(scene):
    scene.sign_in_admin()
    scene.page.get_by_role("link", name="Practice settings").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Practice settings")


def show_settings_with_error(scene):
    scene.sign_in_admin()
    scene.page.goto("/admin/settings")
    scene.page.get_by_label("Practice name").fill("")
    scene.page.get_by_label("Largest attachment, in MB").fill("50")
    scene.page.get_by_role("button", name="Save settings").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("Enter the practice's name.")
    expect(scene.page.locator(".field-error")).to_have_count(2)


def show_audit_log(scene):
    patient_id = scene.add_patients(2)[0]
    scene.sign_in_admin()
    scene.page.goto(f"/staff/patients/{patient_id}")
    scene.page.goto("/admin/audit")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Audit log")
    # two charts created, the sign-in, the patient list shown after it, the chart viewed
    expect(scene.page.locator("table.audit tbody tr")).to_have_count(5)


def show_staff_list(scene):
    scene.make_staff("nurse", email="nurse@practice.test", name="Jo Rivera")
    scene.sign_in_admin()
    scene.page.get_by_role("link", name="Staff", exact=True).click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Staff accounts")
    expect(scene.page.get_by_role("button", name="Disable Jo Rivera")).to_be_visible()


def show_staff_account(scene):
    scene.sign_in_admin()
    scene.page.get_by_role("link", name="Your account").click()
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Your staff account")


def show_staff_password_with_errors(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/account/password")
    scene.page.get_by_label("New password", exact=True).fill("too short")
    scene.page.get_by_role("button", name="Change password").click()
    expect(scene.page.locator(".error-summary")).to_contain_text("There is a problem")
    assert scene.page.title().startswith("Error:")


def show_staff_activity(scene):
    scene.sign_in_admin()
    scene.page.goto("/staff/account/activity")
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Recent sign-in activity")
    expect(scene.page.get_by_text("Active (this browser)")).to_be_visible()


def show_not_found(scene):
    scene.sign_in_admin()
    response = scene.page.goto("/staff/no-such-page")
    assert response.status == 404
    expect(scene.page.get_by_role("heading", level=1)).to_have_text("Page not found")


PAGES = {
    "front": show_front_page,
    "sign-in": show_sign_in,
    "sign-in-failed": show_sign_in_failed,
    "patient-list": show_patient_list,
    "patient-search": show_patient_search,
    "patient-search-no-match": show_patient_search_without_match,
    "new-patient": show_new_patient_form,
    "new-patient-errors": show_new_patient_form_with_errors,
    "chart": show_chart,
    "edit-chart": show_edit_form,
    "settings": show_settings,
    "settings-error": show_settings_with_error,
    "audit-log": show_audit_log,
    "not-found": show_not_found,
    "staff-list": show_staff_list,
    "staff-account": show_staff_account,
    "staff-password-errors": show_staff_password_with_errors,
    "staff-activity": show_staff_activity,
}


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_accessible(name, viewport, open_context, make_staff, sign_in, add_patient,
                            save_practice, axe_check, assert_phone_layout):
    save_practice()
    page = open_context(viewport).new_page()
    PAGES[name](Scene(page, make_staff, sign_in, add_patient))
    axe_check(page)
    if viewport == "phone":
        assert_phone_layout(page)


def test_pages_before_the_practice_is_set_up_are_accessible(open_context, axe_check,
                                                           assert_phone_layout):
    """Before the admin saves any settings the header and footer are nearly empty."""
    page = open_context("phone").new_page()
    for path, status, heading in (("/", 200, "Welcome to the patient portal"),
                                  ("/no-such-page", 404, "Page not found")):
        response = page.goto(path)
        assert response.status == status
        expect(page.locator(".brand")).to_have_text("Patient portal")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        axe_check(page)
        assert_phone_layout(page)


def test_skip_link_shows_on_focus_and_moves_focus_to_main(open_context, save_practice):
    save_practice()
    page = open_context("desktop").new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_axe_check_reports_violations(browser, axe_check):
    """The helper itself: a page with known problems must fail, naming the rules."""
    page = browser.new_page()
    try:
        page.set_content('<html><body><main><img src="x.png"><input type="text"></main></body></html>')
        with pytest.raises(pytest.fail.Exception) as failure:
            axe_check(page)
    finally:
        page.close()
    for rule in ("html-has-lang", "image-alt", "label"):
        assert rule in str(failure.value)


def test_phone_layout_check_reports_problems(browser, assert_phone_layout):
    """The helper itself: sideways scrolling and a small button must each fail."""
    page = browser.new_page(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    try:
        page.set_content('<meta name="viewport" content="width=device-width, initial-scale=1">'
                         '<div style="width: 500px">wide</div>')
        with pytest.raises(AssertionError, match="scrolls sideways"):
            assert_phone_layout(page)
        page.set_content('<meta name="viewport" content="width=device-width, initial-scale=1">'
                         '<button style="height: 30px">Go</button><input type="hidden">'
                         '<input type="radio" id="r"><label for="r">Radio</label>')
        with pytest.raises(AssertionError, match="tap targets") as failure:
            assert_phone_layout(page)
        assert "<button" in str(failure.value) and 'type="radio"' in str(failure.value)
        assert 'type="hidden"' not in str(failure.value)
    finally:
        page.close()
