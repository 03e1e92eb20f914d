"""One way to build a form page: every POST form carries a CSRF input written by a form macro,
and the policy numbers a page, a message or the idle-warning script quotes come from the rules."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import post_form
from flask import url_for
from freezegun import freeze_time
from helpers import get_routes

from portal.flash_messages import get_message
from portal.models.types import utcnow

TEMPLATES = Path(__file__).parent.parent / "portal" / "templates"
FORMS_MACROS = TEMPLATES / "macros" / "forms.html"
CATALOGUES = [Path(__file__).parent.parent / "portal" / name
              for name in ("flash_messages.py", "page_texts.py")]
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
POST = re.compile(r"""\bmethod\s*=\s*["']?post\b""", re.I)
# A form with a prefix ("on-") names its token "on-csrf_token".
CSRF = re.compile(r'<input[^>]*\bname="(?:[\w]+-)?csrf_token"[^>]*\bvalue="[^"]+"')
# "15 minutes", "30-minute", "2 minutes": a policy length written out instead of read from its rule.
LITERAL_LENGTH = re.compile(r"\b\d+[ -]minutes?\b", re.I)


def page_templates():
    """The page templates (emails are rendered by the mail layer and checked there)."""
    return [path for path in sorted(TEMPLATES.rglob("*.html"))
            if "email" not in path.relative_to(TEMPLATES).parts]


def crawl(app, client, **values):
    """GET every route the security crawl reaches: (url, page text) for each 200 answer."""
    with app.test_request_context():
        urls = [url_for(endpoint, **args) for endpoint, args in get_routes(app, **values)]
    assert len(urls) > 20
    for url in urls:
        with client.get(url) as response:  # closed, as a WSGI server closes every response
            if response.status_code == 200 and response.mimetype == "text/html":
                yield url, response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["admin", "patient", "visitor"])
def test_every_post_form_carries_a_csrf_token(app, client, auth, make_staff, make_account, who):
    account = make_account()
    if who == "admin":
        auth.sign_in(make_staff("admin").email)
    elif who == "patient":
        auth.patient_sign_in(account.username)
    post_forms = 0
    for url, page in crawl(app, client, patient_id=account.patient_id, staff_id=1):
        for attributes, body in FORM.findall(page):
            if POST.search(attributes):
                post_forms += 1
                assert CSRF.search(body), f"a POST form on {url} has no CSRF input: {attributes}"
    assert post_forms >= (10 if who == "admin" else 3)


def test_the_chart_buttons_are_one_button_forms_with_a_token(app, client, admin, make_account):
    """The chart shows the most one-button forms: each is a form, its token, its button."""
    account = make_account()
    page = client.get(f"/staff/patients/{account.patient_id}").get_data(as_text=True)
    buttons = [body for attributes, body in FORM.findall(page) if POST.search(attributes)]
    names = [re.search(r"<button[^>]*>(.*?)</button>", body, re.S).group(1).strip()
             for body in buttons]
    assert "Send a password reset link (after checking identity by phone)" in names
    assert "Suspend portal access" in names and "Sign out" in names
    assert all(len(CSRF.findall(body)) == 1 for body in buttons)


@pytest.mark.parametrize("path", page_templates(), ids=lambda path: str(path.relative_to(TEMPLATES)))
def test_only_the_form_macros_write_csrf_inputs_and_error_summaries(path):
    text = path.read_text()
    if path == FORMS_MACROS:
        assert 'name="csrf_token"' in text and 'class="error-summary"' in text
        return
    assert 'name="csrf_token"' not in text
    assert "form.csrf_token" not in text
    assert "error-summary" not in text


@pytest.mark.parametrize("path", page_templates() + CATALOGUES,
                         ids=lambda path: path.name if path.suffix == ".py"
                         else str(path.relative_to(TEMPLATES)))
def test_no_policy_length_is_written_out(path):
    assert not LITERAL_LENGTH.findall(path.read_text()), path


