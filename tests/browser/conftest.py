"""Browser tests: Debian's Chromium driven by Playwright against `live_server`.

One browser per session (pytest-playwright's `browser` fixture); every test opens its own
contexts through `open_context`, which closes them afterwards. Fixtures here hand out the
helpers: `open_context`, `sign_in`, `axe_check`, `assert_phone_layout`, `add_patient`,
`save_practice`.
"""

import base64
import email
import email.policy
import hashlib
import http.client
import os
import re
import socket
import ssl
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from conftest import STAFF_PASSWORD, gunicorn_environment, stop_gracefully
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from portal.services import audit

HERE = Path(__file__).parent

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"]
# (localhost: the TLS server of test_https_flows.py, whose certificate names localhost)

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True},
}
MIN_TAP_HEIGHT = 44
# Radio buttons and checkboxes are drawn 24 px square; their row (.radio/.checkbox, the
# label included, which also toggles them) is the 44 px target.
MIN_CHOICE_SIZE = 24

_AXE = Axe()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args,
            "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
            "args": [*browser_type_launch_args.get("args", []), *ARGS]}


# Chromium drops connections for files it already has (a 304, a favicon); werkzeug's test
# server then lets the open static file be garbage-collected instead of closed, which pytest
# reports as an unraisable ResourceWarning in whatever test is running. It is the test
# server's, not the portal's (gunicorn closes every response).
UNCLOSED_STATIC_FILE = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def pytest_collection_modifyitems(items):
    """Mark every test under tests/browser with `browser` (so `-m "not browser"` skips them)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(UNCLOSED_STATIC_FILE)




def _context_opener(browser, base_url, **defaults):
    """A generator fixture's body: open_(kind, **options) -> BrowserContext, all closed after."""
    contexts = []

    def open_(kind="desktop", **options):
        context = browser.new_context(base_url=base_url, **defaults, **VIEWPORTS[kind], **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture
def open_context(browser, live_server):
    """open_context("desktop" | "phone", **options) -> a new BrowserContext on the live server.

    Desktop is 1280x800; phone is 375x740 with touch and is_mobile. Closed after the test.
    """
    yield from _context_opener(browser, live_server)


@pytest.fixture
def staff_password():
    """The password make_staff gives accounts by default."""
    return STAFF_PASSWORD


@pytest.fixture
def sign_in(staff_password):
    """sign_in(page, email, password=None): the real sign-in form; returns the page.

    Waits for the patient list when the sign-in is expected to work (no password given).
    """

    def sign_in_(page, email, password=None):
        page.goto("/staff/sign-in")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password or staff_password)
        page.get_by_role("button", name="Sign in").click()
        if password is None:
            page.wait_for_url("**/staff/patients")
        else:
            page.wait_for_load_state()
        return page

    return sign_in_


@pytest.fixture
def patient_sign_in():
    """patient_sign_in(page, username, password): the real patient sign-in form.

    Waits for the patient's home page unless `expect_home` is False (a refusal is expected).
    """

    def sign_in_(page, username, password, expect_home=True):
        page.goto("/sign-in")
        page.get_by_label("Username or email address").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        if expect_home:
            page.wait_for_url("**/home")
        else:
            page.wait_for_load_state()
        return page

    return sign_in_


def _describe(results):
    lines = []
    for violation in results.response["violations"]:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}: {node.get('failureSummary', '')!r}")
    return "\n".join(lines)


def run_axe(page):
    """axe-core on the page as it is now; assert there are no violations (listed if any)."""
    results = _AXE.run(page)
    if results.violations_count:
        report = _describe(results)
        print(f"axe violations on {page.url}:\n{report}")
        pytest.fail(f"{results.violations_count} axe violation(s) on {page.url}:\n{report}",
                    pytrace=False)
    return results


@pytest.fixture
def axe_check():
    """axe_check(page): assert axe-core finds zero violations, printing them otherwise."""
    return run_axe


