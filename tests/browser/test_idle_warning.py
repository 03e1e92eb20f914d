"""The idle warning: shown two minutes before the time-out, and "Stay signed in" works."""

from playwright.sync_api import expect


def test_idle_warning_appears_and_keeps_the_session(open_context, sign_in, make_staff, axe_check):
    staff = make_staff()
    page = open_context("phone").new_page()
    page.clock.install()
    sign_in(page, staff.email)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()
    page.clock.run_for("12:59")
    expect(warning).to_be_hidden()
    page.clock.run_for("00:02")
    expect(warning).to_be_visible()
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()
    axe_check(page)
    with page.expect_response("**/session/keep-alive") as response:
        page.get_by_role("button", name="Stay signed in").click()
    assert response.value.status == 204
    expect(warning).to_be_hidden()


def test_no_warning_for_visitors_who_are_not_signed_in(open_context):
    page = open_context().new_page()
    page.goto("/staff/sign-in")
    assert page.locator("#idle-warning").count() == 0
