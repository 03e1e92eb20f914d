"""Staff accounts: creating them, their passwords, and disabling or enabling them."""

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..database import lock_for_write
from ..extensions import db
from ..models import StaffUser
from ..models.staff import STAFF_ROLES
from ..models.types import utcnow
from . import audit, codes
from .access import LARGEST_ID
from .mail import send_email
from .passwords import hash_password, password_problem
from .sessions import end_all_sessions
from .signin import find_staff_by_email

# A one-time password handed over in person: 4 groups of 5 characters read aloud or copied
# from the screen without confusion (no 0/o, 1/l/i), about 96 random bits.
ONE_TIME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
ONE_TIME_GROUPS = 4
ONE_TIME_GROUP_SIZE = 5


class StaffAccountError(ValueError):
    """The account cannot be created or changed; the message says why.

    `key` names the flash message (portal/flash_messages.py) a page shows in its place.
    """

    def __init__(self, message, key=None):
        super().__init__(message)
        self.key = key


def _checked_email(email):
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise StaffAccountError(f"Not a usable email address: {error}") from error


def _checked_password(password, staff_email, name):
    problem = password_problem(password, personal_words=[staff_email.split("@")[0], name])
    if problem:
        raise StaffAccountError(str(problem))
    return hash_password(password)


def create_staff_account(email, name, role, password, origin):
    """Add a staff account (the caller commits). Raises StaffAccountError with the reason."""
    email = _checked_email(email)
    name = (name or "").strip()
    if not name:
        raise StaffAccountError("Give the person's name.")
    if role not in STAFF_ROLES:
        raise StaffAccountError(f"The role must be one of: {', '.join(STAFF_ROLES)}.")
    if find_staff_by_email(email) is not None:
        raise StaffAccountError(f"There is already a staff account for {email}.")
    staff = StaffUser(email=email, name=name, role=role,
                      password_hash=_checked_password(password, email, name))
    db.session.add(staff)
    db.session.flush()
    audit.record("staff.created", origin, object_type="staff_user", object_id=staff.id,
                 detail=f"role: {role}")
    return staff


def set_staff_password(email, password, origin):
    """Replace a staff member's password and end all their sessions (the caller commits)."""
    staff = find_staff_by_email(email)
    if staff is None:
        raise StaffAccountError(f"There is no staff account for {email}.")
    staff.password_hash = _checked_password(password, staff.email, staff.name)
    end_all_sessions(staff, "password-reset")
    audit.record("staff.password_reset", origin, object_type="staff_user", object_id=staff.id)
    return staff


def _about(staff):
    return {"object_type": "staff_account", "object_id": staff.id}


def one_time_password(staff):
    """Give the account a new random password to hand over in person; return it (shown once).

    Only its hash is kept. `must_change_password` makes the owner choose their own before any
    other staff page (web/guards.staff_required). The caller ends sessions and commits.
    """
    while True:
        password = codes.grouped(codes.new_code(ONE_TIME_GROUPS * ONE_TIME_GROUP_SIZE,
                                                ONE_TIME_ALPHABET),
                                 size=ONE_TIME_GROUP_SIZE, separator="-")
        if password_problem(password, [staff.email.split("@")[0], staff.name]) is None:
            break
    staff.password_hash = hash_password(password)
    staff.password_changed_at = utcnow()
    staff.must_change_password = True
    return password


def change_own_password(staff, new_password, origin):
    """A staff member replaces their password (the caller checked the current one).

    Every session ends (the caller starts a fresh one for this browser), a notice is emailed,
    and a one-time password from an admin is no longer needed. Raises StaffAccountError.
    """
    staff.password_hash = _checked_password(new_password, staff.email, staff.name)
    staff.password_changed_at = utcnow()
    staff.must_change_password = False
    end_all_sessions(staff, "password-change")
    audit.record("staff.password_changed", origin, actor=staff, **_about(staff))
    send_email(staff.email, _("Your portal password was changed"), "password_changed_by_you",
               name=staff.name)


def staff_by_id(staff_id):
    """The staff account with this id, or None (ids beyond the column's range name none)."""
    if not 0 < staff_id <= LARGEST_ID:
        return None
    return db.session.get(StaffUser, staff_id)


def all_staff():
    """Every staff account, by name: the admin's staff list."""
    return db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()


def find_staff(email):
    """The staff account for `email`, or StaffAccountError (for the command line)."""
    staff = find_staff_by_email(email)
    if staff is None:
        raise StaffAccountError(f"There is no staff account for {email}.")
    return staff


def _active_admins():
    return db.session.scalar(select(func.count(StaffUser.id)).where(
        StaffUser.role == "admin", StaffUser.active.is_(True)))


def disable_staff(staff, origin):
    """Disable a staff account: it cannot sign in, and every session of it ends now.

    `by` is the admin doing it (None: the `portal disable-staff` command). Refused for the
    admin's own account and for the last active admin, so the practice is never left without
    one. Returns False when it was already disabled. The caller commits.
    """
    by = origin.account  # None from the command line
    if by is not None and by.id == staff.id:
        raise StaffAccountError("You cannot disable your own account.", key="staff_disable_self")
    # Under a lock: two admins disabling each other at once cannot both pass the check.
    lock_for_write(db.session, "staff-admins")
    db.session.refresh(staff)
    if not staff.active:
        return False
    if staff.role == "admin" and _active_admins() <= 1:
        raise StaffAccountError(
            f"{staff.email} is the last active practice admin, so it cannot be disabled.",
            key="staff_disable_last_admin")
    staff.active = False
    staff.disabled_at = utcnow()
    end_all_sessions(staff, "disabled")
    audit.record("staff.disabled", origin, **_about(staff),
                 detail=f"{staff.email} disabled" + ("" if by else " from the command line"))
    return True


def enable_staff(staff, origin):
    """Let a disabled staff account sign in again. Returns False when it was not disabled.

    The caller commits.
    """
    if staff.active:
        return False
    staff.active = True
    staff.disabled_at = None
    audit.record("staff.enabled", origin, **_about(staff), detail=f"{staff.email} enabled"
                 + ("" if origin.account else " from the command line"))
    return True
