"""Issue 22 over real TLS (gunicorn with a self-signed certificate, an https base URL): the
front desk emails a parent an invitation, and the parent follows the delivered link on a
phone with JavaScript off, proves who they are and opens an account of their own; an adult
patient invites a representative, signs the authorization, and the representative follows
their link and joins. Every post goes over https (no Referer, same-origin), every emailed
link is the https address, and the cookies stay `__Host-`."""

from datetime import date
from types import SimpleNamespace

import pytest
from conftest import PATIENT_PASSWORD, SECURITY_ANSWER, _consent_on_file
from playwright.sync_api import expect

from portal.extensions import db

from .helpers import Mailbox, PostLog, assert_host_cookies, chart_section, fill_guardian, new_staff_page

NEW_PASSWORD = "maple river lantern cello"


@pytest.fixture
def app_overrides(https_app_overrides):
    """`app` on the TLS server's base URL and instance folder."""
    return https_app_overrides


def fill_day(page, group, month, day, year):
    born = page.get_by_role("group", name=group)
    for part, value in (("Month", month), ("Day", day), ("Year", year)):
        born.get_by_label(part).fill(value)


def open_account(page, username):
    """The account step of an invitation: a new account, then the home."""
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your sign-in details")
    page.get_by_label("Choose a username").fill(username)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    page.get_by_label("Who was your childhood hero?").check()
    page.get_by_label("Your answer").fill(SECURITY_ANSWER)
    page.get_by_label("I have read the portal's terms and agree to them").check()
    page.get_by_role("button", name="Create my account").click()
    page.wait_for_url("**/home")


def test_a_parent_and_a_representative_join_over_https(
        app, https_server, open_https_context, make_staff, staff_password, add_patient,
        save_practice, outbox, make_account, patient_sign_in):
    base = https_server.url
    posts, mailbox = PostLog(base), Mailbox(outbox)
    save_practice()
    born = date(date.today().year - 9, 1, 15)
    child_id = add_patient(first_name="Milo", last_name="Rivers", account_number="T-5200",
                           date_of_birth=born)
    with app.app_context():
        _consent_on_file(SimpleNamespace(patient_id=child_id, id=None))
        db.session.commit()

    # -- The front desk emails the parent an invitation. ---------------------------------------
    desk = posts.watch(new_staff_page(app, open_https_context, make_staff, staff_password,
                                      "front_desk", "desk@practice.test", "desktop"))
    desk.goto(f"/staff/patients/{child_id}")
    chart_section(desk, "Family and access")
    fill_guardian(desk, "Dana Rivers", "dana@example.com")
    desk.get_by_role("row").filter(has_text="Dana Rivers").get_by_role("link", name="Manage").click()
    desk.get_by_role("button", name="Send the invitation by email").click()
    expect(desk.locator(".notice-success")).to_contain_text("An invitation was emailed to Dana")
    _message, link = mailbox.link("/guardian?t=")
    assert link.startswith(base + "/guardian?t=")

    # -- The parent, on a phone without JavaScript. --------------------------------------------
    parent = posts.watch(open_https_context("phone", java_script_enabled=False).new_page())
    parent.goto(link)
    parent.wait_for_url("**/join")
    fill_day(parent, "Your child's date of birth", f"{born.month:02d}", f"{born.day:02d}",
             str(born.year))
    parent.get_by_label("Your child's account number").fill("T-5200")
    fill_day(parent, "Your own date of birth", "07", "19", "1984")
    parent.get_by_role("button", name="Continue").click()
    open_account(parent, "dana.rivers")
    expect(parent.locator(".acting-for-who")).to_contain_text("Record of Milo Rivers, born")
    assert_host_cookies(parent.context)

    # -- An adult patient invites a representative, who joins. ---------------------------------
    make_account(username="robin")
    patient = posts.watch(open_https_context("desktop").new_page())
    patient_sign_in(patient, "robin", PATIENT_PASSWORD)
    patient.goto("/profile/access")
    patient.get_by_role("link", name="Invite someone to help with your care").click()
    patient.get_by_label("Their full name").fill("Alex Quill")
    patient.get_by_label("Their email address").fill("alex@example.com")
    patient.get_by_label("Son or daughter").check()
    patient.get_by_label("View the health record").check()
    patient.get_by_role("button", name="Continue to the authorization").click()
    expect(patient.locator("#authorization")).to_contain_text("Purpose: to help me with my health")
    patient.get_by_label("Type your full legal name to sign").fill("Robin Quill")
    patient.get_by_label("I authorize this, as written above").check()
    patient.get_by_role("button", name="Sign and send the invitation").click()
    expect(patient.locator(".notice-success")).to_contain_text("Alex Quill has been emailed")
    _message, link = mailbox.link("/representative?t=")
    assert link.startswith(base + "/representative?t=")

    alex = posts.watch(open_https_context("desktop").new_page())
    alex.goto(link)
    alex.wait_for_url("**/join")
    fill_day(alex, "Date of birth of the person who invited you", "04", "09", "1980")
    fill_day(alex, "Your own date of birth", "02", "11", "2001")
    alex.get_by_role("button", name="Continue").click()
    open_account(alex, "alex.quill")
    expect(alex.locator(".acting-for-who")).to_contain_text("Record of Robin Quill, born")
    # View only: the navigation offers the record, not messages.
    expect(alex.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Messages")).to_have_count(0)
    assert_host_cookies(alex.context)

    seen = posts.check()
    assert {"/join", "/join/account", "/profile/access/new", "/profile/access/authorize"} \
        <= set(seen)
