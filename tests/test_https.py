"""D9: the portal over HTTPS, as production runs it (test client, https base URL).

Pages send `Referrer-Policy: no-referrer`, so browsers post forms without a Referer: the CSRF
check must not need one. A post from a page with that policy carries `Origin: null` and, in
current browsers, `Sec-Fetch-Site`; a post from another site says so in either header and is
refused with 403. Cookies carry the `__Host-` prefix, links in emails are https, and pages
carry HSTS. tests/browser/test_https_flows.py walks the same in Chromium over real TLS.
"""

import email
import email.policy
import re

import pytest
from conftest import CSRF_INPUT, PATIENT_PASSWORD, STAFF_PASSWORD

BASE = "https://portal.test"
HTTPS_APP = pytest.mark.parametrize("app", [{"BASE_URL": BASE}], indirect=True)
pytestmark = HTTPS_APP

HSTS = "max-age=31536000; includeSubDomains"
SESSION_COOKIE = "__Host-portal"


class HttpsClient:
    """The test client, every request sent to https://portal.test (the test client sends no
    Referer, Origin or Sec-Fetch-* header unless given one)."""

    def __init__(self, client):
        self.client = client
        self.set_cookies = []  # every Set-Cookie header seen, in order

    def open(self, method, path, **kwargs):
        response = self.client.open(path, method=method, base_url=BASE, **kwargs)
        self.set_cookies.extend(response.headers.getlist("Set-Cookie"))
        return response

    def get(self, path, **kwargs):
        return self.open("GET", path, **kwargs)

    def csrf_token(self, path):
        page = self.get(path)
        found = CSRF_INPUT.search(page.get_data(as_text=True))
        assert found, f"no CSRF token on {path} (status {page.status_code})"
        return found.group(1)

    def post_form(self, path, data, page_path=None, headers=None, token=None):
        """Load the form's page for its token, then post it with `headers` and no Referer."""
        token = token or self.csrf_token(page_path or path)
        return self.open("POST", path, data={"csrf_token": token, **data}, headers=headers or {})

    def staff_sign_in(self, email_address, headers=None):
        return self.post_form("/staff/sign-in", {"email": email_address, "password": STAFF_PASSWORD},
                              headers=headers)


@pytest.fixture
def https(client):
    return HttpsClient(client)


def signed_in_as_staff(https):
    return https.get("/staff/patients").status_code == 200


# What Chromium sends on a same-origin form post from a no-referrer page, and the parts of it.
BROWSER_POST = {"Origin": "null", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "navigate",
                "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}


@pytest.mark.parametrize("headers", [
    {},  # an old browser: neither header, the token alone decides
    {"Origin": "null"},
    {"Sec-Fetch-Site": "same-origin"},
    {"Origin": BASE},
    {"Sec-Fetch-Site": "none"},  # typed or bookmarked by the person
    BROWSER_POST,
], ids=["no-headers", "origin-null", "fetch-same-origin", "origin-ours", "fetch-none", "chromium"])
def test_post_with_token_and_no_referer_succeeds(app, https, make_staff, headers):
    staff = make_staff("nurse")
    response = https.staff_sign_in(staff.email, headers=headers)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/staff/patients"
    assert "Referer" not in response.request.headers
    assert signed_in_as_staff(https)


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Origin": "http://portal.test"},  # our host without TLS is another origin
    {"Origin": "https://portal.test.evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
    {"Sec-Fetch-Site": "same-site"},
    {"Sec-Fetch-Site": "cross-site", "Origin": "null"},
    {"Sec-Fetch-Site": "same-site", "Origin": BASE},  # the browser's own word wins
], ids=["origin-evil", "origin-http", "origin-suffix", "fetch-cross-site", "fetch-same-site",
        "fetch-cross-site-origin-null", "fetch-same-site-origin-ours"])
def test_cross_site_post_is_refused(app, https, make_staff, headers):
    staff = make_staff("nurse")
    response = https.staff_sign_in(staff.email, headers=headers)
    assert response.status_code == 403
    assert "You do not have access to this page" in response.get_data(as_text=True)
    assert not signed_in_as_staff(https)


