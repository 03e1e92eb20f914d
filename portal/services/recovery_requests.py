"""The requests the forgot-username and forgot-password pages leave, and the mail worker's
round that acts on them (services/worker.py).

The pages only leave a row, so they answer the same for every name and take the same time;
the worker looks the name up, and emails the username or a reset link
(services/recovery.issue_reset_link) when the rules allow.
"""

from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..database import lock_for_write
from ..extensions import db
from ..models import PasswordReset, PatientAccount, RecoveryRequest
from ..models.types import utcnow
from . import audit
from .mail import send_email
from .recovery import issue_reset_link
from .signin import find_patient_account
from .tokens import external_url

RESETS_PER_HOUR = 3


def request_username(email, date_of_birth, origin):
    """Leave a forgot-username request for the mail worker (see RecoveryRequest)."""
    _leave_request("username", email, origin, date_of_birth)


def request_reset(name, origin):
    """Leave a forgot-password request for the mail worker (see RecoveryRequest).

    The page then answers the same for every name: it has done the same work, one insert.
    """
    _leave_request("password", name, origin)


def _leave_request(kind, name, origin, date_of_birth=None):
    db.session.add(RecoveryRequest(kind=kind, name=(name or "").strip()[:254],
                                   date_of_birth=date_of_birth, ip=origin.ip or "",
                                   user_agent=(origin.user_agent or "")[:200]))


def process_requests(limit=100):
    """The mail worker's round: act on waiting recovery requests, oldest first.

    Each request is taken by deleting its row, in the transaction that acts on it: one worker
    handles it, and a failure rolls the row back for the next round. Returns how many. Like a
    command, the worker's round owns its transactions: one per request.
    """
    ids = db.session.scalars(select(RecoveryRequest.id).order_by(RecoveryRequest.id)
                             .limit(limit)).all()
    db.session.commit()
    handled = 0
    for request_id in ids:
        row = db.session.get(RecoveryRequest, request_id)
        if row is None:
            continue
        kind, name, born = row.kind, row.name, row.date_of_birth
        origin = audit.Origin(None, row.ip, row.user_agent)  # the visitor who asked
        taken = db.session.execute(
            delete(RecoveryRequest).where(RecoveryRequest.id == request_id)).rowcount
        if taken != 1:
            db.session.rollback()
            continue
        if kind == "username":
            _send_username(name, born, origin)
        else:
            _send_reset(name, origin)
        db.session.commit()
        handled += 1
    return handled


def _send_username(email, date_of_birth, origin):
    """Email the username to an active account whose email and patient's birth date match."""
    email = email.lower()
    candidates = db.session.scalars(
        select(PatientAccount).where(func.lower(PatientAccount.email) == email,
                                     PatientAccount.status == "active")
    ).all()
    matched = [account for account in candidates
               if account.date_of_birth == date_of_birth]
    for account in matched:
        send_email(account.email, _("Your portal username"), "forgot_username",
                   name=account.name, username=account.username,
                   sign_in_url=external_url("/sign-in"))
        audit.record("recovery.username_requested", origin, actor=account,
                     patient_id=account.patient_id,
                     object_type="patient_account", object_id=account.id,
                     detail="username emailed")
    if not matched:
        audit.record("recovery.username_requested", origin,
                     detail="no matching account, nothing sent")


def _send_reset(name, origin):
    """Email a reset link to the account named by username or email, when allowed.

    Unknown names, suspended accounts and accounts over the hourly limit get no link. An
    account whose self-service reset is closed is told to call the practice. Never locks.
    """
    account = find_patient_account(name)
    if account is None:
        audit.record("recovery.reset_requested", origin,
                     detail="no matching account, nothing sent")
        return
    about = {"actor": account, "patient_id": account.patient_id,
             "object_type": "patient_account", "object_id": account.id}
    lock_for_write(db.session, f"reset:{account.id}")
    recent = db.session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.account_id == account.id, PasswordReset.assisted_by_id.is_(None),
            PasswordReset.created_at > utcnow() - timedelta(hours=1)))
    if not account.is_active:
        audit.record("recovery.reset_requested", origin, detail="account suspended, nothing sent",
                     **about)
    elif not account.email:  # set up by activation letter without one: the page says to call
        audit.record("recovery.reset_requested", origin, detail="no email address on the account, "
                     "nothing sent", **about)
    elif recent >= RESETS_PER_HOUR:
        audit.record("recovery.reset_requested", origin, detail="hourly limit reached, nothing sent",
                     **about)
    elif account.self_reset_closed_at is not None:
        send_email(account.email, _("Call the practice to reset your portal password"),
                   "reset_closed", name=account.name)
        audit.record("recovery.reset_requested", origin, detail="self-service reset closed: told to "
                     "call the practice", **about)
    else:
        reset = issue_reset_link(account)
        audit.record("recovery.reset_requested", origin, detail=f"link sent (reset {reset.id})",
                     **about)


