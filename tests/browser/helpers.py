"""Plain helpers the browser tests share (their fixtures are in tests/browser/conftest.py):
unique ids on a page, a drawn signature, the stored signatures, the HTTPS walks' mailbox, post
log, cookie check and staff sign-in with two-step, and a record share made from the patient's
pages."""

import email
import email.policy
import re
import time

import pyotp
import pytest
from conftest import PATIENT_PASSWORD, turn_on_two_step
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models import Signature, StaffUser

SESSION_COOKIE = "__Host-portal"
MAIL_TIMEOUT = 10
RECIPIENT = "Dr. Lee, Lakeside Cardiology"


class Mailbox:
    """The .eml files the mail worker writes to the server's instance folder (shared with the
    test's `app`); each delivery round here is what `portal send-mail --watch` does."""

    def __init__(self, outbox):
        self.outbox = outbox
        self.seen = set(outbox.eml_files)

    def link(self, path_prefix):
        """(message, link) for the first new email with a `path_prefix` link (full URL)."""
        pattern = re.compile(r"\b\w+://[^/\s]+" + re.escape(path_prefix) + r"\S+")
        deadline = time.monotonic() + MAIL_TIMEOUT
        while True:
            self.outbox.deliver()
            for path in self.outbox.eml_files:
                if path in self.seen:
                    continue
                self.seen.add(path)
                message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                found = pattern.search(message.get_body(preferencelist=("plain",)).get_content())
                if found:
                    return message, found.group(0)
            if time.monotonic() > deadline:
                pytest.fail(f"no email with a {path_prefix} link was delivered")
            time.sleep(0.1)


def assert_host_cookies(context, signed_in=None):
    """Every cookie is a __Host- cookie for localhost, and the session cookie is there."""
    cookies = context.cookies()
    names = [cookie["name"] for cookie in cookies]
    assert SESSION_COOKIE in names, names
    for cookie in cookies:
        assert cookie["name"].startswith("__Host-"), cookie
        assert cookie["secure"] is True, cookie
        assert cookie["httpOnly"] is True, cookie
        assert cookie["path"] == "/", cookie
        assert cookie["domain"] == "localhost", cookie  # host-only: no Domain attribute
        assert cookie["sameSite"] in ("Lax", "Strict"), cookie


class PostLog:
    """Every form post a page makes, checked afterwards: over https, answered below 400, no
    Referer, and the browser's own Sec-Fetch-Site (same-origin)."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.posts = []

    def watch(self, page):
        page.on("request", lambda request: self.posts.append(request)
                if request.method == "POST" else None)
        return page

    def check(self):
        assert self.posts, "no form was posted"
        seen = []
        for request in self.posts:
            response = request.response()
            headers = request.all_headers()
            path = request.url.removeprefix(self.base_url).split("?")[0]
            seen.append(path)
            assert request.url.startswith(self.base_url + "/"), request.url
            assert response is not None and response.status < 400, (path, response and response.status)
            assert "referer" not in headers, (path, headers)
            assert headers.get("sec-fetch-site") == "same-origin", (path, headers)
            assert headers.get("origin") in ("null", self.base_url), (path, headers)
        return seen


def staff_password_step(page, email_address, password):
    page.goto("/staff/sign-in")
    page.get_by_label("Email").fill(email_address)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def staff_signs_in(page, email_address, password, secret):
    """Password, then the authenticator's current code: the staff patient list is open."""
    staff_password_step(page, email_address, password)
    page.wait_for_url("**/sign-in/code")
    page.get_by_label("Sign-in code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/staff/patients")


def new_staff_page(app, open_https_context, make_staff, staff_password, role, email_address, kind,
                   java_script=True):
    """A page of a new staff member of `role` with two-step on, signed in over HTTPS."""
    member = make_staff(role, email=email_address, name=f"{role.title()} Member")
    secret, _codes = turn_on_two_step(app, StaffUser, member.id)
    page = open_https_context(kind, java_script_enabled=java_script).new_page()
    staff_signs_in(page, email_address, staff_password, secret)
    return page


def assert_unique_ids(page):
    """No id is used twice: a label's `for` (and an error summary's link) would find the
    first element with it, not the input (the staff page's note section and note box shared
    "note")."""
    repeated = page.locator("[id]").evaluate_all(
        "els => els.map(e => e.id).filter((id, i, all) => all.indexOf(id) !== i)")
    assert not repeated, f"ids used more than once on {page.url}: {repeated}"


