"""The transactional outbox (SECURITY.md H3): a row written with the change that caused it,
delivered as .eml files or over real SMTP (aiosmtpd on loopback), retried with backoff, sent
once when workers race, and again with the same Message-ID after a worker dies mid-send.
Requests only queue mail; the mail worker (`portal send-mail --watch`) alone delivers it, so a
slow SMTP server never delays a page. A sent row keeps its headers and a hash, not its link."""

import hashlib
import logging
import os
import socket
import sqlite3
import ssl
import stat
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from conftest import TEST_SECRET, post_form
from freezegun import freeze_time
from helpers import PARSE, Inbox, free_port, use_smtp
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.models import OutboxEmail
from portal.models.types import utcnow
from portal.services import mail
from portal.services.practice import get_practice

RECIPIENT = "pat.outbox@example.test"
@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 and localhost: (cert path, server TLS context)."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return str(cert), context


def queue(app, count=1, commit=True):
    """Queue `count` emails in one transaction, then commit or roll it back; their Message-IDs."""
    with app.app_context():
        emails = [mail.send_email(RECIPIENT, f"Notice {n}", "sign_in_locked", name="Pat Doe",
                                  practice=get_practice()) for n in range(count)]
        db.session.flush()
        message_ids = [email.message_id for email in emails]
        db.session.commit() if commit else db.session.rollback()
        return message_ids


def set_rows(app, **values):
    with app.app_context():
        db.session.execute(update(OutboxEmail).values(**values))
        db.session.commit()


def deliver_at(outbox, moment):
    with freeze_time(moment):
        return outbox.deliver()


def test_rollback_leaves_no_row_and_commit_one_pending(app, outbox):
    queue(app, commit=False)
    assert outbox.queued == []
    [message_id] = queue(app)
    [row] = outbox.queued
    assert (row.message_id, row.recipient, row.attempts) == (message_id, RECIPIENT, 0)
    assert row.sent_at is None and row.gave_up_at is None and row.claimed_until is None


def test_without_server_each_message_is_one_eml_file(app, outbox):
    queue(app, count=2)
    assert outbox.deliver() == (2, 0)
    rows, files = outbox.queued, outbox.eml_files
    assert len(files) == 2
    for row, path in zip(rows, files, strict=True):
        message = PARSE(path.read_bytes())
        assert message["From"] == app.config["MAIL_FROM"]
        assert message["To"] == RECIPIENT
        assert message["Subject"] == row.subject
        assert message["Message-ID"] == row.message_id
        assert parsedate_to_datetime(message["Date"]) == row.created_at.replace(microsecond=0)
        assert "Pat Doe" in message.get_body(("plain",)).get_content()
        assert "<" in message.get_body(("html",)).get_content()
        assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    before = [path.read_bytes() for path in files]
    assert outbox.deliver() == (0, 0)
    assert [path.read_bytes() for path in outbox.eml_files] == before


def test_plain_smtp_delivers_once_with_the_same_message_id(app, outbox, smtp_server):
    inbox = smtp_server()
    use_smtp(app, inbox.port)
    [message_id] = queue(app)
    assert outbox.deliver() == (1, 0)
    assert outbox.deliver() == (0, 0)
    assert inbox.message_ids == [message_id]
    assert inbox.messages[0]["To"] == RECIPIENT
    assert outbox.eml_files == []


def _authenticator(server, session, envelope, mechanism, auth_data):
    good = (auth_data.login, auth_data.password) == (b"relay", b"s3cret pw")
    return AuthResult(success=good, handled=False)  # handled=False: aiosmtpd answers 535


def test_smtp_auth_good_and_bad_password(app, outbox, smtp_server, caplog):
    inbox = smtp_server(authenticator=_authenticator, auth_require_tls=False)
    use_smtp(app, inbox.port, MAIL_USERNAME="relay", MAIL_PASSWORD="wrong")
    queue(app)
    caplog.set_level(logging.DEBUG)
    assert outbox.deliver() == (0, 1)
    [row] = outbox.queued
    assert row.sent_at is None and row.gave_up_at is None and row.claimed_until is None
    assert row.attempts == 1 and row.next_attempt_at > utcnow() and "Authentication" in row.last_error
    assert any("not delivered" in record.getMessage() for record in caplog.records)
    assert not any(RECIPIENT in record.getMessage() for record in caplog.records)
    assert inbox.messages == []

    app.config["MAIL_PASSWORD"] = "s3cret pw"
    assert deliver_at(outbox, row.next_attempt_at + timedelta(seconds=1)) == (1, 0)
    assert inbox.message_ids == [row.message_id]