def idle_warning(page):
    return re.search(r'<div id="idle-warning"[^>]*>.*?</div>', page, re.S).group(0)


def test_idle_numbers_reach_the_script_and_the_warning(client, admin, monkeypatch):
    page = client.get("/staff/patients").get_data(as_text=True)
    assert 'data-idle-seconds="900"' in idle_warning(page)
    assert 'data-warn-seconds="120"' in idle_warning(page)
    assert "signed out in 2 minutes unless" in idle_warning(page)

    monkeypatch.setattr("portal.services.sessions.IDLE_TIMEOUT", timedelta(minutes=20))
    monkeypatch.setattr("portal.web.filters.IDLE_WARNING", timedelta(minutes=3))
    page = client.get("/staff/patients").get_data(as_text=True)
    assert 'data-idle-seconds="1200"' in idle_warning(page)
    assert 'data-warn-seconds="180"' in idle_warning(page)
    assert "signed out in 3 minutes unless" in idle_warning(page)


def test_the_idle_sign_out_message_names_the_idle_time_out(client, auth, make_staff, monkeypatch):
    monkeypatch.setattr("portal.services.sessions.IDLE_TIMEOUT", timedelta(minutes=20))
    staff = make_staff("admin")
    with freeze_time(utcnow()) as frozen:
        auth.sign_in(staff.email)
        frozen.tick(timedelta(minutes=19))
        assert client.get("/staff/patients").status_code == 200
        frozen.tick(timedelta(minutes=20, seconds=1))
        response = client.get("/staff/patients")
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "You were signed out after 20 minutes without activity" in page


def test_reset_link_lifetime_reaches_page_and_message(client, make_account, monkeypatch):
    make_account()
    assert "The link works for 30 minutes." in client.get("/forgot-password").get_data(as_text=True)

    monkeypatch.setattr("portal.services.recovery.RESET_LIFETIME", timedelta(minutes=45))
    assert "The link works for 45 minutes." in client.get("/forgot-password").get_data(as_text=True)
    response = post_form(client, "/forgot-password", {"name": "nobody at all"},
                         follow_redirects=True)
    assert "The link works for 45 minutes. If no email arrives" in response.get_data(as_text=True)
    assert "It works for 45 minutes and" in get_message("assisted_reset_sent")[0]
    assert "(it works for 45 minutes;" in get_message("two_step_reset_patient")[0]


def test_expired_link_page_names_the_reset_lifetime(app, monkeypatch):
    monkeypatch.setattr("portal.services.recovery.RESET_LIFETIME", timedelta(minutes=45))
    with app.test_request_context():
        from flask import render_template

        page = render_template("recovery/link_problem.html", problem="expired")
    assert "reset links work for 45 minutes." in page


def test_sign_in_pause_and_the_429_wait_come_from_their_windows(app, client, monkeypatch):
    assert "sign-in is paused for 15 minutes." in get_message("staff_sign_in_failed")[0]
    monkeypatch.setattr("portal.services.throttle.WINDOW", timedelta(minutes=25))
    monkeypatch.setattr("portal.services.ratelimit.WINDOW", timedelta(minutes=35))
    for key in ("staff_sign_in_failed", "patient_sign_in_failed", "two_step_code_failed"):
        assert "paused for 25 minutes." in get_message(key)[0].replace("for\n", "for ")
    response = post_form(client, "/staff/sign-in", {"email": "x@example.com", "password": "wrong"})
    assert "sign-in is paused for 25 minutes." in response.get_data(as_text=True)

    from portal.web.errors import error_page

    with app.test_request_context():
        body, status = error_page(429)
    assert status == 429 and "Wait 35 minutes and try again" in body


def test_a_view_can_pass_a_number_into_a_message(app):
    with app.test_request_context():
        assert "you have 4 left." in get_message("two_step_recovery_used", count=4)[0]
        assert "paused for 7 minutes." in get_message("staff_sign_in_failed", minutes=7)[0]