def draw_signature(page, touch=False):
    """Draw a zigzag on the signature pad: with the mouse, or with a finger (real touch
    events through the DevTools protocol) on a phone."""
    canvas = page.locator("#signature-pad canvas")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    points = [(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
              for fx, fy in ((0.1, 0.7), (0.3, 0.3), (0.5, 0.7), (0.7, 0.3), (0.9, 0.7))]
    if touch:
        cdp = page.context.new_cdp_session(page)
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [
            {"x": points[0][0], "y": points[0][1]}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove",
                                                  "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
        cdp.detach()
    else:
        page.mouse.move(*points[0])
        page.mouse.down()
        for x, y in points[1:]:
            page.mouse.move(x, y, steps=4)
        page.mouse.up()
    # Something was drawn: the canvas is no longer blank.
    assert page.evaluate("""() => {
        const canvas = document.querySelector('#signature-pad canvas');
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        return pixels.some((value, index) => index % 4 === 3 && value > 0);
    }""")


def stored_signatures(app):
    """(kind, signer_name, method, has a drawing) for every stored signature, oldest first."""
    with app.app_context():
        return [(row.kind, row.signer_name, row.method, bool(row.drawn_signature))
                for row in db.session.scalars(select(Signature).order_by(Signature.id))]


def make_share(page, days="3"):
    """From the record's overview, share the lab results: (link, code) as shown."""
    page.goto("/records")
    page.get_by_role("link", name="Share your record with another provider").click()
    page.get_by_role("link", name="Share your record", exact=True).click()
    page.wait_for_url("**/records/shares/new")
    page.get_by_label("Who are you sharing with?").fill(RECIPIENT)
    page.get_by_label("Only the parts I tick below").check()
    page.get_by_label("Lab and test results").check()
    page.get_by_label("For how many days?").fill(days)
    page.get_by_label("Your current password").fill(PATIENT_PASSWORD)
    page.get_by_role("button", name="Make the link and code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your share is ready")
    return page.locator("#share-link").inner_text(), page.locator("#share-code").inner_text()


def fill_identity(page, account_number, born=("03", "14", "1962")):
    """Enrollment's first step: the date of birth (month, day, year) and the account number,
    then Continue."""
    for part, value in zip(("month", "day", "year"), born, strict=True):
        page.locator(f"#date_of_birth-{part}").fill(value)
    page.get_by_label("Your account number").fill(account_number)
    page.get_by_role("button", name="Continue").click()


def sign_and_wait(page, button_name, url_pattern):
    """Press a signing button and wait for the page after it. The signed copy is rendered
    and sealed before the answer comes, which on a loaded machine takes longer than the
    10 s a click is given elsewhere."""
    page.set_default_timeout(60_000)
    try:
        page.get_by_role("button", name=button_name).click()
        page.wait_for_url(url_pattern)
    finally:
        page.set_default_timeout(10_000)


def chart_section(page, name, ok=None):
    """On a patient's chart, the tab of one of its sections (issue 21: the chart in sections),
    opened as a person would; `ok` checks the section's page once it has loaded."""
    page.get_by_role("navigation", name="Chart sections").get_by_role("link", name=name).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("navigation", name="Chart sections").locator("[aria-current=page]")) \
        .to_have_text(name)
    if ok is not None:
        ok()


def fill_guardian(page, name, email):
    """On a minor's chart, the family and access section's "Add a parent or guardian"
    form, filled as the front desk would."""
    page.locator("#full_name").fill(name)
    page.get_by_role("group", name="Relationship to the child").get_by_label("Parent", exact=True).check()
    page.locator("#email").fill(email)
    born = page.get_by_role("group", name="Their date of birth")
    for part, value in (("Month", "07"), ("Day", "19"), ("Year", "1984")):
        born.get_by_label(part).fill(value)
    page.get_by_role("group", name="Document you saw").get_by_label("Birth certificate").check()
    page.get_by_role("button", name="Add the parent or guardian").click()
    page.wait_for_load_state("load")


def main_nav(page):
    """The page's main navigation, opened first where it folds behind "Menu" (on a phone;
    issue 21): a tap on the control, as a person would, with or without JavaScript."""
    # Styles first: before the stylesheet applies, the "Menu" control shows on any screen, and
    # a desktop page hides it a moment later (a click then waits for it in vain).
    page.wait_for_load_state("load")
    menu = page.locator("label[for=menu-toggle]")
    if menu.is_visible() and not page.locator("#menu-toggle").is_checked():
        menu.click()
    return page.get_by_role("navigation", name="Main")
