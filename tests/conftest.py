"""Fixtures: an app on a migrated test database (SQLite, or PostgreSQL through
PORTAL_TEST_DATABASE_URL), a client, a CLI runner, staff accounts and the outbox; and what test
files share rather than copy: signed-in clients (`staff_client`, `patient_client`), the
`audit_trail`, `open_link` for emailed links, `stored` rows, the frozen `clock`, two-step
helpers, an SMTP server on loopback (`smtp_server`) and a signed-in front-desk `staffer`.
Passwords come from STAFF_PASSWORD and PATIENT_PASSWORD only. Plain helpers are in helpers.py;
a fixture name means one thing in every module (a module may narrow it, never change it)."""

import functools
import os
import re
import signal
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from aiosmtpd.controller import Controller
from freezegun import freeze_time
from helpers import Inbox, free_port
from sqlalchemy import create_engine, select, text
from werkzeug.serving import make_server

from portal import create_app
from portal.extensions import db
from portal.models import OutboxEmail, StaffUser
from portal.services import audit
from portal.services.passwords import hash_password
from portal.services.setup import install_defaults

# Fixtures kept in their own module, shared by every test that needs them.
pytest_plugins = ("records_data", "seal_data")

TEST_SECRET = "test-secret-key-for-the-portal-test-suite-0123456789"
STAFF_PASSWORD = "staff password for tests 42"
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')


def _reset_postgres(url):
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def pytest_sessionstart(session):
    """Sign one certificate before any test freezes time. cryptography keeps the datetime
    class it first reads; if that first read happened under freezegun it would keep
    FakeDatetime and refuse every real datetime after (making the practice's seal)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "warm-up")])
    now = datetime.now(UTC)
    (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
     .serial_number(1).not_valid_before(now).not_valid_after(now + timedelta(days=1))
     .sign(key, hashes.SHA256()))


def _database_of_worker(url, worker_id):
    """With pytest-xdist each worker gets a PostgreSQL database of its own (made if missing):
    the tests of one worker empty every table between tests."""
    if worker_id in ("master", "gw0"):
        return url
    base, _, name = url.rpartition("/")
    own = f"{name}_{worker_id}"
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        if not connection.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                 {"name": own}):
            connection.execute(text(f'CREATE DATABASE "{own}"'))
    engine.dispose()
    return f"{base}/{own}"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    """A database migrated once per run (per xdist worker) with the real Alembic migrations."""
    url = os.environ.get("PORTAL_TEST_DATABASE_URL")
    if url:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
        url = _database_of_worker(url, worker_id)
        _reset_postgres(url)
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("db") / "portal-test.sqlite3")
    from flask_migrate import upgrade

    app = create_app(_settings(url, tmp_path_factory.mktemp("migrate")))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


def _settings(url, instance_path):
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(instance_path),
        "SECRET_KEY": TEST_SECRET,
        "BASE_URL": "http://portal.test",
        "MAIL_SERVER": None,
        "ENV": "development",
        # Staff two-step sign-in is tested in test_twostep.py; elsewhere staff sign in with
        # a password alone so each test can focus on its own subject.
        "TWO_STEP_REQUIRED_FOR_STAFF": False,
    }


@pytest.fixture
def app_overrides():
    """Settings laid over the test settings for `app`; a module may override this fixture
    (tests/browser/test_https_flows.py does, to share the TLS server's base URL and instance)."""
    return {}


@pytest.fixture
def app(request, database_url, tmp_path, app_overrides):
    """The app on the test database; every table is emptied after each test.

    Parametrize it indirectly with a dict of settings to change some, e.g.
    `@pytest.mark.parametrize("app", [{"BASE_URL": "https://portal.test"}], indirect=True)`.
    """
    overrides = {**app_overrides, **getattr(request, "param", {})}
    app = create_app({**_settings(database_url, tmp_path / "instance"), **overrides})
    if request.node.get_closest_marker("no_defaults") is None:
        with app.app_context():  # as `portal setup` leaves a new practice
            install_defaults()
            db.session.commit()
    yield app
    with app.app_context():
        db.session.rollback()
        # documents and their versions point at each other: break the loop first.
        db.session.execute(text("UPDATE documents SET current_version_id = NULL"))
        for table in reversed(db.metadata.sorted_tables):
            db.session.execute(table.delete())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url):
    """Read the CSRF token from the form on the page at `url`."""
    page = client.get(url, follow_redirects=True)
    found = CSRF_INPUT.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {url} (status {page.status_code})"
    return found.group(1)