def test_cross_site_refusal_covers_every_unsafe_form(app, https, make_account):
    """Not only sign-in: a signed-in patient's sign-out from another site is refused too."""
    make_account(username="robin")
    assert https.post_form("/sign-in", {"username": "robin", "password": PATIENT_PASSWORD},
                           headers=BROWSER_POST).status_code == 302
    refused = https.post_form("/sign-out", {}, page_path="/home",
                              headers={"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert https.get("/home").status_code == 200  # still signed in
    signed_out = https.post_form("/sign-out", {}, page_path="/home", headers=BROWSER_POST)
    assert signed_out.status_code == 302
    assert https.get("/home").status_code == 302


def test_without_a_good_token_the_post_is_refused(app, https, make_staff):
    staff = make_staff("nurse")
    https.get("/staff/sign-in")  # a session, but the wrong token
    for headers in ({}, {"Origin": "null"}, BROWSER_POST):
        response = https.post_form("/staff/sign-in", {"email": staff.email, "password": STAFF_PASSWORD},
                                   headers=headers, token="not-the-token")
        assert response.status_code == 400
    assert not signed_in_as_staff(https)


def parse_set_cookie(header):
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name = name_value.split("=", 1)[0]
    found = {}
    for attribute in attributes:
        key, _, value = attribute.partition("=")
        found[key.lower()] = value
    return name, found


def assert_host_cookies(set_cookies):
    assert set_cookies, "no cookie was set"
    for header in set_cookies:
        name, attributes = parse_set_cookie(header)
        assert name.startswith("__Host-"), header
        assert "secure" in attributes, header
        assert "httponly" in attributes, header
        assert attributes.get("path") == "/", header
        assert "domain" not in attributes, header
        assert attributes.get("samesite", "").lower() in {"lax", "strict"}, header


def test_every_cookie_is_a_host_cookie(app, https, make_staff, make_account):
    staff = make_staff("admin")
    make_account(username="robin")
    https.get("/staff/sign-in")
    assert https.staff_sign_in(staff.email, headers=BROWSER_POST).status_code == 302
    https.get("/staff/patients")
    assert https.post_form("/sign-out", {}, page_path="/staff/patients",
                           headers=BROWSER_POST).status_code == 302
    assert https.post_form("/sign-in", {"username": "robin", "password": PATIENT_PASSWORD},
                           headers=BROWSER_POST).status_code == 302
    https.get("/home")
    https.post_form("/sign-out", {}, page_path="/home", headers=BROWSER_POST)

    assert_host_cookies(https.set_cookies)
    assert SESSION_COOKIE in {parse_set_cookie(header)[0] for header in https.set_cookies}


def test_pages_carry_hsts(app, https, make_staff):
    staff = make_staff("nurse")
    for path in ("/", "/sign-in", "/staff/sign-in", "/no-such-page"):
        assert https.get(path).headers.get("Strict-Transport-Security") == HSTS, path
    assert https.staff_sign_in(staff.email).headers.get("Strict-Transport-Security") == HSTS
    assert https.get("/staff/patients").headers.get("Strict-Transport-Security") == HSTS


def emailed_texts(outbox):
    """The plain text of every email: the outbox rows' bodies as queued, then, after a delivery
    round (the mail worker's), the delivered .eml files (a sent row's body may be cleared)."""
    texts = [mail.body_text or "" for mail in outbox.queued]
    outbox.deliver()
    for path in outbox.eml_files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        texts.append(message.get_body(preferencelist=("plain",)).get_content())
    return texts


def emailed_links(outbox, path_prefix):
    pattern = re.compile(r"\b\w+://[^/\s]+" + re.escape(path_prefix) + r"\S*")
    return {link for text in emailed_texts(outbox) for link in pattern.findall(text)}


def test_emailed_links_are_https(app, https, make_staff, make_patient, make_account, outbox):
    staff = make_staff("front_desk")
    patient = make_patient(account_number="T-2001", email="invitee@example.com")
    make_account(username="robin", account_number="T-2002")
    assert https.staff_sign_in(staff.email, headers=BROWSER_POST).status_code == 302
    chart = f"/staff/patients/{patient.id}"
    invited = https.post_form(chart + "/invitation", {}, page_path=chart, headers=BROWSER_POST)
    assert invited.status_code == 302
    https.post_form("/sign-out", {}, page_path=chart, headers=BROWSER_POST)
    asked = https.post_form("/forgot-password", {"name": "robin"}, headers=BROWSER_POST)
    assert asked.status_code == 302

    for prefix in ("/enroll?t=", "/reset?t="):
        links = emailed_links(outbox, prefix)
        assert links, f"no {prefix} link was emailed"
        for link in links:
            assert link.startswith(BASE + prefix), link
    # No email carries a plain-http link to the portal.
    for text in emailed_texts(outbox):
        assert "http://portal.test" not in text


# -- the staff account pages and the admin's staff list, posted as a browser does over https --

def test_staff_change_their_password_over_https(https, make_staff, outbox):
    staff = make_staff("nurse")
    assert https.staff_sign_in(staff.email, headers=BROWSER_POST).status_code == 302
    new = "a harbour lantern at dusk 77"
    response = https.post_form("/staff/account/password", {
        "current_password": STAFF_PASSWORD, "password": new, "confirm": new},
        headers=BROWSER_POST)
    assert response.headers["Location"] == "/staff/account"
    assert https.get("/staff/account").status_code == 200  # the fresh session works
    assert any(cookie.startswith(SESSION_COOKIE + "=") and "Secure" in cookie
               for cookie in https.set_cookies)


def test_admin_disables_and_enables_staff_over_https(https, make_staff):
    admin = make_staff("admin")
    nurse = make_staff("nurse", email="nurse@practice.test")
    assert https.staff_sign_in(admin.email, headers=BROWSER_POST).status_code == 302
    for action in ("disable", "enable"):
        response = https.post_form(f"/admin/staff/{nurse.id}/{action}", {},
                                   page_path="/admin/staff", headers=BROWSER_POST)
        assert response.headers["Location"] == "/admin/staff", action
    refused = https.post_form(f"/admin/staff/{nurse.id}/disable", {}, page_path="/admin/staff",
                              headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
