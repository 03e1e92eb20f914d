"""The portal under real gunicorn workers, on the test database (SQLite or PostgreSQL).

- B1: the sign-in lock is counted in the database, so it holds across workers.
- H2: four workers writing at once never hit "database is locked" (WAL, busy_timeout,
  BEGIN IMMEDIATE at a transaction's first write).
- H1: a reader is not blocked by another connection's write lock.
- The access log (gunicorn.conf.py) never carries a query string or a password.
"""

import http.client
import re
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, namedtuple
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import (
    CSRF_INPUT,
    STAFF_PASSWORD,
    gunicorn_environment,
    stop_gracefully,
)
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent, AuthSession, OutboxEmail, Patient, SignInFailure

ROOT = Path(__file__).resolve().parent.parent
WRONG_PASSWORD = "not the password of this account"
FAILED_TEXT = "did not match"
LOCK_SUBJECT = "Sign-in to your portal account was paused"
# The worker's pid in front of the repo's own access log format, to see which worker answered.
PID_LOG_FORMAT = '%(p)s %(h)s "%(m)s %(U)s" %(s)s %(B)s %(L)ss'
ACCESS_LINE = re.compile(r'^<(\d+)> \S+ "(\w+) (\S+)" (\d{3}) ', re.MULTILINE)
# What must never show in gunicorn's output while the portal is busy. The app logs crashes as
# "incident <id>: <ExceptionType> ..." without the message, so look for those as well.
TROUBLE = ("database is locked", "OperationalError", "incident", "Traceback", "[ERROR]",
           "[CRITICAL]", "WORKER TIMEOUT")
START_TIMEOUT = 30

Reply = namedtuple("Reply", "status headers text")