@pytest.mark.parametrize(("setting", "error"), [
    ({"MAIL_SECURITY": "tls"}, "MAIL_SECURITY must be one of"),  # a typo never means plain text
    ({"MAIL_USERNAME": "relay", "MAIL_PASSWORD": "pässword"}, "UnicodeEncodeError"),
])
def test_bad_mail_settings_leave_the_row_pending(app, outbox, smtp_server, setting, error):
    inbox = smtp_server(authenticator=_authenticator, auth_require_tls=False)
    use_smtp(app, inbox.port, **setting)
    queue(app, count=2)
    assert outbox.deliver() == (0, 2)  # each row fails on its own; the run carries on
    assert all(row.sent_at is None and error in row.last_error for row in outbox.queued)
    assert inbox.messages == []


def test_starttls_verifies_the_server_certificate(app, outbox, smtp_server, certificate):
    cert, context = certificate
    inbox = smtp_server(tls_context=context, require_starttls=True)
    use_smtp(app, inbox.port, MAIL_SECURITY="starttls")
    [message_id] = queue(app)
    assert outbox.deliver() == (0, 1)  # no MAIL_CA_FILE: the self-signed cert is not trusted
    [row] = outbox.queued
    assert "CERTIFICATE_VERIFY_FAILED" in row.last_error and row.sent_at is None
    assert inbox.messages == []

    app.config["MAIL_CA_FILE"] = cert
    assert deliver_at(outbox, row.next_attempt_at) == (1, 0)
    assert inbox.message_ids == [message_id]


def test_implicit_tls(app, outbox, smtp_server, certificate):
    cert, context = certificate
    inbox = smtp_server(ssl_context=context)
    use_smtp(app, inbox.port, MAIL_SECURITY="ssl", MAIL_CA_FILE=cert)
    [message_id] = queue(app)
    assert outbox.deliver() == (1, 0)
    assert inbox.message_ids == [message_id]


def test_server_down_then_up_sends_once(app, outbox, smtp_server):
    port = free_port()
    use_smtp(app, port)
    [message_id] = queue(app)
    assert outbox.deliver() == (0, 1)
    [row] = outbox.queued
    assert row.sent_at is None and row.attempts == 1 and row.next_attempt_at > utcnow()

    inbox = smtp_server(port=port)
    assert outbox.deliver() == (0, 0)  # not due yet: backoff holds
    assert deliver_at(outbox, row.next_attempt_at + timedelta(seconds=1)) == (1, 0)
    assert deliver_at(outbox, row.next_attempt_at + timedelta(hours=1)) == (0, 0)
    assert inbox.message_ids == [message_id]
    [row] = outbox.queued
    assert row.sent_at is not None and row.attempts == 2


def test_backoff_grows_is_capped_and_gives_up(app, outbox):
    assert timedelta(0) < mail.backoff(1) < mail.backoff(2) < mail.backoff(3)
    # The spec: 12 attempts, the wait between them capped at 6 hours.
    assert mail.backoff(12) == mail.MAX_BACKOFF == timedelta(hours=6)
    assert mail.backoff(1000) == timedelta(hours=6)

    use_smtp(app, free_port())  # nothing listens there
    queue(app)
    set_rows(app, attempts=10)
    assert outbox.deliver() == (0, 1)
    [row] = outbox.queued
    assert row.gave_up_at is None
    assert deliver_at(outbox, row.next_attempt_at) == (0, 1)
    [row] = outbox.queued
    assert row.attempts == 12 and row.gave_up_at is not None
    assert deliver_at(outbox, row.next_attempt_at + timedelta(days=30)) == (0, 0)


def test_worker_that_died_after_claiming_is_retried_after_the_claim_lapses(app, outbox):
    [message_id] = queue(app)
    claimed_until = utcnow() + timedelta(minutes=5)  # a claim lasts 5 minutes
    set_rows(app, claimed_until=claimed_until, attempts=1)  # claimed, then the worker died
    assert outbox.deliver() == (0, 0)
    assert deliver_at(outbox, claimed_until - timedelta(seconds=1)) == (0, 0)
    assert outbox.eml_files == []
    assert deliver_at(outbox, claimed_until + timedelta(seconds=1)) == (1, 0)
    [path] = outbox.eml_files
    assert PARSE(path.read_bytes())["Message-ID"] == message_id
    [row] = outbox.queued
    assert row.attempts == 2 and row.sent_at is not None


