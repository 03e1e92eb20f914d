"""Recovering access: password reset by emailed link + security question, and the
staff-assisted reset for a patient who forgot the answer too. The forgot-username and
forgot-password pages leave requests that services/recovery_requests acts on.

A reset link carries a signed token naming a PasswordReset row, that row's random nonce and a
short fingerprint of the account's password hash. The link works only while the row is open
(not used, not void, not expired) and the password is unchanged, so it dies once used, once a
newer link is sent, or once the password changes another way.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..database import keep_now, lock_for_write
from ..extensions import db
from ..models import PasswordReset, Patient, PatientAccount
from ..models.types import utcnow
from . import audit
from .accounts import answer_matches, hash_answer
from .mail import send_email
from .passwords import hash_password
from .records import shares as record_shares
from .sessions import end_all_sessions
from .tokens import check_token, external_url, make_token

RESET_LIFETIME = timedelta(minutes=30)
MAX_WRONG_ANSWERS = 5
RESET_LOCK = timedelta(hours=1)
# Wrong answers over all links before only the practice can reopen self-service reset.
MAX_WRONG_ANSWERS_TOTAL = 20


def password_fingerprint(password_hash):
    """A short SHA-256 fingerprint of the password hash: a token carrying it dies once the
    password changes."""
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def _open_resets(account_id):
    return (PasswordReset.account_id == account_id, PasswordReset.used_at.is_(None),
            PasswordReset.voided_at.is_(None))


def issue_reset_link(account, assisted_by=None, address=None):
    """Void the account's open resets, add a new one, email its link and return the reset.

    `assisted_by`: the staff member who sent it (a staff-assisted reset, which skips the
    security question). `address`: where to send it, if not the account's own email. The
    caller audits and commits.
    """
    now = utcnow()
    db.session.execute(update(PasswordReset).where(*_open_resets(account.id)).values(voided_at=now))
    reset = PasswordReset(account_id=account.id, nonce=secrets.token_urlsafe(24),
                          expires_at=now + RESET_LIFETIME,
                          assisted_by_id=assisted_by.id if assisted_by else None)
    db.session.add(reset)
    db.session.flush()
    token = make_token("reset", {"r": reset.id, "n": reset.nonce,
                                 "p": password_fingerprint(account.password_hash)})
    send_email(address or account.email, _("Reset your portal password"), "password_reset",
               name=account.name, link=external_url("/reset?t=" + token),
               minutes=int(RESET_LIFETIME.total_seconds() // 60), assisted=assisted_by is not None)
    return reset


def assisted_reset_address(account):
    """Where a staff-assisted reset link goes: the account's email, or for an account set up
    by activation letter without one, the chart's (the practice's record, which staff can
    update while the patient is on the phone). "" when neither has one."""
    if account.email:
        return account.email
    return db.session.scalar(select(Patient.email).where(Patient.id == account.patient_id)) or ""


def send_assisted_reset(account, origin):
    """Staff, after checking the patient's identity by phone, send a reset link that skips the
    security question and asks for a new one. Lifts a reset lock. Returns False when the
    account is suspended or there is no address to send to (nothing sent). `origin.account`
    is the staff member."""
    staff = origin.account
    address = assisted_reset_address(account)
    if not account.is_active or not address:
        return False
    lock_for_write(db.session, f"reset:{account.id}")
    account.reset_locked_until = None
    reset = issue_reset_link(account, assisted_by=staff, address=address)
    audit.record("recovery.assisted_reset_sent", origin, patient_id=account.patient_id,
                 object_type="password_reset", object_id=reset.id,
                 detail=f"sent by {staff.name} after an identity check by phone")
    return True


@dataclass
class ResetLink:
    """What a reset token came to: the open reset and its account, or a problem.

    problem: None, "missing", "invalid", "expired", "used" (used, replaced, or the password
    changed since), "locked" (too many wrong answers on this link, or the account is
    suspended) or "closed" (20 wrong answers in all: only the practice can reopen it).
    """

    problem: str | None = None
    reset: PasswordReset | None = None
    account: PatientAccount | None = None

    @property
    def assisted(self):
        return self.reset is not None and self.reset.assisted_by_id is not None


def check_reset_token(token):
    """Resolve a reset token to its open reset, or say why it cannot be used."""
    if not token:
        return ResetLink("missing")
    expired, invalid, data = check_token("reset", token, RESET_LIFETIME)
    if invalid or not isinstance(data, dict):
        return ResetLink("invalid")
    if expired:
        return ResetLink("expired")
    reset = db.session.get(PasswordReset, data.get("r")) if isinstance(data.get("r"), int) else None
    if reset is None or not hmac.compare_digest(reset.nonce, str(data.get("n", ""))):
        return ResetLink("invalid")
    account = db.session.get(PatientAccount, reset.account_id)
    now = utcnow()
    if reset.used_at or reset.voided_at:
        return ResetLink("used")
    if reset.expires_at <= now:
        return ResetLink("expired")
    if not hmac.compare_digest(password_fingerprint(account.password_hash), str(data.get("p", ""))):
        return ResetLink("used")
    if reset.assisted_by_id is None and account.self_reset_closed_at is not None:
        return ResetLink("closed", reset, account)
    locked = account.reset_locked_until is not None and account.reset_locked_until > now
    if not account.is_active or (locked and reset.assisted_by_id is None):
        return ResetLink("locked", reset, account)
    return ResetLink(None, reset, account)


def record_link_opened(link, origin):
    """Audit the opening of a valid reset link."""
    audit.record("recovery.reset_link_opened", origin, actor=link.account,
                 patient_id=link.account.patient_id, object_type="password_reset",
                 object_id=link.reset.id)


def _check_under_lock(token):
    """check_reset_token, then again under the account's reset lock with fresh rows, so two
    requests on one link act one after the other (the second sees what the first did)."""
    link = check_reset_token(token)
    if link.problem:
        return link
    lock_for_write(db.session, f"reset:{link.account.id}")
    db.session.refresh(link.reset)
    db.session.refresh(link.account)
    link = check_reset_token(token)
    if link.problem:
        db.session.rollback()
    return link


def check_answer(token, answer, origin):
    """Check the security answer for the reset behind `token`.

    Returns the ResetLink re-read under the write lock: problem None and reset.answered_at
    set when right; problem None and answered_at unset when wrong; "locked" when this wrong
    answer was the fifth on the link (void, reset locked for an hour); "closed" when it was
    the twentieth in all (self-service reset closed until the practice reopens it).
    A wrong answer is kept at once (database.keep_now); after a right one the caller commits.
    """
    link = _check_under_lock(token)
    if link.problem:
        return link
    reset, account = link.reset, link.account
    about = {"actor": account, "patient_id": account.patient_id,
             "object_type": "password_reset", "object_id": reset.id}
    if answer_matches(account, answer):
        reset.answered_at = utcnow()
        account.wrong_answers_total = 0
    else:
        link = _count_wrong_answer(link, origin, about)
        keep_now(db.session)  # a wrong answer stays counted, whatever happens next
    return link


def _count_wrong_answer(link, origin, about):
    reset, account, now = link.reset, link.account, utcnow()
    reset.wrong_answers += 1
    account.wrong_answers_total += 1
    audit.record("recovery.answer_failed", origin, detail=f"wrong answer {reset.wrong_answers}",
                 **about)
    if account.wrong_answers_total >= MAX_WRONG_ANSWERS_TOTAL:
        reset.voided_at = now
        account.self_reset_closed_at = now
        audit.record("recovery.self_reset_closed", origin, detail="20 wrong answers in all: only the "
                     "practice can reopen self-service reset", **about)
        return ResetLink("closed", reset, account)
    if reset.wrong_answers >= MAX_WRONG_ANSWERS:
        reset.voided_at = now
        account.reset_locked_until = now + RESET_LOCK
        audit.record("recovery.reset_locked", origin, detail="5 wrong answers: link void, reset "
                     "locked for an hour", **about)
        return ResetLink("locked", reset, account)
    return link


def reopen_self_reset(account, origin):
    """The practice reopens self-service reset after checking who the patient is (audited).

    Returns False when it was not closed.
    """
    if account.self_reset_closed_at is None:
        return False
    account.self_reset_closed_at = None
    account.wrong_answers_total = 0
    account.reset_locked_until = None
    audit.record("recovery.self_reset_reopened", origin, patient_id=account.patient_id,
                 object_type="patient_account", object_id=account.id,
                 detail=f"reopened by {origin.account.name}")
    return True


def complete_reset(token, password, origin, question=None, answer=None):
    """Set the new password (and, for an assisted reset, the new security question), close
    the reset, end every session of the account and queue a notice. Returns the ResetLink
    (problem set when the link stopped working meanwhile: nothing is changed then)."""
    link = _check_under_lock(token)
    if link.problem:
        return link
    if not link.assisted and link.reset.answered_at is None:
        db.session.rollback()  # the security question comes first, whatever the view did
        return ResetLink("invalid")
    reset, account, now = link.reset, link.account, utcnow()
    account.password_hash = hash_password(password)
    account.password_changed_at = now
    detail = "password set after the security question"
    if link.assisted:
        account.security_question = question
        account.security_answer_hash = hash_answer(answer)
        detail = "password and security question set (staff-assisted reset)"
    reset.used_at = now
    end_all_sessions(account, "password-reset")
    record_shares.stop_all(account.patient_id, "password-reset", origin)
    send_email(account.email, _("Your portal password was changed"), "password_changed",
               name=account.name, sign_in_url=external_url("/sign-in"))
    audit.record("recovery.password_reset", origin, actor=account, patient_id=account.patient_id,
                 object_type="password_reset", object_id=reset.id, detail=detail)
    return link