class Browser:
    """One visitor with its own cookies; every request goes over a new TCP connection."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, form=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            headers = {"Connection": "close"}
            if self.cookies:
                headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            body = None
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                cookie = SimpleCookie()
                cookie.load(header)
                for name, morsel in cookie.items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return Reply(response.status, response.headers, text)
        finally:
            connection.close()

    def get(self, path):
        return self.request("GET", path)

    def csrf_token(self, path):
        page = self.get(path)
        found = CSRF_INPUT.search(page.text)
        assert found, f"no CSRF token on {path} (status {page.status})"
        return found.group(1)

    def post_form(self, path, data, page_path=None):
        return self.request("POST", path, {"csrf_token": self.csrf_token(page_path or path), **data})

    def sign_in(self, email, password=STAFF_PASSWORD, path="/staff/sign-in"):
        return self.post_form(path, {"email": email, "password": password}, page_path="/staff/sign-in")


class GunicornServer:
    """`gunicorn -c gunicorn.conf.py wsgi:app` in a subprocess, logging to files."""

    def __init__(self, folder, database_url, workers, access_log_format):
        self.folder = folder
        self.database_url = database_url
        self.workers = workers
        self.access_log_format = access_log_format
        self.stdout_path = folder / "gunicorn.stdout"
        self.stderr_path = folder / "gunicorn.stderr"
        self.process = None
        self.port = None

    def start(self):
        self.folder.mkdir(parents=True)
        # Staff two-step stays off, as in tests/conftest.py.
        env = gunicorn_environment(self.database_url, self.folder / "instance",
                                   "http://127.0.0.1", two_step_required=False)
        command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py",
                   "-w", str(self.workers), "-b", "127.0.0.1:0"]
        if self.access_log_format:
            command += ["--access-logformat", self.access_log_format]
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen([*command, "wsgi:app"], cwd=ROOT, env=env,
                                            stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        self.port = self._wait_for_port()
        self._wait_until_healthy()
        if self.access_log_format:
            self._wait_for_every_worker()

    def _check_running(self):
        if self.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.stderr}")

    def _wait_for_port(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_running()
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", self.stderr)
            if found:
                return int(found.group(1))
            time.sleep(0.05)
        pytest.fail(f"gunicorn did not start listening:\n{self.stderr}")

    def _wait_until_healthy(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_running()
            try:
                if Browser(self.port).get("/healthz").status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        pytest.fail(f"gunicorn never answered /healthz:\n{self.stderr}")

    def _wait_for_every_worker(self):
        """Until each worker has loaded the app and answered (so the tests reach them all)."""
        deadline = time.monotonic() + START_TIMEOUT
        with ThreadPoolExecutor(self.workers * 2) as pool:
            while len(self.pids_serving("GET", "/healthz")) < self.workers:
                self._check_running()
                if time.monotonic() > deadline:
                    pytest.fail(f"not every gunicorn worker answered:\n{self.stderr}")
                list(pool.map(lambda _: Browser(self.port).get("/healthz"), range(self.workers * 2)))

    def stop(self):
        stop_gracefully(self.process)

    @property
    def stdout(self):
        return self.stdout_path.read_text(errors="replace")

    @property
    def stderr(self):
        return self.stderr_path.read_text(errors="replace")

    def pids_serving(self, method, path):
        """The worker pids whose access log lines show `method path` (needs PID_LOG_FORMAT)."""
        return {pid for pid, m, p, _ in ACCESS_LINE.findall(self.stdout) if (m, p) == (method, path)}


@pytest.fixture
def gunicorn(app, database_url, tmp_path):
    """Start gunicorn on the test database: gunicorn(workers=2) -> GunicornServer.

    Depends on `app`, so the servers are stopped before `app` empties the tables.
    """
    servers = []

    def start(workers=2, access_log_format=PID_LOG_FORMAT):
        server = GunicornServer(tmp_path / f"gunicorn-{len(servers)}", database_url, workers,
                                access_log_format)
        servers.append(server)
        server.start()
        return server

    yield start
    for server in servers:
        server.stop()


def count(app, statement):
    with app.app_context():
        return db.session.scalar(statement)


def assert_untroubled(output):
    found = [word for word in TROUBLE if word in output]
    assert not found, f"gunicorn reported {found}:\n{output[-5000:]}"


@pytest.mark.slow
def test_sign_in_lock_holds_across_workers(gunicorn, make_staff, app):
    target = make_staff("front_desk", email="locked@practice.test")
    other = make_staff("admin", email="other@practice.test")
    server = gunicorn(workers=2)

    def attempt(password, email=target.email):
        return Browser(server.port).sign_in(email, password)

    # Nine failures, three at a time (so both workers take some), then the tenth on its own.
    with ThreadPoolExecutor(3) as pool:
        failures = list(pool.map(lambda _: attempt(WRONG_PASSWORD), range(9)))
    failures.append(attempt(WRONG_PASSWORD))
    for reply in failures:
        assert reply.status == 200 and FAILED_TEXT in reply.text

    # Locked: the right password is refused too, by whichever worker answers.
    with ThreadPoolExecutor(4) as pool:
        refused = list(pool.map(lambda _: attempt(STAFF_PASSWORD), range(4)))
    for reply in refused:
        assert reply.status == 200 and FAILED_TEXT in reply.text

    # Another account is not affected.
    reply = attempt(STAFF_PASSWORD, email=other.email)
    assert reply.status == 302 and reply.headers["Location"] == "/staff/patients"

    server.stop()
    assert len(server.pids_serving("POST", "/staff/sign-in")) == 2, server.stdout
    assert_untroubled(server.stderr)
    # Attempts during the pause are not counted; the owner is told once.
    assert count(app, select(func.count(SignInFailure.id))
                 .where(SignInFailure.account_key == f"staff:{target.id}")) == 10
    assert count(app, select(func.count(AuditEvent.id))
                 .where(AuditEvent.action == "staff.sign_in_refused_locked")) == 4
    assert count(app, select(func.count(OutboxEmail.id)).where(
        OutboxEmail.recipient == target.email, OutboxEmail.subject == LOCK_SUBJECT)) == 1


@pytest.mark.slow
def test_concurrent_failures_start_exactly_one_lock(gunicorn, make_staff, app):
    """Twenty wrong passwords at once: ten counted, one lock, one email to the owner."""
    target = make_staff("nurse", email="raced@practice.test")
    server = gunicorn(workers=2)
    with ThreadPoolExecutor(10) as pool:
        replies = list(pool.map(lambda _: Browser(server.port).sign_in(target.email, WRONG_PASSWORD),
                                range(20)))
    assert all(reply.status == 200 and FAILED_TEXT in reply.text for reply in replies)
    server.stop()
    assert_untroubled(server.stderr)
    assert count(app, select(func.count(SignInFailure.id))
                 .where(SignInFailure.account_key == f"staff:{target.id}")) == 10
    assert count(app, select(func.count(AuditEvent.id))
                 .where(AuditEvent.action == "staff.sign_in_locked")) == 1
    assert count(app, select(func.count(OutboxEmail.id))
                 .where(OutboxEmail.recipient == target.email)) == 1


def patient_form(token, number):
    return {
        "csrf_token": token, "account_number": number, "first_name": "Load", "middle_name": "",
        "last_name": f"Tester {number}", "preferred_name": "", "date_of_birth-month": "3",
        "date_of_birth-day": "14", "date_of_birth-year": "1962", "sex": "female", "email": "",
        "phone": "", "address_line1": "", "address_line2": "", "city": "", "state": "",
        "postal_code": "", "status": "active",
    }


@pytest.mark.slow
def test_four_workers_write_at_once_without_locking_errors(gunicorn, make_staff, app):
    """H2: 10 staff sign-ins, then 200 writes (100 new charts, 100 chart views), all at once."""
    threads, writes_each = 10, 20
    staff = make_staff("admin")
    server = gunicorn(workers=4)
    barrier = threading.Barrier(threads, timeout=60)

    def visitor(n):
        browser = Browser(server.port)
        replies = []
        try:
            barrier.wait()
            replies.append(("sign-in", browser.sign_in(staff.email)))
            form_page = browser.get("/staff/patients/new")
            found = CSRF_INPUT.search(form_page.text)
            barrier.wait()  # every visitor signed in: now the writes, all at once
            if not found:
                return [*replies, ("form", form_page)]
            chart = None
            for i in range(writes_each):
                if i % 2 == 0:
                    reply = browser.request("POST", "/staff/patients/new",
                                            patient_form(found.group(1), f"W{n:02d}-{i:03d}"))
                    replies.append(("create", reply))
                    chart = reply.headers.get("Location")
                elif chart:
                    replies.append(("view", browser.get(chart)))
            return replies
        except BaseException:
            barrier.abort()  # the other visitors stop waiting for this one
            raise

    with ThreadPoolExecutor(threads) as pool:
        replies = [r for batch in pool.map(visitor, range(threads)) for r in batch]
    server.stop()

    statuses = [(kind, reply.status) for kind, reply in replies]
    assert not [s for s in statuses if s[1] >= 500], (Counter(statuses), server.stderr[-3000:])
    assert statuses.count(("sign-in", 302)) == threads, statuses
    assert statuses.count(("create", 302)) == threads * writes_each // 2, statuses
    assert statuses.count(("view", 200)) == threads * writes_each // 2, statuses
    assert_untroubled(server.stderr)
    assert len(server.pids_serving("POST", "/staff/patients/new")) == 4, server.stdout
    assert count(app, select(func.count(Patient.id))) == threads * writes_each // 2
    for action, expected in (("staff.sign_in", threads),
                             ("patient.created", threads * writes_each // 2),
                             ("patient.viewed", threads * writes_each // 2)):
        assert count(app, select(func.count(AuditEvent.id))
                     .where(AuditEvent.action == action)) == expected, action
    assert count(app, select(func.count(AuthSession.id))) == threads


@pytest.mark.slow
def test_access_log_has_no_query_strings_or_passwords(gunicorn, make_staff):
    staff = make_staff("admin")
    server = gunicorn(workers=2, access_log_format=None)  # gunicorn.conf.py's own format
    browser = Browser(server.port)
    assert browser.get("/staff/sign-in?next=/secret-value").status == 200
    assert browser.get("/no-such-page?token=secret-value").status == 404
    assert browser.get("/staff/patients?q=secret-value").status == 302
    assert browser.sign_in(staff.email, WRONG_PASSWORD,
                           path="/staff/sign-in?next=/secret-value").status == 200
    assert browser.sign_in(staff.email, path="/staff/sign-in?next=/secret-value").status == 302
    server.stop()

    logs = server.stdout + server.stderr
    assert '"GET /staff/sign-in" 200' in logs
    assert '"GET /no-such-page" 404' in logs
    assert '"POST /staff/sign-in" 302' in logs
    for secret in ("secret-value", WRONG_PASSWORD, STAFF_PASSWORD, staff.email):
        assert secret not in logs


@pytest.mark.slow
def test_sqlite_reader_is_not_blocked_by_a_writer(gunicorn, database_url):
    """H1: in WAL mode a page that only reads is served while another process holds the write lock."""
    if not database_url.startswith("sqlite:///"):
        pytest.skip("SQLite only")
    server = gunicorn(workers=2)
    writer = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        try:
            reply = Browser(server.port, timeout=2).get("/")
        except TimeoutError:
            pytest.fail("GET / waited for the write lock held by another connection")
        assert reply.status == 200
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.slow
def test_patient_sign_in_lock_holds_across_workers(gunicorn, make_account, app):
    """The patient sign-in page shares the lock: ten failures over both workers, then the
    right password is refused too."""
    from conftest import PATIENT_PASSWORD

    account = make_account(username="lockme")
    server = gunicorn(workers=2)

    def attempt(password):
        return Browser(server.port).post_form("/sign-in", {"username": "lockme", "password": password})

    with ThreadPoolExecutor(3) as pool:
        failures = list(pool.map(lambda _: attempt(WRONG_PASSWORD), range(10)))
    assert all(reply.status == 200 and FAILED_TEXT in reply.text for reply in failures)
    refused = attempt(PATIENT_PASSWORD)
    assert refused.status == 200 and FAILED_TEXT in refused.text
    server.stop()
    assert len(server.pids_serving("POST", "/sign-in")) == 2, server.stdout
    assert_untroubled(server.stderr)
    assert count(app, select(func.count(SignInFailure.id))
                 .where(SignInFailure.account_key == f"patient:{account.id}")) == 10
