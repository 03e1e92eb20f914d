"""Links that work wherever the portal runs (issue 21, part 1).

- In development the base URL follows PORT, the port `make run` serves on; a base URL that
  is set explicitly wins. In production PORTAL_BASE_URL must be set (and https://).
- gunicorn refuses to serve when the base URL's scheme is not what it speaks.
- The real `scripts/serve.sh` on a free port: a forgot-password email (built by its mail
  worker) carries a link on that port, and the link opens the right page on that server.
- `portal demo` prints sign-in links on PORT too.
"""

import email
import email.policy
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from account_steps import print_letter
from conftest import TEST_SECRET, gunicorn_environment, post_form
from helpers import pdf_text

from portal import create_app
from portal.config import ConfigurationError, load_settings
from portal.extensions import db
from portal.serving import served_scheme_problem

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 40
MAIL_TIMEOUT = 30
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- the rule ---------------------------------------------------------------------------------

def test_the_development_base_url_follows_port(tmp_path):
    assert load_settings(tmp_path, environ={"PORT": "5873"})["BASE_URL"] == "http://127.0.0.1:5873"
    assert load_settings(tmp_path, environ={})["BASE_URL"] == "http://127.0.0.1:5000"


def test_a_base_url_that_is_set_wins_over_port(tmp_path):
    environ = {"PORT": "5873", "PORTAL_BASE_URL": "https://portal.example/"}
    assert load_settings(tmp_path, environ=environ)["BASE_URL"] == "https://portal.example"
    (tmp_path / "portal.cfg").write_text('BASE_URL = "http://clinic.lan:8080"\n')
    assert load_settings(tmp_path, environ={"PORT": "5873"})["BASE_URL"] == "http://clinic.lan:8080"


@pytest.mark.parametrize("port", ["0", "65536", "eighty", "-1"])
def test_a_port_that_is_no_port_stops_the_start(tmp_path, port):
    with pytest.raises(ConfigurationError, match="PORT must be a port number from 1 to 65535"):
        load_settings(tmp_path, environ={"PORT": port})


def test_production_wants_the_base_url_set_not_made_from_port(monkeypatch, tmp_path):
    for name, value in {"PORTAL_ENV": "production", "PORT": "8443",
                        "PORTAL_SECRET_KEY": "a-long-random-secret-value-0123456789abcdef",
                        "PORTAL_MAIL_SERVER": "smtp.portal.example"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="PORTAL_BASE_URL must be set"):
        create_app({"INSTANCE_PATH": str(tmp_path)})


@pytest.mark.parametrize("base_url, proxy_count, tls, refused", [
    ("http://127.0.0.1:5873", 0, False, False),   # make run
    ("https://portal.example", 1, False, False),  # behind the TLS proxy (docs/deploy.md)
    ("http://portal.lan", 1, False, False),       # behind a plain proxy: its choice
    ("https://localhost:8443", 0, True, False),   # gunicorn --certfile
    ("https://portal.example", 0, False, True),   # secure cookies over plain HTTP
    ("http://localhost:8443", 0, True, True),     # links to http on a TLS server
    ("http://localhost:8443", 1, True, True),
])
def test_the_scheme_rule(base_url, proxy_count, tls, refused):
    assert (served_scheme_problem(base_url, proxy_count, tls) is not None) is refused


# -- the real server ---------------------------------------------------------------------------

def _environment(database_url, instance_path, port, base_url=None):
    env = gunicorn_environment(database_url, instance_path, "", two_step_required=False)
    del env["PORTAL_BASE_URL"]
    if base_url:
        env["PORTAL_BASE_URL"] = base_url
    env["PORT"] = str(port)
    return env


def test_gunicorn_refuses_an_https_base_url_on_plain_http(app, database_url, tmp_path):
    port = free_port()
    env = _environment(database_url, tmp_path / "instance", port, "https://portal.example")
    finished = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "1",
         "-b", f"127.0.0.1:{port}", "wsgi:app"], cwd=ROOT, env=env, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=START_TIMEOUT)
    assert finished.returncode != 0
    assert "the server speaks plain HTTP with no proxy in front" in finished.stderr


