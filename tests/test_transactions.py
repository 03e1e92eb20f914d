"""One owner per transaction: services add and flush, the view (or command) that owns the
request commits once; security records are kept at once (database.keep_now); the session
check writes apart from the page."""

import ast
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import AuthActions, engine_events
from helpers import count
from sqlalchemy import select

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
    before = {model: count(app, model) for model in counted}

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
        assert count(app, model) == before[model], model.__name__
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


# -- commits inside services: only the places listed here -----------------------------------

SERVICES = Path(__file__).parent.parent / "portal" / "services"

# Every place in portal/services that may end a transaction, and why: {(function, call): how
# many}. Keyed by function rather than module, so the list stays true when a module moves
# into a package (services/consents/, services/messages/, services/records/).
MAY_COMMIT = {
    # database.keep_now: a security record (a failed check, a rate-limit count, the pause
    # they start) must survive whatever the request does next.
    ("authenticate", "keep_now"): 2,         # signin: a refused sign-in, a paused account
    ("_record_refusal", "keep_now"): 1,      # signin: the refusal's audit row
    ("sign_in_code", "keep_now"): 2,         # twostep: a wrong code, the lock it starts
    ("_record_code_failure", "keep_now"): 1,  # twostep
    ("check_answer", "keep_now"): 1,         # recovery: a wrong security answer
    ("confirm_password", "keep_now"): 2,     # reauth: a wrong current password
    ("hit", "keep_now"): 2,                  # ratelimit: a counted or refused use
    ("count", "keep_now"): 1,                # ratelimit
    # Jobs own one transaction per item, as a command does.
    ("process_requests", "commit"): 2,       # recovery: the mail worker's requests round
    ("_claim", "commit"): 1,                 # mail: the worker claims a message to send
    ("deliver_due", "commit"): 3,            # mail: the worker's delivery round
    ("send_renewal_reminders", "commit"): 2,  # consents: one reminder per transaction
    ("send_results_notices", "commit"): 2,   # patient notices: one account per transaction
    ("send_appointment_reminders", "commit"): 1,  # patient notices: the read ends first
    ("_remind", "commit"): 1,                # patient notices: one reminder per transaction
    ("send_ending_notices", "commit"): 1,    # proxies: guardians told 30 days before 18
    ("_representatives_ending", "commit"): 1,  # proxies: patients told of a last day
    ("reencrypt_all", "commit"): 2,          # secretbox: key rotation, one row at a time
    ("forget_expired", "commit"): 1,         # kept_drafts: the worker deletes day-old drafts
    # The session check writes on a connection of its own, never in the page's transaction.
    ("_write_apart", "begin"): 1,            # sessions
}
ENDS_A_TRANSACTION = ("commit", "keep_now", "begin")


def commits_in(root):
    """{(module, function, call): how many} for every commit(), keep_now() and begin() call in
    the .py files under `root`, at any depth."""
    found = Counter()
    for path in sorted(root.rglob("*.py")):
        module = ".".join(path.relative_to(root).with_suffix("").parts)
        _find_commits(ast.parse(path.read_text()), module, "<module>", found)
    return found


def _find_commits(node, module, function, found):
    for child in ast.iter_child_nodes(node):
        inside = function
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            inside = child.name if function == "<module>" else f"{function}.{child.name}"
        if isinstance(child, ast.Call):
            called = getattr(child.func, "attr", getattr(child.func, "id", None))
            if called in ENDS_A_TRANSACTION:
                found[(module, inside, called)] += 1
        _find_commits(child, module, inside, found)


def unexpected_commits(found, allowed=MAY_COMMIT):
    """What `found` holds beyond the allow-list, and the allowed places it no longer holds as
    listed (a count changed, or the function is gone): both must be looked at."""
    per_place = Counter()
    for (_module, function, called), times in found.items():
        per_place[(function, called)] += times
    extra = sorted(f"{module}.{function}: {called}() x{times}"
                   for (module, function, called), times in found.items()
                   if allowed.get((function, called)) != per_place[(function, called)])
    gone = sorted(f"{function}: {called}() x{times} listed, not found"
                  for (function, called), times in allowed.items()
                  if per_place[(function, called)] != times)
    return extra + gone


def test_services_commit_only_where_the_allow_list_says():
    """Services add and flush; the view or command that owns the request commits. The only
    exceptions are MAY_COMMIT's, in every module under portal/services."""
    assert unexpected_commits(commits_in(SERVICES)) == []


def _write_services(root, files):
    for name, source in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return root


@pytest.mark.parametrize("source, reported", [
    ("def save(db):\n    db.session.commit()\n", "consents.forms.save: commit() x1"),
    ("from ..database import keep_now\n\ndef save(db):\n    keep_now(db.session)\n",
     "consents.forms.save: keep_now() x1"),
    ("def save(db):\n    with db.engine.begin() as connection:\n        pass\n",
     "consents.forms.save: begin() x1"),
    ("def hit(db):\n    keep_now(db.session)\n", "consents.forms.hit: keep_now() x1"),
], ids=["commit", "keep_now", "engine.begin", "allowed-function-too-often"])
def test_the_commit_scan_finds_a_commit_in_a_package_module(tmp_path, source, reported):
    """A synthetic service tree: a commit deep in a package, not on the list, is reported; so
    is an allowed function that commits more often than listed (here `hit`, listed twice,
    found once more in a second module)."""
    root = _write_services(tmp_path / "services", {
        "consents/__init__.py": "", "consents/forms.py": source,
        "ratelimit.py": "def hit(db):\n    keep_now(db.session)\n    keep_now(db.session)\n"})
    problems = unexpected_commits(commits_in(root), {("hit", "keep_now"): 2})
    assert reported in problems


def test_the_commit_scan_reports_an_allowed_place_that_is_gone(tmp_path):
    root = _write_services(tmp_path / "services", {"mail.py": "def deliver_due(db):\n    pass\n"})
    assert unexpected_commits(commits_in(root), {("deliver_due", "commit"): 3}) == [
        "deliver_due: commit() x3 listed, not found"]


def test_the_commit_scan_passes_a_tree_that_keeps_to_the_list(tmp_path):
    root = _write_services(tmp_path / "services", {
        "records/entries.py": "def publish(db):\n    db.session.flush()\n",
        "mail.py": "def deliver_due(db):\n    db.session.commit()\n"})
    assert unexpected_commits(commits_in(root), {("deliver_due", "commit"): 1}) == []
