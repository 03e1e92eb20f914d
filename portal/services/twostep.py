"""Two-step sign-in: codes from an authenticator app (TOTP, RFC 6238) and recovery codes.

An account has two-step sign-in on when `totp_enabled_at` is set. While it is being set up,
`totp_secret` already holds the new secret (created by a POST, never by a page view) and
`totp_enabled_at` is still empty. Codes are single use: the newest time step used is kept in
`totp_last_step`, and only later steps are accepted (one step either side of now, for clocks
that drift). Wrong codes count as sign-in failures in services/throttle, and toward the total
cap in services/twostep_lock. Recovery codes are made and used up in
services/twostep_recovery_codes.
"""

import base64
import hmac
import io
from dataclasses import dataclass

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _

from ..database import keep_now, lock_for_write
from ..extensions import db
from ..models.types import utcnow
from . import (
    audit,
    codes,
    notices,
    permissions,
    secretbox,
    throttle,
    twostep_lock,
    twostep_recovery_codes,
)
from .mail import send_email
from .passwords import void_hash
from .records import shares as record_shares
from .recovery import issue_reset_link
from .sessions import end_all_sessions
from .signin import AddressBlocked, notify_lock
from .staff import one_time_password

ISSUER = "Patient Portal"
STEP_SECONDS = 30
DRIFT_STEPS = 1


def is_enabled(account):
    """True when the account has two-step sign-in on."""
    return account.totp_enabled_at is not None and bool(account.totp_secret)


def required(account):
    """True when this account may not sign in without two-step (staff, unless switched off)."""
    return account.kind == "staff" and current_app.config.get("TWO_STEP_REQUIRED_FOR_STAFF", True)


def second_step(account):
    """What a sign-in with the right password still needs: "code", "setup" or None.

    For "setup" the account gets a fresh secret to scan now (this runs on the sign-in POST).
    """
    if is_enabled(account):
        return "code"
    if required(account):
        start_setup(account)
        return "setup"
    return None


# -- setting up -------------------------------------------------------------------------

def start_setup(account):
    """Give the account a fresh secret to scan (two-step stays off until a code confirms it)."""
    account.totp_secret = secretbox.encrypt(pyotp.random_base32(32))  # encrypted at rest
    account.totp_enabled_at = None
    account.totp_last_step = None


def grouped_secret(account):
    """The secret as people type it into an older phone: groups of four letters."""
    return codes.grouped(secretbox.decrypt(account.totp_secret) or "")


def qr_data_uri(account):
    """The otpauth:// link as a QR code: an SVG image in a data: URI (CSP allows img data:)."""
    label = getattr(account, "email", None) or account.username
    uri = pyotp.TOTP(secretbox.decrypt(account.totp_secret)).provisioning_uri(name=label, issuer_name=ISSUER)
    # A whole SVG file (svg_inline would drop the namespace an <img> needs), black on
    # white with the four-module quiet zone that scanners expect.
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", xmldecl=False, scale=5, border=4,
                                    dark="#000", light="#fff")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.getvalue()).decode()


def enable(account, code, origin):
    """Confirm setup with a code from the app. Returns the ten recovery codes, or None."""
    if is_enabled(account) or not account.totp_secret or not _accept_totp(account, code):
        return None
    account.totp_enabled_at = utcnow()
    recovery_codes = twostep_recovery_codes.new_recovery_codes(account)
    audit.record("twostep.enabled", origin, actor=account, **audit.about_account(account))
    notices.account_changed(account, "two_step_on")
    return recovery_codes


def disable(account, origin):
    """Turn two-step off (the caller has checked the password)."""
    _clear(account)
    audit.record("twostep.disabled", origin, actor=account, **audit.about_account(account))
    notices.account_changed(account, "two_step_off")


def may_reset(staff, account):
    """True when `staff` may clear `account`'s two-step sign-in: practice admins, and only
    when it is on."""
    return (permissions.allows(staff, "reset_two_step") and account is not None
            and is_enabled(account))


@dataclass
class AdminReset:
    """What an admin's reset did: the staff member's one-time password (shown once to the
    admin, never stored in clear), or, for a patient, whether the reset link was emailed."""

    one_time_password: str | None = None
    link_sent: bool = False


