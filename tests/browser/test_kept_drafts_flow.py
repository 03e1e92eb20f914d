"""Nothing typed is lost to the idle sign-out (issue 21), in Chromium. Without JavaScript the
two-minute warning cannot show: the patient types a message for 16 minutes and sends it, lands
on the sign-in page, which says to sign in again to keep it, signs in and finds the message
page filled in, with nothing sent. A second visit finds the page empty again. With JavaScript
the same pages pass axe-core; on the phone they fit 375 px. One walk goes through gunicorn
over TLS."""

import re
from datetime import timedelta

import pytest
from conftest import PATIENT_PASSWORD
from playwright.sync_api import expect
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import AuthSession, Conversation
from portal.models.types import utcnow

from .helpers import assert_unique_ids

SUBJECT = "Swollen ankle after the new tablets"
BODY = "Since Monday my left ankle is swollen in the evening and I sleep badly."
TOPIC = "Question for my care team"


def sixteen_minutes_pass(app):
    """The patient has been typing for 16 minutes: the session's last request was then."""
    with app.app_context():
        db.session.execute(update(AuthSession).values(
            last_seen_at=utcnow() - timedelta(minutes=16)))
        db.session.commit()


def conversations(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Conversation.id)))


@pytest.mark.parametrize("kind, javascript", [("phone", False), ("desktop", True), ("phone", True)])
def test_a_message_typed_past_the_idle_limit_is_offered_back_after_signing_in(
        app, open_context, make_account, topics, patient_sign_in, axe_check, assert_phone_layout,
        kind, javascript):
    make_account(consented=True)
    page = open_context(kind, java_script_enabled=javascript).new_page()

    def ok():
        assert_unique_ids(page)
        if javascript:  # axe-core needs the page's scripts
            axe_check(page)
        if kind == "phone":
            assert_phone_layout(page)

    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto(f"/messages/new?topic={topics[TOPIC]}")
    page.get_by_label("Subject", exact=True).fill(SUBJECT)
    page.get_by_label("Your message").fill(BODY)
    sixteen_minutes_pass(app)
    page.get_by_role("button", name="Send message").click()

    page.wait_for_url(re.compile(r"/sign-in\?next="))
    assert BODY not in page.url and "ankle" not in page.url
    expect(page.get_by_text("Sign in again to keep what you were writing.")).to_be_visible()
    expect(page.get_by_text("You were signed out after 15 minutes")).to_be_visible()
    ok()
    page.get_by_label("Username or email address").fill("robin")
    page.get_by_label("Password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url(re.compile(r"/messages/new$"))
    expect(page.get_by_text("You were writing a message. Here it is.")).to_be_visible()
    expect(page.get_by_label("Subject", exact=True)).to_have_value(SUBJECT)
    expect(page.get_by_label("Your message")).to_have_value(BODY)
    ok()
    assert conversations(app) == 0  # nothing was sent for the patient

    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(r"/messages/\d+$"))
    expect(page.get_by_text(BODY)).to_be_visible()
    assert conversations(app) == 1

    page.goto("/messages/new")  # once only: the page is the topic step again, empty
    expect(page.get_by_text("You were writing a message")).to_have_count(0)


def test_over_https_without_javascript_the_kept_message_comes_back(
        app, https_server, open_https_context, make_account, topics, patient_sign_in):
    """The same walk through gunicorn over TLS, as production runs: the post that meets the
    ended session, the sign-in with its `next`, and the form filled in again."""
    make_account(consented=True)
    page = open_https_context("phone", java_script_enabled=False).new_page()
    patient_sign_in(page, "robin", PATIENT_PASSWORD)
    page.goto(f"/messages/new?topic={topics[TOPIC]}")
    page.get_by_label("Subject", exact=True).fill(SUBJECT)
    page.get_by_label("Your message").fill(BODY)
    sixteen_minutes_pass(app)
    page.get_by_role("button", name="Send message").click()
    page.wait_for_url(re.compile(r"/sign-in\?next="))
    assert page.url.startswith(https_server.url)
    expect(page.get_by_text("Sign in again to keep what you were writing.")).to_be_visible()
    page.get_by_label("Username or email address").fill("robin")
    page.get_by_label("Password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/messages/new$"))
    expect(page.get_by_label("Your message")).to_have_value(BODY)
    assert conversations(app) == 0
