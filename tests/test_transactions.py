"""One owner per transaction: services add and flush, the view (or command) that owns the
request commits once; security records are kept at once (database.keep_now); the session
check writes apart from the page."""

from datetime import timedelta

import pytest
from conftest import AuthActions, engine_events
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import (
    AuditEvent,
    AuthSession,
    Invitation,
    OutboxEmail,
    PasswordReset,
    Patient,
    PatientAccount,
    StaffUser,
)
from portal.services import audit, invitations, profile, recovery, staff
from portal.web import login


def count_rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def failing_view(app):
    """failing_view(work) -> URL of a view that runs work(), then fails before committing
    (as a crash would). The route is registered before the app's first request."""
    holder = {}

    @app.route("/test-fails-after-services")
    def fails():
        holder["work"]()
        raise RuntimeError("the page failed after the services ran")

    app.config["PROPAGATE_EXCEPTIONS"] = False

    def set_work(work):
        holder["work"] = work
        return "/test-fails-after-services"

    return set_work


def test_a_view_that_fails_leaves_nothing_of_the_services_it_called(
        app, client, make_staff, make_account, auth, failing_view):
    url = failing_view(lambda: work())
    admin = make_staff("admin")
    nurse = make_staff("nurse", email="nurse@practice.test")
    account = make_account()
    auth.sign_in(admin.email)
    counted = (Invitation, OutboxEmail, PasswordReset, AuditEvent)
    before = {model: count_rows(app, model) for model in counted}

    def work():
        origin = login.origin()
        chart = db.session.get(Patient, account.patient_id)
        chart.email = "someone.new@example.com"
        invitations.void_for_email_change(chart, origin)
        own = db.session.get(PatientAccount, account.id)
        recovery.send_assisted_reset(own, origin)
        profile.change_password(own, "a very different passphrase 42", origin)
        staff.disable_staff(db.session.get(StaffUser, nurse.id), origin)

    assert client.get(url).status_code == 500
    for model in counted:
        assert count_rows(app, model) == before[model], model.__name__
    with app.app_context():
        assert db.session.get(StaffUser, nurse.id).active is True
        assert db.session.get(Patient, account.patient_id).email == "robin.quill@example.com"
        assert db.session.get(PatientAccount, account.id).password_hash == account.password_hash


def commits_during(app, action):
    """How many transactions `action()` commits on the app's database."""
    return len(engine_events(app, "commit", action))


def test_a_patient_sign_in_commits_once(app, client, make_account):
    make_account()
    auth = AuthActions(client)
    client.get("/sign-in")
    assert commits_during(app, lambda: auth.patient_sign_in("robin")) == 1


def test_a_failed_sign_in_is_kept_in_one_commit(app, client, make_account):
    make_account()
    auth = AuthActions(client)
    client.get("/sign-in")
    assert commits_during(
        app, lambda: auth.patient_sign_in("robin", "wrong password, long enough")) == 1


def test_the_session_check_writes_apart_from_the_page(app, client, make_account, clock,
                                                      failing_view):
    url = failing_view(lambda: work())
    account = make_account()
    AuthActions(client).patient_sign_in("robin")
    clock.tick(timedelta(seconds=61))

    def work():
        origin = login.origin()  # asks who is signed in: the session check touches the row
        audit.record("test.page_work", origin, patient_id=account.patient_id)
        db.session.flush()

    assert client.get(url).status_code == 500
    with app.app_context():
        [row] = db.session.scalars(select(AuthSession)).all()
        assert row.last_seen_at == row.created_at + timedelta(seconds=61)
        assert "test.page_work" not in db.session.scalars(select(AuditEvent.action)).all()


@pytest.mark.parametrize("module", ["signin", "twostep", "recovery", "recovery_requests", "reauth",
                                    "ratelimit"])
def test_services_commit_only_through_keep_now(module):
    """The one place a request's service may commit is database.keep_now."""
    from pathlib import Path

    source = (Path(__file__).parent.parent / "portal" / "services" / f"{module}.py").read_text()
    lines = [line for line in source.splitlines() if "session.commit()" in line]
    allowed = {"recovery_requests": 2}  # process_requests: the mail worker's round, one per request
    assert len(lines) == allowed.get(module, 0), lines