def reset_by_admin(account, origin):
    """An admin clears a person's two-step (lost phone): they set it up again at next sign-in.

    Clearing two-step alone would leave the account open to whoever knows the password, so
    the password goes too. A patient's is voided and the staff-assisted reset link is emailed
    (unless portal access is paused). A staff member gets a one-time password, returned here
    for the admin to hand over in person; they must replace it at their next sign-in. Every
    session ends, and the owner is emailed either way. Returns an AdminReset.
    """
    admin = origin.account
    permissions.require_origin(origin, "reset_two_step" if account.kind == "patient"
                               else "administer")
    lock_for_write(db.session, f"twostep:{account.kind}:{account.id}")
    _clear(account)
    end_all_sessions(account, "two-step reset")
    if account.kind == "patient":
        record_shares.stop_all(account.patient_id, "two-step-reset", origin)
    outcome = AdminReset()
    if account.kind == "staff":
        outcome.one_time_password = one_time_password(account)
        done = "one-time password given"
    else:
        account.password_hash = void_hash()
        account.password_changed_at = utcnow()
        outcome.link_sent = account.is_active
        if outcome.link_sent:
            issue_reset_link(account, assisted_by=admin)
        done = "password voided, " + ("reset link sent" if outcome.link_sent
                                      else "no reset link (portal access paused)")
    send_email(account.email, _("Two-step sign-in for your portal account was reset"),
               "two_step_reset_by_practice", name=account.name, staff=account.kind == "staff",
               link_sent=outcome.link_sent)
    audit.record("twostep.reset_by_admin", origin, **audit.about_account(account),
                 detail=f"reset by {admin.email} for {getattr(account, 'email', '')}: {done}")
    return outcome


def _clear(account):
    twostep_lock.clear(account)
    account.totp_secret = None
    account.totp_enabled_at = None
    account.totp_last_step = None
    twostep_recovery_codes.void_unused(account)


# -- app codes --------------------------------------------------------------------------

def _digits(code):
    return "".join(ch for ch in (code or "") if not ch.isspace())


def _accept_totp(account, code):
    """True for a right, not yet used code for now or one step either side; remembers it.

    Taken under a per-account write lock, so one code cannot be used by two requests at once.
    """
    code = _digits(code)
    if not (len(code) == 6 and code.isdigit() and account.totp_secret):
        return False
    lock_for_write(db.session, f"twostep:{account.kind}:{account.id}")
    db.session.refresh(account, ["totp_last_step"])
    secret = secretbox.decrypt(account.totp_secret)
    if not secret:  # no key opens it: fail closed (logged by secretbox)
        return False
    if secretbox.is_plain(account.totp_secret):  # written before encryption: encrypt it now
        account.totp_secret = secretbox.encrypt(secret)
    totp = pyotp.TOTP(secret, interval=STEP_SECONDS)
    now_step = int(utcnow().timestamp()) // STEP_SECONDS
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if account.totp_last_step is not None and step <= account.totp_last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            account.totp_last_step = step
            return True
    return False


# -- the sign-in step -------------------------------------------------------------------

def _second_key(account):
    # Counted apart from the password failures: a right password clears those, and must
    # not give someone who knows it ten fresh guesses at the code each time.
    return f"twostep-{account.kind}:{account.id}"


def sign_in_code(account, code, origin):
    """Check the second step of a sign-in. Returns (accepted, recovery codes left or None).

    A recovery code works once in place of an app code. Ten wrong codes within 15 minutes
    pause the second step for 15 minutes (throttle's numbers); each one is on the person's
    sign-in activity, and counts for the address too. The 50th wrong code within 24 hours
    locks the second step (services/twostep_lock): that one and every code after it raise
    TwoStepLocked, right or wrong, until the owner or the practice unlocks it.
    """
    if throttle.address_blocked(origin.ip):
        raise AddressBlocked
    second = _second_key(account)
    if twostep_lock.is_locked(account):
        audit.record(f"{account.kind}.sign_in_refused_locked", origin, **audit.about_account(account),
                     detail="two-step locked")
        keep_now(db.session)
        raise twostep_lock.TwoStepLocked
    if throttle.locked_until(second):
        audit.record(f"{account.kind}.sign_in_refused_locked", origin, **audit.about_account(account),
                     detail="two-step code")
        keep_now(db.session)
        return False, None
    if _accept_totp(account, code):
        throttle.clear_failures(second)
        audit.record("twostep.verified", origin, actor=account, **audit.about_account(account))
        return True, None
    if twostep_recovery_codes.use_recovery_code(account, code):
        throttle.clear_failures(second)
        left = twostep_recovery_codes.recovery_codes_left(account)
        audit.record("twostep.recovery_code_used", origin, actor=account, **audit.about_account(account),
                     detail=f"{left} left")
        return True, left
    if _record_code_failure(account, second, origin):
        raise twostep_lock.TwoStepLocked
    return False, None


def _record_code_failure(account, second, origin):
    """Count a wrong code; the failure that starts a pause also tells the owner (daily). True
    when it reached the total cap and locked the second step."""
    lock_for_write(db.session, second)
    db.session.refresh(account, ["twostep_wrong_codes", "twostep_wrong_since",
                                 "twostep_locked_at"])
    about = audit.about_account(account)
    audit.record("twostep.code_failed", origin, **about)
    locked = twostep_lock.count_wrong_code(account, origin)
    if throttle.record_failure(second, origin.ip) and not locked:
        audit.record(f"{account.kind}.sign_in_locked", origin, **about,
                     detail="two-step code")
        notify_lock(account)
    keep_now(db.session)
    return locked