def post_form(client, url, data, page_url=None, **kwargs):
    """Submit a form as a browser would: load its page for the CSRF token, then POST."""
    return client.post(url, data={"csrf_token": csrf_token(client, page_url or url), **data},
                       **kwargs)


@functools.lru_cache
def _password_hash(password):
    return hash_password(password)  # hashing costs ~0.1 s: once per password per run


@pytest.fixture
def make_staff(app):
    """Create a staff account: make_staff(role="nurse", email=...) -> StaffUser (detached)."""

    def make(role="admin", email=None, name="Test Staffer", password=STAFF_PASSWORD):
        with app.app_context():
            staff = StaffUser(email=email or f"{role}@practice.test", name=name, role=role,
                              password_hash=_password_hash(password))
            db.session.add(staff)
            db.session.commit()
            db.session.refresh(staff)
            db.session.expunge(staff)
            return staff

    return make


PATIENT_PASSWORD = "patient password for tests 7"
SECURITY_ANSWER = "Grace Hopper"


@pytest.fixture
def make_patient(app):
    """Create a patient chart: make_patient(account_number="T-1", ...) -> Patient (detached)."""
    from datetime import date

    from portal.services.patients import create_patient

    def make(**values):
        values = {"account_number": "T-1001", "first_name": "Robin", "last_name": "Quill",
                  "sex": "unknown", "status": "active", "date_of_birth": date(1980, 4, 9),
                  "email": "robin.quill@example.com", **values}
        with app.app_context():
            patient = create_patient(values, audit.SYSTEM)
            db.session.commit()
            db.session.refresh(patient)
            db.session.expunge(patient)
            return patient

    return make


@pytest.fixture
def make_account(app, make_patient):
    """A patient with an active portal account: make_account(username="robin") -> account.

    Password PATIENT_PASSWORD; security question "childhood_hero", answer SECURITY_ANSWER.
    """
    from portal.models import PatientAccount
    from portal.services import accounts

    def make(username="robin", password=PATIENT_PASSWORD, consented=True, **patient_values):
        patient = make_patient(**patient_values)
        with app.app_context():
            account = PatientAccount(
                patient_id=patient.id, username=username, email=patient.email,
                password_hash=_password_hash(password), security_question="childhood_hero",
                security_answer_hash=_answer_hash(SECURITY_ANSWER))
            db.session.add(account)
            db.session.flush()
            if consented:
                _consent_on_file(account)
            db.session.commit()
            db.session.refresh(account)
            db.session.expunge(account)
            return account

    def _answer_hash(answer):
        return _password_hash(accounts.normalize_answer(answer))

    return make


def _consent_on_file(account):
    """The portal consent, on file as signed today, so the consent gate lets the account
    through: for tests about something else. Its PDF is a placeholder (rendering and sealing
    one per account would slow the suite); tests/test_consents.py signs for real."""
    from portal.models import Signature
    from portal.services.consents import documents, gate, signing

    _document, version = documents.portal_consent()
    now = datetime.now(UTC)
    db.session.add(Signature(
        patient_id=account.patient_id, document_id=version.document_id, version_id=version.id,
        version_sha256=version.sha256, kind="consent", values={}, signer_name="Test Patient",
        signer_account_id=account.id, signed_at=now, signed_at_local=now.isoformat(),
        time_zone="UTC", expires_at=gate.expiry_for(version, now),
        verification_code=signing.new_verification_code(),
        submission_key=signing.new_submission_key(), pdf=b"%PDF- placeholder", pdf_sha256=""))


