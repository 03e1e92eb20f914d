"""Route guards: who may open a page, in the web layer (the rules are in services/access.py).

Visitors who are not signed in are sent to sign in; signed-in people without the right get
403; a chart that is not theirs to see is 404, the same as one that does not exist.
"""

from functools import wraps

from flask import abort, g, redirect, request, url_for
from flask_login import current_user

from ..extensions import login_manager
from ..flash_messages import flash_message
from ..services import access, permissions
from ..services.consents import gate

# The one staff page open to someone who must replace a one-time password from an admin.
PASSWORD_CHANGE_ENDPOINT = "staff.account_password"  # noqa: S105 - an endpoint name
# Patient pages open to a patient who still owes a required consent.
CONSENT_GATE_OPEN = {"consents.sign", "consents.signed_pdf"}


def staff_required(*roles):
    """Decorator: a signed-in staff member whose role may do what the endpoint does, else 403.

    What the endpoint does is declared once, in services/permissions.ROUTES (with the
    practice's own changes to the table); an endpoint declared nowhere is refused. `roles`,
    when given, narrow it further. A staff member signed in with a one-time password from an
    admin (must_change_password) is sent to choose their own password before any other staff
    page.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if getattr(current_user, "must_change_password", False) \
                    and request.endpoint != PASSWORD_CHANGE_ENDPOINT:
                return redirect(url_for(PASSWORD_CHANGE_ENDPOINT))
            if not access.is_staff(current_user, roles):
                abort(403)
            action = permissions.route_action(request.endpoint)
            if action is None:
                raise permissions.Refused("undeclared route")
            if action not in (permissions.ANY_STAFF, permissions.IN_SERVICE):
                permissions.require(current_user, action, g.practice)
            return view(*args, **kwargs)

        wrapped.staff_guard = True  # tests/test_permissions.py finds every guarded view
        return wrapped

    return decorate


def patient_required(view):
    """Decorator: a signed-in patient account, else sign in first (staff get 403).

    The consent gate: a patient who owes a required consent is sent to sign it first, from
    every patient page but the signing page and their signed copies. Signing out and the
    public help pages are not patient pages, so they stay open.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not access.is_patient(current_user):
            abort(403)
        # Whose record this page is about: every patient page and download reads it here.
        # Today it is always the signed-in patient; proxy access will set it from a switcher.
        g.patient = current_user.patient
        facts = g.account_facts  # read with the session (web/login.py)
        if request.endpoint not in CONSENT_GATE_OPEN and facts.may_owe_consent:
            due = gate.consent_due(g.patient)
            if due is not None:
                document, version = due
                flash_message("consent_needed", title=version.title)
                return redirect(url_for("consents.sign", document_id=document.id, required=1))
        # The navigation's "Messages (N)": replies the patient has not opened yet.
        g.unread_messages = facts.unread_messages
        return view(*args, **kwargs)

    return wrapped


def chart_or_404(patient_id):
    """The chart the signed-in staff member asked for, else 404."""
    patient = access.chart_for_staff(current_user, patient_id)
    if patient is None:
        abort(404)
    return patient