def test_each_claim_lasts_from_when_it_is_taken(app, outbox, monkeypatch):
    """A slow run must not take claims that have already lapsed, or another worker could send
    the same row while this one is still sending it."""
    queue(app, count=2)
    claim_live, deliver = [], mail._deliver

    def slow_deliver(message, email):
        claim_live.append(email.claimed_until > utcnow())
        clock.tick(timedelta(minutes=10))  # a very slow SMTP server: twice a 5-minute claim
        deliver(message, email)

    monkeypatch.setattr(mail, "_deliver", slow_deliver)
    with freeze_time(utcnow()) as clock:
        assert outbox.deliver() == (2, 0)
    assert claim_live == [True, True]


def test_two_deliverers_racing_send_each_message_once(app, outbox, smtp_server):
    inbox = smtp_server()
    use_smtp(app, inbox.port)
    message_ids = queue(app, count=12)
    start, results, errors = threading.Barrier(2), [], []

    def worker():
        try:
            with app.app_context():
                start.wait(5)
                results.append(mail.deliver_due())
                db.session.remove()
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert sum(sent for sent, _ in results) == 12 and sum(failed for _, failed in results) == 0
    assert sorted(inbox.message_ids) == sorted(message_ids)
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(OutboxEmail.sent_at.is_(None))) == 0


def test_send_mail_command_delivers_pending_mail(app, outbox, runner):
    queue(app, count=2)
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0, result.output
    assert "Sent 2 email(s); 0 will be retried." in result.output
    assert len(outbox.eml_files) == 2
    assert "Sent 0 email(s)" in runner.invoke(args=["send-mail"]).output


def lock_mail_request(client, staff):
    """Nine wrong passwords, then the tenth, which locks sign-in and queues the owner's email.
    Returns the tenth response (its body read and closed, as a server would) and its time."""
    wrong = {"email": staff.email, "password": "wrong password"}
    for _ in range(9):
        post_form(client, "/staff/sign-in", wrong).close()
    started = time.monotonic()
    response = post_form(client, "/staff/sign-in", wrong)
    response.get_data()
    response.close()  # where after-response hooks would run
    return response, time.monotonic() - started


def test_a_request_only_queues_mail(app, client, outbox, make_staff):
    staff = make_staff("nurse")
    response, _ = lock_mail_request(client, staff)
    assert response.status_code == 200
    [row] = outbox.queued
    assert row.recipient == staff.email and row.template == "sign_in_locked"
    assert row.sent_at is None and row.attempts == 0 and row.claimed_until is None
    assert outbox.eml_files == []  # not during, not after the response: the worker sends it
    assert outbox.deliver() == (1, 0)
    [path] = outbox.eml_files
    assert PARSE(path.read_bytes())["Message-ID"] == row.message_id


