"""Headers, CSRF, error pages, cookies and logs: the security baseline on every response."""

import logging
import re

import pytest
from conftest import STAFF_PASSWORD, post_form
from flask import url_for
from helpers import get_routes

from portal import create_app
from portal.extensions import db

PUBLIC_PAGES = ["/", "/staff/sign-in", "/no-such-page"]
STAFF_PAGES = ["/staff/patients", "/staff/patients/new", "/admin/settings", "/admin/audit"]
PAGE_BUDGET = 30 * 1024  # HTML + CSS per page, before compression


def check_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_send_security_headers(client, url):
    check_headers(client.get(url))


@pytest.mark.parametrize("url", STAFF_PAGES)
def test_signed_in_pages_send_security_headers_and_no_store(client, admin, url):
    response = client.get(url)
    assert response.status_code == 200
    check_headers(response)


def test_pages_have_no_inline_script_or_style(client, admin):
    for url in PUBLIC_PAGES + STAFF_PAGES:
        body = client.get(url).get_data(as_text=True)
        assert "<script>" not in body and "<style" not in body and " style=" not in body
        assert not re.search(r" on[a-z]+=", body)


def static_size(client, path):
    with client.get(path) as response:
        assert response.status_code == 200
        return len(response.data), response.headers.get("Cache-Control", "")


def test_static_files_may_be_cached(client):
    assert "no-store" not in static_size(client, "/static/css/portal.css")[1]


def test_pages_stay_under_30_kb_with_their_css(client, admin, app):
    css = sum(static_size(client, f"/static/css/{name}")[0] for name in ("portal.css", "print.css"))
    for url in PUBLIC_PAGES + STAFF_PAGES:
        html = len(client.get(url).data)
        assert html + css < PAGE_BUDGET, f"{url}: {html} + {css} bytes"


def test_password_fields_allow_paste_and_hide_input(client):
    body = client.get("/staff/sign-in").get_data(as_text=True)
    assert 'type="password"' in body and "onpaste" not in body
    assert 'autocomplete="current-password"' in body


@pytest.mark.parametrize("url", ["/staff/sign-in", "/staff/patients", "/staff/patients/new",
                                 "/admin/settings", "/admin/audit"])
def test_posts_without_csrf_token_are_refused(client, admin, url):
    response = client.post(url, data={"q": "x", "email": admin.email, "password": STAFF_PASSWORD})
    assert response.status_code == 400
    assert "Something was wrong with that request" in response.get_data(as_text=True)


def test_cross_site_form_posts_are_refused(client, make_staff):
    staff = make_staff()
    response = post_form(client, "/staff/sign-in", {"email": staff.email, "password": STAFF_PASSWORD},
                         headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403


@pytest.mark.parametrize("method, url, code", [
    ("get", "/no-such-page", 404),
    ("put", "/staff/sign-in", 405),
])
def test_friendly_error_pages(client, method, url, code):
    response = getattr(client, method)(url)
    assert response.status_code == code
    body = response.get_data(as_text=True)
    assert "<h1>" in body and "Traceback" not in body


def test_oversized_request_gets_413(app, client):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/staff/sign-in", data={"email": "x" * 2048})
    assert response.status_code == 413
    assert "The file is too large" in response.get_data(as_text=True)


def test_crash_shows_a_reference_and_logs_no_data(app, client, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/boom")
    def boom():
        raise ValueError("patient Avery Lindqvist born 03/14/1984")

    with caplog.at_level(logging.ERROR):
        response = client.get("/boom")
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong on our side" in body and "Traceback" not in body
    reference = re.search(r'class="reference">([0-9a-f]{12})<', body).group(1)
    assert reference in caplog.text and "ValueError" in caplog.text
    assert "Lindqvist" not in caplog.text and "1984" not in caplog.text


def test_development_cookie_is_httponly_and_lax(client, make_staff, auth):
    auth.sign_in(make_staff().email)
    cookie = client.get_cookie("portal_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_https_settings_make_the_cookie_secure_host_only_and_send_hsts(database_url, tmp_path, make_staff):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                      "INSTANCE_PATH": str(tmp_path), "BASE_URL": "https://portal.example",
                      "SECRET_KEY": "s" * 40})
    client = app.test_client()
    response = client.get("/staff/sign-in", base_url="https://portal.example")
    with app.app_context():
        db.engine.dispose()  # close its pooled connection now, not whenever it is collected
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("__Host-portal=")
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "Path=/" in set_cookie
    assert "Domain" not in set_cookie


def test_plain_http_sends_no_hsts(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


# Rows a page view may add: the audit trail (views are audited) and session bookkeeping.
# A record download is audited and counted against its limit (services/ratelimit.py
# "record-zip", "record-pdf"): both are bookkeeping, not data the GET changed.
BOOKKEEPING = {"audit_events", "auth_sessions", "rate_limit_hits"}


def table_counts(app):
    from sqlalchemy import func, select

    with app.app_context():
        return {table.name: db.session.scalar(select(func.count()).select_from(table))
                for table in db.metadata.sorted_tables if table.name not in BOOKKEEPING}


@pytest.mark.parametrize("who", ["staff", "patient"])
def test_no_get_request_changes_data(app, client, auth, make_staff, make_account, who):
    """Crawl every GET route signed in: nothing but audit and session rows may change."""
    account = make_account()
    with app.app_context():  # defaults a practice gets on first view, by design, made first
        from portal.services.messages.topics import ensure_topics

        ensure_topics()
        db.session.commit()
    if who == "staff":
        auth.sign_in(make_staff().email)
    else:
        auth.patient_sign_in(account.username)
    before = table_counts(app)
    with app.test_request_context():
        urls = [url_for(endpoint, **values)
                for endpoint, values in get_routes(app, patient_id=account.patient_id, staff_id=1)]
    assert len(urls) > 20
    for url in urls:
        with client.get(url) as response:  # closed, as a WSGI server closes every response
            assert response.status_code < 500, url
    assert table_counts(app) == before
