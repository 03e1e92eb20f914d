"""Staff sign-in: credentials, throttling, the session, the audit trail and the lock notice."""

from flask_babel import gettext as _
from sqlalchemy import select

from ..database import lock_for_write
from ..extensions import db
from ..models import StaffUser
from ..models.types import utcnow
from . import audit, throttle
from .mail import send_email
from .passwords import verify_password


class AddressBlocked(Exception):
    """Too many failures from this network address; answer 429."""


def find_staff_by_email(email):
    return db.session.scalar(
        select(StaffUser).where(StaffUser.email == (email or "").strip().lower())
    )


def authenticate_staff(email, password, ip):
    """Return the staff member when the credentials are good and sign-in is allowed, else None.

    Unknown email, wrong password, disabled account and paused sign-in all take the same
    path and the same time (one argon2 verify), so the answer reveals nothing.
    Raises AddressBlocked when this address is being refused altogether.
    """
    if throttle.address_blocked(ip):
        audit.record("staff.sign_in_blocked_address", detail="too many failures from address")
        db.session.commit()
        raise AddressBlocked
    staff = find_staff_by_email(email)
    locked = throttle.locked_until(email) is not None
    matches, new_hash = verify_password(staff.password_hash if staff else None, password)
    if matches and staff.active and not locked:
        throttle.clear_failures(email)
        if new_hash:
            staff.password_hash = new_hash
        staff.last_sign_in_at = utcnow()
        audit.record("staff.sign_in", actor=staff)
        return staff
    _record_refusal(email, ip, staff, locked)
    return None


def _record_refusal(email, ip, staff, locked):
    """Count and record a refused sign-in; email the owner when this failure starts a lock.

    The lock state is read again under a per-name write lock: concurrent failures for one
    name are counted one at a time, so exactly one of them starts the lock.
    """
    about = {
        "object_type": "staff_user" if staff else "",
        "object_id": staff.id if staff else "",
        "detail": "name: " + (email or "").strip()[:254],
    }
    lock_for_write(db.session, throttle.account_key(email))
    if locked or throttle.locked_until(email) is not None:
        audit.record("staff.sign_in_refused_locked", **about)
    elif throttle.record_failure(email, ip):
        audit.record("staff.sign_in_failed", **about)
        audit.record("staff.sign_in_locked", **about)
        if staff is not None:
            send_email(staff.email, _("Sign-in to your portal account was paused"),
                       "sign_in_locked", name=staff.name)
    else:
        audit.record("staff.sign_in_failed", **about)
    db.session.commit()