_PHONE_LAYOUT_JS = """
(limits) => {
  const visible = (el) => {
    if (el.type === 'hidden' || el.closest('.visually-hidden')) return false;
    const style = getComputedStyle(el);
    return style.visibility !== 'hidden' && style.display !== 'none' && el.getClientRects().length > 0;
  };
  const describe = (el) => el.outerHTML.slice(0, 120);
  const small = [];
  for (const el of document.querySelectorAll('button, input, select, textarea, a.button')) {
    if (!visible(el)) continue;
    const box = el.getBoundingClientRect();
    if (el.type === 'radio' || el.type === 'checkbox') {
      const row = el.closest('.radio, .checkbox');
      const rowHeight = row ? row.getBoundingClientRect().height : 0;
      if (box.width < limits.choice || box.height < limits.choice || rowHeight < limits.tap) {
        small.push(`${describe(el)}: ${box.width}x${box.height}, row ${rowHeight}`);
      }
    } else if (box.height < limits.tap) {
      small.push(`${describe(el)}: height ${box.height}`);
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    clientWidth: document.documentElement.clientWidth,
    small: small,
  };
}
"""


def check_phone_layout(page):
    """No sideways scrolling, and every visible button and input is a big enough tap target."""
    # Measured once the page's stylesheet has loaded: after a form post on a busy machine, the
    # new page's elements can be there before its styles apply (buttons 21 px tall).
    page.wait_for_load_state("load")
    layout = page.evaluate(_PHONE_LAYOUT_JS, {"tap": MIN_TAP_HEIGHT, "choice": MIN_CHOICE_SIZE})
    # Not window.innerWidth: with is_mobile, Chromium widens the layout viewport to fit content
    # that overflows (innerWidth became 509 for a 500 px box at 375 px), so comparing with it
    # never fails. The root element's clientWidth stays the device width.
    width = layout["clientWidth"]
    assert layout["scrollWidth"] <= width + 1 and layout["innerWidth"] <= width + 1, (
        f"{page.url} scrolls sideways at {width} px: scrollWidth {layout['scrollWidth']}, "
        f"innerWidth {layout['innerWidth']}")
    assert not layout["small"], f"tap targets under {MIN_TAP_HEIGHT} px on {page.url}:\n" + "\n".join(
        layout["small"])


@pytest.fixture
def assert_phone_layout():
    """assert_phone_layout(page): no horizontal scroll at 375 px and tap targets >= 44 px."""
    return check_phone_layout


@pytest.fixture
def add_patient(app):
    """add_patient(**values) -> the new chart's id, saved through the patients service."""
    from portal.extensions import db
    from portal.services.patients import create_patient

    def add(**values):
        chart = {"account_number": "A-1000", "first_name": "Maria", "last_name": "Lopez",
                 "date_of_birth": date(1962, 3, 14), "sex": "female", "status": "active",
                 **values}
        with app.app_context():
            patient = create_patient(chart, audit.SYSTEM)
            db.session.commit()
            return patient.id

    return add


@pytest.fixture
def save_practice(app):
    """save_practice(**settings): the practice's settings row as an admin would set it."""
    from portal.extensions import db
    from portal.services.practice import get_practice, update_practice

    def save(**settings):
        values = {
            "name": "Riverside Family Medicine", "address_line1": "200 Main Street",
            "city": "Springfield", "state": "IL", "postal_code": "62701",
            "phone": "555-201-0100", "office_hours": "Monday to Friday, 8 AM to 5 PM",
            "reply_time_promise": "We answer messages within 2 business days.",
            "emergency_notice": "In an emergency call 911. Do not use the portal for urgent needs.",
            **settings,
        }
        with app.app_context():
            update_practice(get_practice(), values)
            db.session.commit()

    return save



