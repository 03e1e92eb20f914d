"""Signing in, for staff and patients alike: credentials, throttling, audit, lock notices."""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from ..database import keep_now, lock_for_write
from ..extensions import db
from ..models import PatientAccount, StaffUser
from ..models.types import utcnow
from . import audit, devices, throttle
from .mail import send_email
from .passwords import verify_password


class AddressBlocked(Exception):
    """Too many failures from this network address; answer 429."""


@dataclass
class SignInResult:
    """What a sign-in attempt came to: an account to sign in, a suspended one, or neither."""

    account: object = None
    suspended: bool = False


def find_staff_by_email(email):
    """The staff account with this email address (any case), or None."""
    return db.session.scalar(
        select(StaffUser).where(StaffUser.email == (email or "").strip().lower())
    )


def find_patient_account(name):
    """The account with this username, or the only account with this email address."""
    name = (name or "").strip().casefold()
    if not name:
        return None
    matches = db.session.scalars(
        select(PatientAccount).where(
            or_(PatientAccount.username == name, func.lower(PatientAccount.email) == name)
        ).limit(2)
    ).all()
    by_username = [account for account in matches if account.username == name]
    if by_username:
        return by_username[0]
    return matches[0] if len(matches) == 1 else None


FINDERS = {"staff": find_staff_by_email, "patient": find_patient_account}


def throttle_key(kind, account, name):
    """Failures count against the account when the name finds one (whichever name was
    typed: username or email), else against the name itself."""
    if account is not None:
        return throttle.account_failure_key(account)
    return f"{kind}-name:{throttle.account_key(name)}"


def authenticate(kind, name, password, origin, device_cookie=None):
    """Check a sign-in for a staff member ("staff") or a patient ("patient").

    Unknown name, wrong password, disabled account and paused sign-in all take the same
    path and the same time (one argon2 verify), so the answer reveals nothing. A suspended
    patient who gives the right password is told so (they must call the practice).
    A browser holding a device cookie for the account counts its failures on its own, so a
    pause caused by strangers does not lock the owner out (services/devices.py).
    `origin` is the visitor's (audit.Origin). Raises AddressBlocked when this address is
    being refused altogether.
    """
    if throttle.address_blocked(origin.ip):
        audit.record(f"{kind}.sign_in_blocked_address", origin,
                     detail="too many failures from address")
        keep_now(db.session)
        raise AddressBlocked
    account = FINDERS[kind](name)
    nonce = devices.nonce_for(device_cookie, account)
    key = devices.failure_key(nonce) if nonce else throttle_key(kind, account, name)
    locked = throttle.locked_until(key) is not None
    matches, new_hash = verify_password(account.password_hash if account else None, password)
    if matches and not locked:
        if new_hash:
            account.password_hash = new_hash
        if kind == "patient" and account.status == "suspended":
            audit.record("patient.sign_in_suspended", origin, actor=account,
                         patient_id=account.patient_id)
            keep_now(db.session)
            return SignInResult(suspended=True)
        if account.is_active:
            throttle.clear_failures(key)
            account.last_sign_in_at = utcnow()
            audit.record(f"{kind}.sign_in", origin, actor=account, patient_id=_patient_id(account),
                         detail="known browser" if nonce else "")
            return SignInResult(account=account)
    _record_refusal(kind, name, origin, account, key, locked)
    return SignInResult()


def signed_in_by_enrollment(account, origin):
    """A patient who just finished enrollment is signed in as a right password would sign
    them in: the `patient.sign_in` audit row and the last sign-in time (the caller starts the
    session, which rotates the session id, and commits)."""
    account.last_sign_in_at = utcnow()
    audit.record("patient.sign_in", origin, actor=account, patient_id=account.patient_id,
                 detail="enrollment finished")


def _patient_id(account):
    return getattr(account, "patient_id", None)


def _record_refusal(kind, name, origin, account, key, locked):
    """Count and record a refused sign-in; tell the owner when this failure starts a lock.

    The lock state is read again under a per-key write lock: concurrent failures for one
    account are counted one at a time, so exactly one of them starts the lock. A typed name
    that matches no account is never stored: people type passwords into the name box.
    """
    about = {
        "object_type": f"{kind}_account" if account else "",
        "object_id": account.id if account else "",
        "patient_id": _patient_id(account),
        "detail": "name: " + (name or "").strip()[:254] if account else "unknown name",
    }
    lock_for_write(db.session, key)
    if locked or throttle.locked_until(key) is not None:
        audit.record(f"{kind}.sign_in_refused_locked", origin, **about)
    elif throttle.record_failure(key, origin.ip):
        audit.record(f"{kind}.sign_in_failed", origin, **about)
        audit.record(f"{kind}.sign_in_locked", origin, **about)
        if account is not None:
            notify_lock(account)
    else:
        audit.record(f"{kind}.sign_in_failed", origin, **about)
    keep_now(db.session)


# The owner hears about a pause at most once in this time, however often it starts.
LOCK_NOTICE_INTERVAL = timedelta(days=1)


def notify_lock(account):
    """Email the owner that sign-in was paused, unless they were told within the last day."""
    now = utcnow()
    if account.lock_notice_at is not None and now - account.lock_notice_at < LOCK_NOTICE_INTERVAL:
        return False
    account.lock_notice_at = now
    send_email(account.email, _("Sign-in to your portal account was paused"),
               "sign_in_locked", name=account.name, tries=throttle.ACCOUNT_LIMIT,
               minutes=throttle.WINDOW // timedelta(minutes=1))
    return True