class SilentServer:
    """A TCP port that accepts connections and never says a word (a hung SMTP server)."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(16)  # the kernel completes the handshakes; nobody ever answers
        self.port = self.socket.getsockname()[1]


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.socket.close()


def test_a_silent_smtp_server_does_not_delay_a_request(app, client, outbox, make_staff,
                                                        silent_server):
    use_smtp(app, silent_server.port, MAIL_TIMEOUT=10)
    staff = make_staff("nurse")
    response, seconds = lock_mail_request(client, staff)
    assert response.status_code == 200
    assert seconds < 2, f"the page took {seconds:.1f} s"
    [row] = outbox.queued
    assert row.attempts == 0 and row.sent_at is None and row.last_error == ""


def test_mail_timeout_bounds_a_silent_smtp_server(app, outbox, silent_server):
    use_smtp(app, silent_server.port, MAIL_TIMEOUT=1)
    queue(app)
    started = time.monotonic()
    assert outbox.deliver() == (0, 1)
    assert time.monotonic() - started < 3
    [row] = outbox.queued
    assert row.sent_at is None and row.attempts == 1 and "timed out" in row.last_error


def test_sent_email_keeps_headers_and_hash_but_not_its_body(app, outbox, smtp_server):
    inbox = smtp_server()
    use_smtp(app, inbox.port)
    [message_id] = queue(app)
    [queued] = outbox.queued
    assert "Pat Doe" in queued.body_text and queued.body_html
    assert queued.template == "sign_in_locked"
    assert queued.body_sha256 == hashlib.sha256(queued.body_text.encode()).hexdigest()
    assert outbox.deliver() == (1, 0)
    [sent] = outbox.queued
    assert (sent.body_text, sent.body_html) == ("", "")
    assert (sent.recipient, sent.subject, sent.message_id, sent.template, sent.body_sha256) == (
        RECIPIENT, queued.subject, message_id, "sign_in_locked", queued.body_sha256)
    assert sent.sent_at is not None
    # What went out is the text the hash was made of (in SMTP's CRLF line ends).
    [message] = inbox.messages
    delivered = message.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert delivered.rstrip("\n") == queued.body_text.rstrip("\n")


def test_failed_email_keeps_its_body_for_the_retry(app, outbox):
    use_smtp(app, free_port())  # nothing listens there
    queue(app)
    assert outbox.deliver() == (0, 1)
    [row] = outbox.queued
    assert "Pat Doe" in row.body_text and row.body_html


def test_eml_files_and_their_folder_are_private(app, outbox):
    old_umask = os.umask(0o022)
    try:
        queue(app, count=2)
        assert outbox.deliver() == (2, 0)
    finally:
        os.umask(old_umask)
    folder = Path(app.instance_path) / "outbox"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert len(outbox.eml_files) == 2
    for path in outbox.eml_files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_send_mail_watch_interval_defaults_to_one_second(runner):
    result = runner.invoke(args=["send-mail", "--help"])
    assert result.exit_code == 0 and "[default: 1.0]" in result.output


@pytest.fixture
def mail_worker(app, database_url, tmp_path):
    """Run the real `portal send-mail --watch` on the test database, writing .eml files into
    the test app's instance folder. Depends on `app`, so it stops before the tables are emptied."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_") and k != "DATABASE_URL"}
    env.update(PORTAL_DATABASE_URL=database_url, PORTAL_INSTANCE_PATH=app.instance_path,
               PORTAL_SECRET_KEY=TEST_SECRET, PORTAL_ENV="development")
    log_path = tmp_path / "mail-worker.log"
    portal = Path(sys.executable).with_name("portal")
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([str(portal), "send-mail", "--watch"], env=env,
                                   stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file)
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for_eml(outbox, count, seconds, worker):
    deadline = time.monotonic() + seconds
    while len(outbox.eml_files) < count and time.monotonic() < deadline:
        assert worker.poll() is None, worker.log_path.read_text(errors="replace")
        time.sleep(0.02)
    return len(outbox.eml_files) >= count


@pytest.mark.slow
def test_mail_worker_sends_new_mail_within_two_seconds(app, outbox, mail_worker):
    # The first email shows the worker is up (starting Python and the app takes a while).
    queue(app)
    assert wait_for_eml(outbox, 1, 60, mail_worker), mail_worker.log_path.read_text(errors="replace")
    for expected in (2, 3):
        [message_id] = queue(app)
        queued_at = time.monotonic()
        assert wait_for_eml(outbox, expected, 2, mail_worker), "not delivered within 2 seconds"
        assert time.monotonic() - queued_at < 2
        assert PARSE(outbox.eml_files[-1].read_bytes())["Message-ID"] == message_id
    assert all(row.sent_at is not None for row in outbox.queued)


class LockProbe(Inbox):
    """Tries to take SQLite's write lock, as a web request would, while a message arrives."""

    def __init__(self, path):
        super().__init__()
        self.path, self.could_write = path, []

    async def handle_DATA(self, server, session, envelope):
        with closing(sqlite3.connect(self.path, timeout=0.2, isolation_level=None)) as probe:
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
            except sqlite3.OperationalError:
                self.could_write.append(False)
            else:
                self.could_write.append(True)
        return await super().handle_DATA(server, session, envelope)


def test_sending_holds_no_database_write_lock(app, outbox, smtp_server):
    """A slow SMTP server must not stall the site: no write transaction is open while sending."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("SQLite's database-wide write lock; PostgreSQL locks rows")
        probe = smtp_server(inbox=LockProbe(db.engine.url.database))
    use_smtp(app, probe.port)
    queue(app)
    assert outbox.deliver() == (1, 0)
    assert probe.could_write == [True]