class AuthActions:
    def __init__(self, client):
        self.client = client

    def sign_in(self, email, password=STAFF_PASSWORD, **kwargs):
        return post_form(self.client, "/staff/sign-in",
                         {"email": email, "password": password}, **kwargs)

    def patient_sign_in(self, username, password=PATIENT_PASSWORD, **kwargs):
        return post_form(self.client, "/sign-in", {"username": username, "password": password},
                         **kwargs)

    def sign_out(self):
        return post_form(self.client, "/sign-out", {}, page_url="/")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def admin(make_staff, auth):
    """A practice admin, signed in on `client`."""
    staff = make_staff("admin")
    response = auth.sign_in(staff.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return staff


class Outbox:
    """The emails the app has queued (the outbox table) and delivered (.eml files)."""

    def __init__(self, app):
        self.app = app

    @property
    def queued(self):
        with self.app.app_context():
            rows = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
            db.session.expunge_all()
            return rows

    @property
    def eml_files(self):
        folder = Path(self.app.instance_path) / "outbox"
        return sorted(folder.glob("*.eml")) if folder.exists() else []

    def process_requests(self):
        """The mail worker's first step: answer waiting forgot-password/username requests."""
        from portal.services.recovery_requests import process_requests

        with self.app.app_context():
            return process_requests()

    def deliver(self):
        """One whole round of the mail worker: answer requests, then send what is due."""
        from portal.services.worker import run_once

        with self.app.app_context():
            return run_once()


@pytest.fixture
def outbox(app):
    return Outbox(app)


@pytest.fixture
def live_server(app):
    """The app served over HTTP on a free loopback port, in a thread, for the browser."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # A short poll interval: shutdown() otherwise waits up to half a second per test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def gunicorn_environment(database_url, instance_path, base_url, two_step_required):
    """The environment for the portal under gunicorn in a test: this shell's PORTAL_* settings
    (and any GUNICORN_CMD_ARGS) left out, the test database and secret put in."""
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("PORTAL_") and name not in ("DATABASE_URL", "GUNICORN_CMD_ARGS")}
    env.update(PORTAL_DATABASE_URL=database_url, PORTAL_INSTANCE_PATH=str(instance_path),
               PORTAL_SECRET_KEY=TEST_SECRET, PORTAL_BASE_URL=base_url, PORTAL_ENV="development",
               PORTAL_TWO_STEP_REQUIRED_FOR_STAFF="1" if two_step_required else "0")
    return env


def stop_gracefully(process):
    """SIGTERM a server started by a test, then SIGKILL if it has not gone in 30 seconds."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def engine_events(app, name, action):
    """The arguments of every `name` event ("before_cursor_execute", "commit", ...) that the
    app's database engine fires while `action()` runs, in order."""
    from sqlalchemy import event

    seen = []
    with app.app_context():
        engine = db.engine

    def listener(*args):
        seen.append(args)

    event.listen(engine, name, listener)
    try:
        action()
    finally:
        event.remove(engine, name, listener)
    return seen


def count_queries(app, action):
    """How many SQL statements `action()` runs against the app's database."""
    return len(engine_events(app, "before_cursor_execute", action))


# -- shared helpers: signed-in clients, the audit trail, emailed links, rows, time, two-step --

def open_server_session(app, client, user):
    """Sign `user` (a staff member or a patient account) in on `client` by opening the
    server-side session directly, as the sign-in steps would at their end."""
    from portal.services import sessions

    with app.test_request_context():
        token = sessions.start_session(user, "127.0.0.1", "")
        db.session.commit()
    with client.session_transaction() as cookie:
        cookie["_user_id"], cookie["sid"], cookie["_fresh"] = user.get_id(), token, True


@pytest.fixture
def staff_client(app, make_staff):
    """staff_client(role="front_desk", **make_staff values) -> a test client (a new browser, or
    `on=client`) with a new staff member of `role` signed in; the member is `.staff`.

    `staff=member` signs in an existing member instead (`password=` if it was changed). By
    default it goes through the sign-in form; `direct=True` opens the server session directly,
    for tests that are not about the sign-in steps (password, then two-step), which test_auth
    and the two-step tests cover. Either way the patient list then answers 200.
    """

    def make(role="front_desk", *, staff=None, password=STAFF_PASSWORD, on=None, direct=False,
             **values):
        staff = staff or make_staff(role, **values)
        browser = on or app.test_client()
        if direct:
            open_server_session(app, browser, staff)
        else:
            assert AuthActions(browser).sign_in(staff.email, password).status_code == 302
        assert browser.get("/staff/patients").status_code == 200
        browser.staff = staff
        return browser

    return make


@pytest.fixture
def patient_client(app):
    """patient_client(username="robin", password=PATIENT_PASSWORD) -> a test client (a new
    browser, or `on=client`) with that patient account signed in through the sign-in form: it
    lands on /home, and the profile then answers 200."""

    def make(username="robin", password=PATIENT_PASSWORD, *, on=None):
        browser = on or app.test_client()
        response = AuthActions(browser).patient_sign_in(username, password)
        assert response.headers["Location"] == "/home", response.get_data(as_text=True)
        assert browser.get("/profile").status_code == 200
        return browser

    return make


class AuditTrail:
    """The audit_events table, oldest first."""

    def __init__(self, app):
        self.app = app

    def actions(self):
        """Every recorded action, in order."""
        from portal.models import AuditEvent

        with self.app.app_context():
            return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))

    def rows(self, action):
        """The rows (detached) recorded for one action, in order."""
        from portal.models import AuditEvent

        with self.app.app_context():
            rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                      .order_by(AuditEvent.id)).all()
            db.session.expunge_all()
            return rows


