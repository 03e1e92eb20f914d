"""A patient's own account settings: password, security question, email, notices, activity.

Every change that matters for sign-in asks for the current password in the same form
(SECURITY.md A6, C5, D7), is audited, and tells the patient by email where it should.
The caller commits, except where a refusal must be recorded on its own.
"""

import hashlib
from datetime import timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from .. import page_texts
from ..extensions import db
from ..models import AuditEvent, AuthSession
from ..models.types import utcnow
from . import audit, notices, patient_notices, permissions
from .accounts import hash_answer
from .mail import send_email
from .passwords import hash_password
from .records import shares as record_shares
from .sessions import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT, end_all_sessions
from .tokens import check_token, external_url, make_token

EMAIL_CHANGE_MAX_AGE = timedelta(hours=24)
ACTIVITY_SESSIONS = 20
ACTIVITY_FAILURES = 10
FAILED_SIGN_IN_ACTIONS = ("patient.sign_in_failed", "patient.sign_in_refused_locked",
                          "twostep.code_failed", "patient.reauth_failed")
NOTIFY_FIELDS = ("notify_messages", "notify_results", "notify_appointments", "notify_forms")


def _about(account):
    return {"patient_id": account.patient_id, "object_type": "patient_account",
            "object_id": account.id}


def change_password(account, new_password, origin):
    """Set a new password, end every session of the account and send a notice.

    The caller starts a fresh session for the browser that made the change.
    """
    account.password_hash = hash_password(new_password)
    account.password_changed_at = utcnow()
    end_all_sessions(account, "password-change")
    audit.record("patient.password_changed", origin, actor=account, **_about(account))
    send_email(account.email, _("Your portal password was changed"), "password_changed_by_you",
               name=account.name)


def change_security_question(account, question, answer, origin):
    """Replace the security question and its answer (only the answer's hash is kept)."""
    account.security_question = question
    account.security_answer_hash = hash_answer(answer)
    audit.record("patient.security_question_changed", origin, actor=account, **_about(account))
    notices.account_changed(account, "security_question")


def request_email_change(account, new_email, origin):
    """Email a confirmation link to the new address and a notice to the old one.

    Nothing changes until the link is opened and confirmed by the signed-in account. The
    token names the old address too, so it stops working once the email has changed.
    """
    new_email = new_email.strip().lower()
    token = make_token("email-change", {"a": account.id, "e": new_email, "o": account.email})
    link = external_url("/profile/email/confirm?t=" + token)
    send_email(new_email, _("Confirm your new email address for the portal"),
               "email_change_confirm", name=account.name, link=link,
               hours=int(EMAIL_CHANGE_MAX_AGE.total_seconds() // 3600))
    send_email(account.email, _("A change to your portal email address was requested"),
               "email_changed_notice", name=account.name, stage="requested")
    audit.record("patient.email_change_requested", origin, actor=account, **_about(account))


def check_email_change(account, token):
    """Return (problem, new_email): problem is None or one of no_link, expired, invalid,
    other_account, used."""
    if not token:
        return "no_link", None
    expired, invalid, data = check_token("email-change", token, EMAIL_CHANGE_MAX_AGE)
    if invalid or not isinstance(data, dict):
        return "invalid", None
    if expired:
        return "expired", None
    if data.get("a") != account.id:
        return "other_account", None
    if account.email != data.get("o") or account.email == data.get("e"):
        return "used", None
    return None, data["e"]


def refuse_email_change(account, problem, origin):
    """Record a confirmation link that could not be used (why, never the token)."""
    audit.record("patient.email_change_link_refused", origin, actor=account, detail=problem,
                 **_about(account))


def apply_email_change(account, new_email, origin):
    """Make `new_email` the account's address and tell the old address.

    The chart's email (the practice's record) stays as it is.
    """
    old_email = account.email
    account.email = new_email
    audit.record("patient.email_changed", origin, actor=account, **_about(account))
    send_email(old_email, _("Your portal email address was changed"), "email_changed_notice",
               name=account.name, stage="changed")


def save_preferences(account, choices, origin):
    """Store the notice choices ({field: True/False}); audit the names of changed fields."""
    changed = [name for name in NOTIFY_FIELDS if getattr(account, name) != choices[name]]
    for name in changed:
        setattr(account, name, choices[name])
    patient_notices.setting_saved(account)
    if changed:
        audit.record("patient.preferences_changed", origin, actor=account, detail=", ".join(changed),
                     **_about(account))
    return bool(changed)


def sign_out_everywhere(account, origin):
    """End every session of the account, this browser's too (the caller clears the cookie)."""
    end_all_sessions(account, "sign-out-all")
    audit.record("patient.signed_out_everywhere", origin, actor=account, **_about(account))
    record_shares.stop_all(account.patient_id, "sign-out-all", origin)


def failed_sign_in_actions(kind):
    """FAILED_SIGN_IN_ACTIONS for a patient or staff account ("patient.x" read as "staff.x")."""
    return tuple(action.replace("patient.", f"{kind}.", 1) for action in FAILED_SIGN_IN_ACTIONS)


def recent_activity(account, current_token):
    """The account's (patient or staff) latest sessions and failed sign-ins: two queries.

    Returns (sessions, failures); each session is a dict ready for the page.
    """
    rows = db.session.scalars(
        select(AuthSession)
        .where(AuthSession.account_kind == account.kind, AuthSession.account_id == account.id)
        .order_by(AuthSession.created_at.desc(), AuthSession.id.desc())
        .limit(ACTIVITY_SESSIONS)
    ).all()
    failures = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.object_type == f"{account.kind}_account",
               AuditEvent.object_id == str(account.id),
               AuditEvent.action.in_(failed_sign_in_actions(account.kind)))
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(ACTIVITY_FAILURES)
    ).all()
    this_hash = hashlib.sha256(current_token.encode()).hexdigest() if current_token else ""
    return [_describe_session(row, this_hash) for row in rows], failures


