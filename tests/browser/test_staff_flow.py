"""The staff console walked through in Chromium: the issue's acceptance steps, and the same
forms with JavaScript switched off (the portal must not need it)."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from .helpers import main_nav

ADMIN_EMAIL = "admin@practice.test"
ACCOUNT = "RFM-2041"
BAD_DATE_MESSAGE = "The date of birth must be a real date."


@pytest.fixture
def count_patients(app):
    from portal.extensions import db
    from portal.models import Patient

    def count():
        with app.app_context():
            return db.session.scalar(select(func.count(Patient.id)))

    return count


def fill_new_chart(page, month="03", day="14", year="1962"):
    page.get_by_label("Account number").fill(ACCOUNT)
    page.get_by_label("First name", exact=True).fill("Maria")
    page.get_by_label("Last name", exact=True).fill("Lopez")
    page.locator("#date_of_birth-month").fill(month)
    page.locator("#date_of_birth-day").fill(day)
    page.locator("#date_of_birth-year").fill(year)
    page.get_by_label("Female").check()
    page.get_by_label("Phone (optional)").fill("555-201-0199")


def test_admin_creates_finds_and_audits_a_chart(open_context, make_staff, sign_in, add_patient,
                                                count_patients):
    # Other charts, some with the same name, so the search has something to leave out.
    add_patient(account_number="RFM-2040", first_name="Mario", last_name="Lopez",
                date_of_birth=date(1970, 5, 2), sex="male")
    add_patient(account_number="RFM-20410", first_name="Ana", last_name="Lopez",
                date_of_birth=date(1988, 11, 30))
    add_patient(account_number="RFM-3000", first_name="Grace", last_name="Okafor",
                date_of_birth=date(1955, 1, 9))
    make_staff("admin", email=ADMIN_EMAIL, name="Dana Whitfield")
    page = open_context("desktop").new_page()

    sign_in(page, ADMIN_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")

    # A month of 13: the chart is refused, everything typed is kept, the error is shown twice.
    page.get_by_role("link", name="New patient chart").click()
    fill_new_chart(page, month="13")
    page.get_by_role("button", name="Save chart").click()
    page.wait_for_load_state()

    assert page.title().startswith("Error:")
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_count(1)
    summary_link = summary.get_by_role("link", name=BAD_DATE_MESSAGE)
    expect(summary_link).to_have_attribute("href", "#date_of_birth-month")

    inline = page.locator("#date_of_birth-error")
    expect(inline).to_have_text(f"Error: {BAD_DATE_MESSAGE}")
    date_group = page.get_by_role("group", name="Date of birth")
    expect(date_group).to_have_attribute("aria-describedby", "date_of_birth-hint date_of_birth-error")
    expect(date_group.locator(".field-error")).to_be_visible()
    for part, typed in (("month", "13"), ("day", "14"), ("year", "1962")):
        expect(page.locator(f"#date_of_birth-{part}")).to_have_value(typed)
        expect(page.locator(f"#date_of_birth-{part}")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Account number")).to_have_value(ACCOUNT)
    expect(page.get_by_label("First name", exact=True)).to_have_value("Maria")
    expect(page.get_by_label("Last name", exact=True)).to_have_value("Lopez")
    expect(page.get_by_label("Female")).to_be_checked()
    expect(page.get_by_label("Phone (optional)")).to_have_value("555-201-0199")
    expect(page.locator(".field-error")).to_have_count(1)
    assert count_patients() == 3, "a refused chart must not be saved"

    # The summary's link takes keyboard focus to the month box.
    summary_link.click()
    assert page.evaluate("document.activeElement.id") == "date_of_birth-month"

    # Fixed: the chart is saved and shown.
    page.locator("#date_of_birth-month").fill("03")
    page.get_by_role("button", name="Save chart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Lopez")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator(".details")).to_contain_text(ACCOUNT)
    expect(page.locator(".details")).to_contain_text("03/14/1962")
    assert count_patients() == 4
    assert "/staff/patients/" in page.url

    # Search by account number: that chart and no other (not RFM-20410, not the other Lopezes).
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Name, account number or date of birth").fill(ACCOUNT.lower())
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("1 patient matches")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first.get_by_role("link")).to_have_text("Lopez, Maria")
    expect(rows.first).to_contain_text(ACCOUNT)
    expect(page.get_by_label("Name, account number or date of birth")).to_have_value(ACCOUNT.lower())
    assert "q=" not in page.url and ACCOUNT.lower() not in page.url.lower()

    # The audit log has the sign-in, the new chart and the look at it.
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit log")
    actions = page.locator("table.audit tbody td[data-label='Action']").all_inner_texts()
    for action in ("staff.sign_in", "patient.created", "patient.viewed"):
        assert action in actions, f"{action} missing from the audit log: {actions}"
    for action in ("patient.created", "patient.viewed"):
        row = page.locator("table.audit tbody tr").filter(
            has=page.locator("code", has_text=action)).first
        expect(row.locator("td[data-label='Patient']")).to_contain_text(ACCOUNT)
        expect(row.locator("td[data-label='Who']")).to_contain_text(ADMIN_EMAIL)


def test_error_summary_links_focus_each_field(open_context, make_staff, sign_in):
    make_staff("admin", email=ADMIN_EMAIL)
    page = open_context("desktop").new_page()
    sign_in(page, ADMIN_EMAIL)
    page.goto("/staff/patients/new")
    page.get_by_role("button", name="Save chart").click()
    links = page.locator(".error-summary a")
    expect(links).to_have_count(5)
    targets = [href.lstrip("#") for href in
               (links.nth(n).get_attribute("href") for n in range(links.count()))]
    assert targets == ["account_number", "first_name", "last_name", "date_of_birth-month", "sex-0"]
    for n, target in enumerate(targets):
        links.nth(n).click()
        assert page.evaluate("document.activeElement.id") == target


def test_sign_in_and_new_chart_work_without_javascript(open_context, make_staff, sign_in,
                                                      count_patients):
    make_staff("admin", email=ADMIN_EMAIL)
    context = open_context("desktop", java_script_enabled=False)
    page = context.new_page()

    sign_in(page, ADMIN_EMAIL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Patients")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.get_by_role("link", name="New patient chart").click()
    fill_new_chart(page, year="62")
    page.get_by_role("button", name="Save chart").click()
    expect(page.locator(".error-summary")).to_contain_text("Enter the year of birth with four digits")
    expect(page.get_by_label("First name", exact=True)).to_have_value("Maria")
    assert count_patients() == 0

    page.locator("#date_of_birth-year").fill("1962")
    page.get_by_role("button", name="Save chart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Maria Lopez")
    assert count_patients() == 1

    main_nav(page).get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Staff sign in")
    page.goto("/staff/patients")
    expect(page).to_have_url(re.compile(r"/staff/sign-in(\?|$)"))