class Visitor:
    """A browser over plain HTTP with its own cookies (urllib follows redirects)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, url):
        with self.opener.open(url, timeout=30) as response:
            return response.status, response.geturl(), response.read().decode()

    def post(self, url, form):
        _status, _url, page = self.get(url)
        data = urlencode({**form, "csrf_token": CSRF.search(page).group(1)}).encode()
        request = urllib.request.Request(url, data=data)  # noqa: S310 - the test server's http URL
        with self.opener.open(request, timeout=30) as response:
            return response.status, response.read().decode()


@pytest.fixture
def served(app, database_url, tmp_path):
    """scripts/serve.sh (gunicorn and the mail worker) on a free port that is not 5000, on
    the test database, with no base URL set: it must come from PORT. Stopped before `app`
    empties the tables."""
    port = free_port()
    assert port != 5000
    log_path = tmp_path / "serve.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["./scripts/serve.sh"], cwd=ROOT, env=_environment(database_url, tmp_path / "instance",
                                                             port),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        assert process.poll() is None, log_path.read_text()
        try:
            if urllib.request.urlopen(base + "/healthz", timeout=5).status == 200:  # noqa: S310
                break
        except OSError:
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
    yield base
    _stop_group(process)


def _stop_group(process):
    """SIGTERM serve.sh's whole process group (gunicorn and the mail worker with it: bash
    runs its trap only once its foreground gunicorn ends), then SIGKILL what is left."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    deadline = time.monotonic() + 30
    while _group_alive(process.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _group_alive(process.pid):
        os.killpg(process.pid, signal.SIGKILL)


def _group_alive(group):
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def _email_to(outbox_folder, address):
    """The text of the first email to `address` the mail worker delivered: with no SMTP
    server it writes .eml files (the outbox rows lose their bodies once sent)."""
    deadline = time.monotonic() + MAIL_TIMEOUT
    while time.monotonic() < deadline:
        for path in sorted(outbox_folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                return message.get_body(("plain",)).get_content()
        time.sleep(0.2)
    pytest.fail(f"no email to {address} within {MAIL_TIMEOUT} s")


def test_an_emailed_link_leads_to_the_server_on_its_port(make_account, served, tmp_path):
    account = make_account(username="robin", email="robin@patients.example")
    visitor = Visitor()
    status, _page = visitor.post(served + "/forgot-password", {"name": "robin"})
    assert status == 200
    body = _email_to(tmp_path / "instance" / "outbox", account.email)  # serve.sh's mail worker
    link = re.search(r"http\S+/reset\?t=\S+", body).group(0)
    assert link.startswith(served + "/reset?t=")
    status, landed, page = Visitor().get(link)
    assert status == 200 and landed == served + "/reset"
    assert "Who was your childhood hero?" in page


def test_portal_demo_prints_links_on_port(app, monkeypatch):
    monkeypatch.setenv("PORT", "5873")
    demo_app = create_app({
        "TESTING": True, "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "INSTANCE_PATH": app.instance_path, "SECRET_KEY": TEST_SECRET, "MAIL_SERVER": None,
        "ENV": "development", "SEAL_P12": app.config["SEAL_P12"]})
    assert demo_app.config["BASE_URL"] == "http://127.0.0.1:5873"
    output = demo_app.test_cli_runner().invoke(args=["demo"]).output
    assert "Sign in at http://127.0.0.1:5873/staff/sign-in with:" in output
    assert "Sign in at http://127.0.0.1:5873/sign-in with:" in output
    with demo_app.app_context():
        db.engine.dispose()


@pytest.fixture
def port_5873(monkeypatch):
    """PORT as `PORT=5873 make run` sets it, before `app` is built (usefixtures runs first)."""
    monkeypatch.setenv("PORT", "5873")


@pytest.mark.usefixtures("port_5873")
@pytest.mark.parametrize("app", [{"BASE_URL": None}], indirect=True)
def test_the_invitation_and_the_activation_letter_follow_port(app, staff_client, make_patient,
                                                             outbox):
    assert app.config["BASE_URL"] == "http://127.0.0.1:5873"
    patient = make_patient()
    front_desk = staff_client("front_desk")
    chart = f"/staff/patients/{patient.id}"
    assert post_form(front_desk, chart + "/invitation", {}, page_url=chart).status_code == 302
    [invitation] = outbox.queued
    assert "http://127.0.0.1:5873/enroll?t=" in invitation.body_text
    assert "5000" not in invitation.body_text
    response, code = print_letter(front_desk, patient)
    assert code and "127.0.0.1:5873/activate" in pdf_text(response.data)