def _describe_session(row, this_hash):
    now = utcnow()
    active = (row.ended_at is None and now - row.last_seen_at <= IDLE_TIMEOUT
              and now - row.created_at <= ABSOLUTE_TIMEOUT)
    if active:
        ended = ""
    elif row.ended_at is None:
        ended = page_texts.SESSION_END_REASONS["timeout"]
    else:
        ended = page_texts.SESSION_END_REASONS.get(row.end_reason, _l("Ended"))
    return {"started": row.created_at, "last_seen": row.last_seen_at, "ip": row.ip,
            "browser": describe_browser(row.user_agent), "active": active, "ended": ended,
            # sessions.py stores the SHA-256 of the cookie's token, never the token
            "this_browser": row.token_hash == this_hash}


BROWSERS = (("Edg/", "Edge"), ("Edge/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"),
            ("FxiOS/", "Firefox"), ("CriOS/", "Chrome"), ("Chrome/", "Chrome"),
            ("Trident/", "Internet Explorer"), ("MSIE ", "Internet Explorer"),
            ("Safari/", "Safari"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
           ("Windows", "Windows"), ("Mac OS X", "Mac"), ("CrOS", "Chromebook"),
           ("Linux", "Linux"))


def describe_browser(user_agent):
    """'Chrome on Windows' from a User-Agent string; 'Unknown browser' when it says nothing."""
    user_agent = user_agent or ""
    browser = next((name for marker, name in BROWSERS if marker in user_agent), None)
    system = next((name for marker, name in SYSTEMS if marker in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s", browser=browser, system=system)
    return browser or system or _("Unknown browser")


# -- practice control: staff pause and restore a patient's portal access --

# Who may suspend or reinstate is the role table's "suspend" (services/permissions.py; by
# default admins, providers and nurses); the others see the status only.
def may_suspend(staff):
    """True when this staff member may pause or restore portal access."""
    return permissions.allows(staff, "suspend")


def suspend_account(account, reason, origin):
    """Pause portal access: every session ends now, the patient is told to call.

    The reason stays on the account (staff read it on the chart); the audit row says only
    "suspended", as the reason may hold health details. Returns False if already suspended.
    Raises permissions.Refused for a role that may not suspend.
    """
    permissions.require_origin(origin, "suspend")
    if account.status == "suspended":
        return False
    account.status = "suspended"
    account.suspended_reason = reason.strip()
    account.suspended_at = utcnow()
    end_all_sessions(account, "suspended")
    audit.record("patient.portal_suspended", origin, detail="suspended", **_about(account))
    record_shares.stop_all(account.patient_id, "suspended", origin)
    send_email(account.email, _("Your portal access is paused"), "portal_suspended",
               name=account.name)
    return True


def reinstate_account(account, origin):
    """Restore portal access. Returns False if the account was not suspended. Raises
    permissions.Refused for a role that may not reinstate."""
    permissions.require_origin(origin, "suspend")
    if account.status != "suspended":
        return False
    account.status = "active"
    account.suspended_reason = ""
    account.suspended_at = None
    audit.record("patient.portal_reinstated", origin, detail="reinstated", **_about(account))
    return True
