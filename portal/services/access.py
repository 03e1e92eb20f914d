"""Who may see what. Every route that shows patient data asks here, never on its own."""

from functools import wraps

from flask import abort
from flask_login import current_user

from ..extensions import db, login_manager
from ..models import Patient


def staff_required(*roles):
    """Decorator: a signed-in staff member (with one of `roles`, when given), else 403.

    Visitors who are not signed in are sent to sign in first.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
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
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    return patient
