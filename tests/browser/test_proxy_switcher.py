"""Issue 22, the switcher, over real TLS: a parent with one account reaches two children. On a
desktop with JavaScript off she opens the other child's record with the one form under the
navigation; on a phone (375 px, JavaScript on, so axe-core can run) the pages fit, the tap
targets are big enough and axe-core finds nothing. Every post goes over https, same-origin,
and the cookies stay `__Host-`."""

from datetime import date
from types import SimpleNamespace

import pytest
from conftest import PATIENT_PASSWORD, SECURITY_ANSWER, _consent_on_file, _password_hash
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import PatientAccount, ProxyGrant
from portal.services import accounts, audit
from portal.services.patients import create_patient

from .helpers import PostLog, assert_host_cookies


@pytest.fixture
def app_overrides(https_app_overrides):
    """`app` on the TLS server's base URL and instance folder."""
    return https_app_overrides


@pytest.fixture
def two_children(app, save_practice):
    """Dana Rivers's guardian account (username dana.rivers), reaching June (12) and Milo (7),
    each child's portal consent on file."""
    save_practice()
    today = date.today()
    with app.app_context():
        children = [create_patient({
            "account_number": number, "first_name": first, "last_name": "Rivers",
            "date_of_birth": date(today.year - age, 6, 1), "sex": "unknown", "status": "active"},
            audit.SYSTEM) for number, first, age in (("T-5001", "June", 12), ("T-5002", "Milo", 7))]
        dana = PatientAccount(
            patient_id=None, holder_name="Dana Rivers", holder_date_of_birth=date(1984, 7, 19),
            username="dana.rivers", email="dana@example.com",
            password_hash=_password_hash(PATIENT_PASSWORD), security_question="childhood_hero",
            security_answer_hash=accounts.hash_answer(SECURITY_ANSWER))
        db.session.add(dana)
        db.session.flush()
        for child in children:
            db.session.add(ProxyGrant(
                patient_id=child.id, full_name="Dana Rivers", relationship="parent",
                email="dana@example.com", date_of_birth=date(1984, 7, 19),
                document="birth_certificate", status="active", account_id=dana.id))
            _consent_on_file(SimpleNamespace(patient_id=child.id, id=None))
        db.session.commit()
        return {child.first_name: child.id for child in children}


def switch_to(page, name):
    page.get_by_label("Open the record of").select_option(label=f"{name} Rivers")
    page.get_by_role("button", name="Open", exact=True).click()
    page.wait_for_load_state("load")
    expect(page.locator(".notice-success")).to_contain_text(
        f"You are now looking at the record of {name} Rivers.")
    expect(page.locator(".acting-for-who")).to_contain_text(f"Record of {name} Rivers, born")


def test_a_parent_switches_between_two_children_over_https(
        https_server, open_https_context, two_children, patient_sign_in, axe_check,
        assert_phone_layout):
    posts = PostLog(https_server.url)

    # -- A desktop browser with JavaScript off. ------------------------------------------------
    desk = posts.watch(open_https_context("desktop", java_script_enabled=False).new_page())
    patient_sign_in(desk, "dana.rivers", PATIENT_PASSWORD)
    who = desk.locator(".acting-for-who")
    expect(who).to_contain_text("Record of June Rivers, born")
    expect(who).to_contain_text("(you act for them as their parent)")
    expect(desk.get_by_role("heading", level=1)).to_have_text("Hello, Dana")
    switch_to(desk, "Milo")
    desk.get_by_role("link", name="Health record").first.click()
    desk.wait_for_load_state("load")
    expect(desk.locator(".acting-for-who")).to_contain_text("Record of Milo Rivers, born")
    # The record's links that are the patient's own are not offered to a parent.
    expect(desk.get_by_role("link", name="Share your record with another provider")).to_have_count(0)
    switch_to(desk, "June")
    assert_host_cookies(desk.context)

    # -- A phone, JavaScript on. ---------------------------------------------------------------
    phone = posts.watch(open_https_context("phone").new_page())
    patient_sign_in(phone, "dana.rivers", PATIENT_PASSWORD)
    expect(phone.locator(".acting-for-who")).to_contain_text("Record of June Rivers")
    assert_phone_layout(phone)
    axe_check(phone)
    switch_to(phone, "Milo")
    assert_phone_layout(phone)
    axe_check(phone)
    phone.goto("/messages")
    expect(phone.locator(".acting-for-who")).to_contain_text("Record of Milo Rivers")
    assert_phone_layout(phone)
    axe_check(phone)
    assert_host_cookies(phone.context)

    assert set(posts.check()) == {"/sign-in", "/acting-for"}
