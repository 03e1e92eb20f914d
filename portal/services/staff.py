"""Staff accounts: creating them and setting their passwords."""

from email_validator import EmailNotValidError, validate_email

from ..extensions import db
from ..models import StaffUser
from ..models.staff import STAFF_ROLES
from . import audit
from .passwords import hash_password, password_problem
from .sessions import end_all_sessions
from .signin import find_staff_by_email


class StaffAccountError(ValueError):
    """The account cannot be created or changed; the message says why."""


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


def create_staff_account(email, name, role, password):
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
    audit.record("staff.created", object_type="staff_user", object_id=staff.id,
                 detail=f"role: {role}")
    return staff


def set_staff_password(email, password):
    """Replace a staff member's password and end all their sessions (the caller commits)."""
    staff = find_staff_by_email(email)
    if staff is None:
        raise StaffAccountError(f"There is no staff account for {email}.")
    staff.password_hash = _checked_password(password, staff.email, staff.name)
    end_all_sessions(staff, "password-reset")
    audit.record("staff.password_reset", object_type="staff_user", object_id=staff.id)
    return staff