@pytest.fixture
def save_practice(app):
    """save_practice(**settings): change the practice's settings row (the browser tests have
    their own, with a full practice as an admin would set it)."""
    from portal.services.practice import get_practice, update_practice

    def save(**settings):
        with app.app_context():
            update_practice(get_practice(), settings)
            db.session.commit()

    return save


@pytest.fixture
def audit_trail(app):
    return AuditTrail(app)


RESET_LINK = re.compile(r"http://portal\.test(/reset\?t=\S+)")


def open_link(client, link):
    """Open an emailed link (path and ?t= token) as the patient would: the portal keeps the token
    in the session and redirects to the bare path, whose page is returned."""
    path = link.split("?", 1)[0]
    response = client.get(link)
    assert response.status_code == 302 and response.headers["Location"] == path
    return client.get(path)


def stored(app, model, row_id):
    """The row of `model` with id `row_id` as the database holds it now (detached)."""
    with app.app_context():
        row = db.session.get(model, row_id)
        db.session.expunge(row)
        return row


def add_patients(app, count, **overrides):
    """Add `count` charts P0000, P0001, ... (Last0000, ...); returns their ids in list order."""
    from datetime import date

    from portal.models import Patient
    from portal.services.patients import create_patient

    with app.app_context():
        for number in range(count):
            create_patient({"account_number": f"P{number:04d}", "first_name": f"First{number}",
                            "last_name": f"Last{number:04d}", "sex": "unknown",
                            "status": "active", "date_of_birth": date(1970, 1, 1 + number % 28),
                            **overrides}, audit.SYSTEM)
        db.session.commit()
        return list(db.session.scalars(
            select(Patient.id).order_by(Patient.last_name, Patient.first_name, Patient.id)))


START = datetime(2026, 11, 23, 15, 0, 0, tzinfo=UTC)
SECRET_TEXT = re.compile(r'<code id="setup-key">([A-Z2-7 ]+)</code>')


@pytest.fixture
def clock():
    """Time stands still at START unless the test moves it (clock.tick(seconds))."""
    with freeze_time(START) as frozen:
        yield frozen


@pytest.fixture
def two_step_required(app):
    """The suite switches the staff requirement off (see _settings); this turns it on."""
    app.config["TWO_STEP_REQUIRED_FOR_STAFF"] = True


def turn_on_two_step(app, model, account_id, with_codes=False):
    """Turn two-step on for an account directly; returns (secret, recovery codes)."""
    from portal.services import twostep_recovery_codes

    with app.app_context():
        account = db.session.get(model, account_id)
        account.totp_secret = pyotp.random_base32(32)
        account.totp_enabled_at = START - timedelta(days=1)
        codes = twostep_recovery_codes.regenerate_recovery_codes(account, audit.SYSTEM) if with_codes else []
        db.session.commit()
        return account.totp_secret, codes


def code_at(secret, moment=None):
    """The authenticator app's code for `secret` at `moment` (now by default)."""
    return pyotp.TOTP(secret).at(moment or datetime.now(UTC))


def send_code(client, code):
    """The second sign-in step: the app's code or a recovery code."""
    return post_form(client, "/sign-in/code", {"code": code})


def sign_in_with_code(client, email, secret, password=STAFF_PASSWORD):
    """A staff member with two-step on signs in: password, then the app's code."""
    assert AuthActions(client).sign_in(email, password).headers["Location"] == "/sign-in/code"
    assert send_code(client, code_at(secret)).headers["Location"] == "/staff/patients"


@pytest.fixture
def topics(app):
    """{label: id} of the practice's default message topics (made once, as `portal demo` does)."""
    from portal.services.messages.topics import ensure_topics, offered_topics

    with app.app_context():
        ensure_topics()
        db.session.commit()
        return {topic.label: topic.id for topic in offered_topics()}


# -- mail delivery over SMTP and the front desk, shared by several modules --------------------

@pytest.fixture
def smtp_server():
    """start(port=None, inbox=None, **aiosmtpd options) -> the Inbox, served on 127.0.0.1."""
    controllers = []

    def start(port=None, inbox=None, **options):
        inbox = inbox or Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **options)
        controller.start()
        controllers.append(controller)
        inbox.port = controller.port
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def staffer(client, staff_client):
    """A front-desk staff member signed in on `client` directly through a server session
    (the two-step sign-in is not what these tests are about)."""
    return staff_client("front_desk", name="Dana Whitfield", on=client, direct=True).staff
