"""Who may see what. Every route that shows patient data asks here, never on its own."""

from functools import wraps

from flask import abort, redirect, request, url_for
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import Patient

LARGEST_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL

# The one staff page open to someone who must replace a one-time password from an admin.
PASSWORD_CHANGE_ENDPOINT = "staff.account_password"  # noqa: S105 - an endpoint name


def staff_required(*roles):
    """Decorator: a signed-in staff member (with one of `roles`, when given), else 403.

    Visitors who are not signed in are sent to sign in first. A staff member signed in with
    a one-time password from an admin (must_change_password) is sent to choose their own
    password before any other staff page.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if getattr(current_user, "must_change_password", False) \
                    and request.endpoint != PASSWORD_CHANGE_ENDPOINT:
                return redirect(url_for(PASSWORD_CHANGE_ENDPOINT))
            if current_user.kind != "staff" or (roles and current_user.role not in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def patient_required(view):
    """Decorator: a signed-in patient account, else sign in first (staff get 403)."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.kind != "patient":
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def chart_for_staff(patient_id):
    """The patient chart a staff member asked for, or 404. Every staff role may see charts."""
    if getattr(current_user, "kind", None) != "staff":
        abort(404)
    # An id beyond the column's range names no chart (and must not reach the database).
    if not 0 < patient_id <= LARGEST_ID:
        abort(404)
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    return patient
