"""The `portal` commands: setup, create-staff, reset-staff-password, demo."""

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Conversation,
    Document,
    Message,
    MessageAttachment,
    MessageTopic,
    Patient,
    Signature,
    StaffUser,
)
from portal.services.consents import reports
from portal.services.demo import DEMO_ADMIN_EMAIL, DEMO_PATIENTS

GOOD_PASSWORD = "juniper kettle lantern 77"


@pytest.mark.no_defaults
def test_setup_migrates_then_adds_the_defaults_once(runner, app, client):
    """A new practice: `portal setup` makes the portal consent, the health history form and
    the topics; run again (after an upgrade), it makes nothing more. No page makes them."""
    assert client.get("/policy").status_code == 503  # nothing to show before setup
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    first = runner.invoke(args=["setup"])
    assert first.exit_code == 0, first.output
    assert first.output.strip().endswith(  # after Alembic's own lines
        "Added the default consent and health history form and the default message topics.")
    with app.app_context():
        documents = db.session.scalars(select(Document.kind).order_by(Document.id)).all()
        topics = db.session.scalar(select(func.count()).select_from(MessageTopic))
    assert documents == ["consent", "form"] and topics > 0
    again = runner.invoke(args=["setup"])
    assert again.exit_code == 0 and again.output.strip().endswith("The database is up to date.")
    assert "Added" not in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Document)) == 2
        assert db.session.scalar(select(func.count()).select_from(MessageTopic)) == topics
    assert client.get("/policy").status_code == 200


@pytest.mark.no_defaults  # counts every row it makes
def test_create_staff_reads_the_password_from_stdin(runner, app, client):
    result = runner.invoke(args=["create-staff", "Nurse.Jo@Practice.example", "--name", "Jo Rivera",
                                 "--role", "nurse"], input=GOOD_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created Nurse account for nurse.jo@practice.example" in result.output
    with app.app_context():
        staff = db.session.scalar(select(StaffUser))
        assert staff.role == "nurse" and staff.password_hash.startswith("$argon2id$")
        assert db.session.scalar(select(AuditEvent.action)) == "staff.created"
    from conftest import post_form

    response = post_form(client, "/staff/sign-in", {"email": "nurse.jo@practice.example",
                                                     "password": GOOD_PASSWORD})
    assert response.status_code == 302


def test_create_staff_reads_the_password_from_the_environment(runner, app, monkeypatch):
    monkeypatch.setenv("PORTAL_NEW_PASSWORD", GOOD_PASSWORD)
    result = runner.invoke(args=["create-staff", "desk@practice.example", "--name", "Sam Lee",
                                 "--role", "front_desk"])
    assert result.exit_code == 0, result.output


def test_create_staff_refuses_weak_passwords_duplicates_and_bad_roles(runner, app):
    def create(email, password, role="admin"):
        return runner.invoke(args=["create-staff", email, "--name", "Pat Doe", "--role", role],
                             input=password + "\n")

    assert "at least 15 characters" in create("a@practice.example", "short").output
    assert "most common passwords" in create("a@practice.example", "passwordpassword").output
    assert "too close to your name" in create("patdoe@practice.example", "patdoe-patdoe123").output
    assert create("a@practice.example", GOOD_PASSWORD).exit_code == 0
    assert "already a staff account" in create("A@practice.example", GOOD_PASSWORD).output
    assert create("b@practice.example", GOOD_PASSWORD, role="superuser").exit_code != 0
    assert "Not a usable email address" in create("not-an-email", GOOD_PASSWORD).output
    with app.app_context():
        assert db.session.scalar(select(func.count(StaffUser.id))) == 1


def test_demo_loads_once_and_prints_a_generated_password(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    password = first.output.split("password: ")[1].split()[0]
    assert len(password) >= 15
    second = runner.invoke(args=["demo"])
    assert "password: " not in second.output and "already exists" in second.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == len(DEMO_PATIENTS)
        assert db.session.scalar(select(func.count(StaffUser.id))) == 1
        # The demo patient signed the portal consent, with its sealed PDF.
        [signature] = db.session.scalars(select(Signature)).all()
        assert signature.kind == "consent" and signature.signer_name == "Avery Lindqvist"
        assert reports.signature_pdf(signature.id).startswith(b"%PDF-")
        # ...and has one answered conversation: a refill request and the practice's reply.
        [conversation] = db.session.scalars(select(Conversation)).all()
        assert (conversation.subject, conversation.status) == ("Refill for my inhaler", "waiting")
        assert db.session.scalar(select(func.count(Message.id))) == 2
    # A third run on another machine's demo prints a different password: none is fixed in code.
    with app.app_context():
        for table in (MessageAttachment, Message, Conversation, StaffUser):
            db.session.execute(table.__table__.delete())
        db.session.commit()
    third = runner.invoke(args=["demo"])
    assert third.output.split("password: ")[1].split()[0] != password
    assert DEMO_ADMIN_EMAIL in third.output


def test_send_mail_with_nothing_queued(runner):
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0 and "Sent 0 email(s)" in result.output
