"""The patient's home and the phone menu in Chromium, with JavaScript off (issue 21, part 3).

The home with something in every section passes axe-core at desktop width and on a phone; on
a 375 x 812 phone the navigation is one "Menu" control that opens with a tap or the keyboard
and no JavaScript, and each page's heading is in view without scrolling (patient and staff
pages share the header). On a desktop the full navigation shows and the control does not."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect
from records_data import PDF, SAMPLES

from portal.extensions import db
from portal.models import Conversation, Document, FormDraft, Patient, StaffUser
from portal.services import audit
from portal.services.records import entries as record_entries

PHONE = {"width": 375, "height": 812}


def fill_the_home(app, patient_id, staff_id, topic_id):
    """Something in every section of the patient's home."""
    with app.app_context():
        patient = db.session.get(Patient, patient_id)
        origin = audit.Origin(db.session.get(StaffUser, staff_id), "127.0.0.1", "test")
        for category, values in (("lab", {}), ("document", {}), ("statement", {}),
                                 ("appointment", {"day": "12/30/2099", "state": "scheduled",
                                                  "place": "Lakeside clinic, room 4"})):
            record_entries.publish(patient, category, {**SAMPLES[category], **values}, origin,
                                   release=True, file=PDF if category == "document" else None)
        form = db.session.query(Document).filter_by(kind="form").one()
        db.session.add(FormDraft(patient_id=patient_id, document_id=form.id,
                                 version_id=form.current_version_id, values={}))
        db.session.add(Conversation(patient_id=patient_id, topic_id=topic_id, pool="clinical",
                                    subject="A question", status="waiting",
                                    last_staff_message_at=datetime.now(UTC) - timedelta(hours=1)))
        db.session.commit()


def heading_in_view(page):
    """The page's h1 ends above the bottom of a 812 px high phone screen, as the page opens
    (bounding_box is measured from the top of the viewport, and needs no page script)."""
    box = page.get_by_role("heading", level=1).bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] < PHONE["height"], (
        page.url, box)


@pytest.fixture
def filled_home(app, make_account, make_staff, topics, save_practice):
    save_practice()  # a full practice: name, address, phone, hours, the emergency notice
    account = make_account()
    fill_the_home(app, account.patient_id, make_staff("admin").id,
                  topics["Question for my care team"])
    return account


@pytest.mark.parametrize("viewport, javascript", [("desktop", True), ("phone", True),
                                                  ("desktop", False), ("phone", False)])
def test_the_home_shows_what_waits(viewport, javascript, filled_home, open_context,
                                   patient_sign_in, axe_check, assert_phone_layout):
    page = open_context(viewport, java_script_enabled=javascript).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin")
    for heading in ("1 health form to fill in", "1 unread reply", "2 new in your health record",
                    "Your next appointment", "Balance due"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    expect(page.get_by_text("Started", exact=True)).to_be_visible()
    expect(page.locator(".tag-abnormal")).to_have_text("1 abnormal")
    expect(page.get_by_text("Lakeside clinic, room 4")).to_be_visible()
    expect(page.get_by_text("In an emergency call 911")).to_have_count(1)
    if javascript:  # axe-core and the layout check run inside the page
        axe_check(page)
        if viewport == "phone":
            assert_phone_layout(page)
    page.get_by_role("link", name="Read the reply from your care team").click()
    page.wait_for_url("**/messages")


def test_on_a_phone_the_menu_opens_without_javascript(filled_home, open_context,
                                                     patient_sign_in):
    page = open_context("phone", java_script_enabled=False).new_page()
    page.set_viewport_size(PHONE)
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    messages = nav.get_by_role("link", name="Messages")
    expect(messages).to_be_hidden()
    expect(nav.get_by_role("button", name="Sign out")).to_be_hidden()
    heading_in_view(page)
    page.locator("label[for=menu-toggle]").click()  # a tap on "Menu"
    expect(messages).to_be_visible()
    expect(nav.get_by_role("button", name="Sign out")).to_be_visible()
    messages.click()
    page.wait_for_url("**/messages")
    expect(messages).to_be_hidden()  # a new page starts folded
    heading_in_view(page)
    for path in ("/records", "/consents", "/profile"):
        page.goto(path)
        heading_in_view(page)


def test_the_open_menu_is_accessible_on_a_phone(filled_home, open_context, patient_sign_in,
                                                axe_check, assert_phone_layout):
    page = open_context("phone").new_page()
    page.set_viewport_size(PHONE)
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    axe_check(page)
    page.locator("label[for=menu-toggle]").click()
    expect(page.get_by_role("checkbox", name="Menu")).to_be_checked()
    axe_check(page)
    assert_phone_layout(page)


def test_the_menu_works_from_the_keyboard(filled_home, open_context, patient_sign_in):
    """Tab reaches "Menu", its focus shows, and Space opens it (the page's script is on only
    so the test can ask where the focus is; the menu itself has none)."""
    page = open_context("phone").new_page()
    page.set_viewport_size(PHONE)
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    menu = page.get_by_role("checkbox", name="Menu")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    for _ in range(6):
        if menu.evaluate("element => element === document.activeElement"):
            break
        page.keyboard.press("Tab")
    assert menu.evaluate("element => element === document.activeElement")
    outline = page.locator("label[for=menu-toggle]").evaluate(
        "label => getComputedStyle(label).outlineStyle")
    assert outline == "solid"  # the focus shows on the visible control
    page.keyboard.press("Space")
    expect(menu).to_be_checked()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Health record")
           ).to_be_visible()


def test_staff_pages_fold_their_menu_on_a_phone(open_context, make_staff, sign_in, save_practice,
                                                axe_check, assert_phone_layout):
    save_practice()
    admin = make_staff("admin", email="ada@practice.test", name="Ada Admin")
    page = open_context("phone").new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, admin.email)
    heading_in_view(page)
    audit_log = page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")
    expect(audit_log).to_be_hidden()
    page.locator("label[for=menu-toggle]").click()
    expect(audit_log).to_be_visible()
    axe_check(page)
    assert_phone_layout(page)
    audit_log.click()
    page.wait_for_url("**/admin/audit")
    heading_in_view(page)


def test_a_desktop_keeps_the_full_navigation(filled_home, open_context, patient_sign_in):
    page = open_context("desktop", java_script_enabled=False).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Home", "Forms and consents", "Messages", "Health record", "Your account"):
        expect(nav.get_by_role("link", name=name, exact=False).first).to_be_visible()
    expect(page.locator("label[for=menu-toggle]")).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Menu")).to_have_count(0)