@pytest.fixture
def eml_link(outbox):
    """eml_link(path_prefix) -> (message, path): the newest .eml in the outbox folder and the
    portal path of its link starting with `path_prefix` (e.g. "/enroll?t=").

    Requests only queue mail (the mail worker sends it), so deliver what is due here first.
    """

    def find(path_prefix):
        outbox.deliver()
        message = email.message_from_bytes(outbox.eml_files[-1].read_bytes(),
                                           policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",)).get_content()
        found = re.search(r"https?://[^/\s]+(" + re.escape(path_prefix) + r"\S+)", body)
        assert found, f"no {path_prefix} link in the email"
        return message, found.group(1)

    return find


# -- the portal over TLS (tests/browser/test_https_flows.py) ---------------------------------

ROOT = HERE.parent.parent
HTTPS_START_TIMEOUT = 30


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def tls_certificate(tmp_path_factory):
    """A self-signed certificate for `localhost`, made with openssl: (certfile, keyfile)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class HttpsServer:
    """gunicorn (gunicorn.conf.py, two workers) serving the portal over TLS on localhost, on the
    test database, with `PORTAL_BASE_URL=https://localhost:<port>` and two-step required."""

    def __init__(self, folder, database_url, certificate):
        self.folder = folder
        self.database_url = database_url
        self.certfile, self.keyfile = certificate
        self.instance_path = folder / "instance"
        self.log_path = folder / "gunicorn.log"
        self.port = _free_port()
        self.url = f"https://localhost:{self.port}"
        self.process = None

    def start(self):
        env = gunicorn_environment(self.database_url, self.instance_path, self.url,
                                   two_step_required=True)
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                   "-b", f"localhost:{self.port}", "--certfile", str(self.certfile),
                   "--keyfile", str(self.keyfile), "wsgi:app"]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT)
        self._wait_until_healthy()

    def _wait_until_healthy(self):
        context = ssl.create_default_context(cafile=str(self.certfile))
        deadline = time.monotonic() + HTTPS_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log}")
            connection = http.client.HTTPSConnection("localhost", self.port, timeout=5,
                                                     context=context)
            try:
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                connection.close()
            time.sleep(0.1)
        pytest.fail(f"gunicorn never answered https://localhost:{self.port}/healthz:\n{self.log}")

    def stop(self):
        stop_gracefully(self.process)

    @property
    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def https_server(database_url, tmp_path_factory, tls_certificate):
    """The portal under gunicorn over TLS (see HttpsServer), once per module that uses it.

    Tests using it build `app` with the server's BASE_URL and instance folder (override
    `app_overrides` with `https_app_overrides`), so they read the same outbox folder.
    """
    server = HttpsServer(tmp_path_factory.mktemp("https"), database_url, tls_certificate)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_overrides(request):
    """A test with the TLS server gets an `app` with its base URL and instance folder
    (https_app_overrides); the others keep the test settings. A test file may override it."""
    if "https_server" in request.fixturenames:
        return request.getfixturevalue("https_app_overrides")
    return {}


@pytest.fixture
def https_app_overrides(https_server):
    """Settings for `app` that match the TLS server: its base URL and its instance folder."""
    return {"BASE_URL": https_server.url, "INSTANCE_PATH": str(https_server.instance_path),
            "TWO_STEP_REQUIRED_FOR_STAFF": True}


@pytest.fixture
def open_https_context(browser, https_server):
    """open_https_context("desktop" | "phone", **options) -> a BrowserContext on the TLS server.

    Chromium trusts the self-signed certificate (ignore_https_errors); base_url is the https
    address, so page.goto("/sign-in") goes over TLS. Closed after the test.
    """
    yield from _context_opener(browser, https_server.url, ignore_https_errors=True)


@pytest.fixture(scope="module")
def trusting_browser(browser_type, browser_type_launch_args, tls_certificate):
    """Chromium that trusts the TLS server's self-signed certificate as a browser trusts a real
    one: its public key pinned with --ignore-certificate-errors-spki-list. The shared browser
    only ignores certificate errors (ignore_https_errors), and on a page whose certificate
    Chromium ignores it cancels a click on an <a download> link before any request is made,
    which a patient's browser on the real certificate never does."""
    certificate = x509.load_pem_x509_certificate(tls_certificate[0].read_bytes())
    key = certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    pin = base64.b64encode(hashlib.sha256(key).digest()).decode()
    browser = browser_type.launch(**{
        **browser_type_launch_args,
        "args": [*browser_type_launch_args.get("args", []),
                 f"--ignore-certificate-errors-spki-list={pin}"]})
    yield browser
    browser.close()


@pytest.fixture
def open_trusting_context(trusting_browser, https_server):
    """open_trusting_context("desktop" | "phone", **options) -> a BrowserContext of
    `trusting_browser` on the TLS server (base_url its https address). Closed after the test."""
    yield from _context_opener(trusting_browser, https_server.url)
