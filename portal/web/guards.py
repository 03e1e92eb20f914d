"""Route guards: who may open a page, in the web layer (the rules are in services/access.py).

Visitors who are not signed in are sent to sign in; signed-in people without the right get
403; a chart that is not theirs to see is 404, the same as one that does not exist.
"""

from functools import wraps

from flask import abort, g, redirect, request, session, url_for
from flask_login import current_user

from ..extensions import db, login_manager
from ..flash_messages import flash_message
from ..services import access, audit, clock, permissions
from ..services.consents import gate
from ..services.messages import inbox
from ..services.proxies import acting, viewing
from . import login

# The one staff page open to someone who must replace a one-time password from an admin.
PASSWORD_CHANGE_ENDPOINT = "staff.account_password"  # noqa: S105 - an endpoint name
# Patient pages open to a patient who still owes a required consent.
CONSENT_GATE_OPEN = {"consents.sign", "consents.signed_pdf", "patient.switch"}
# Pages about the signed-in account itself, not a chart: open to an account that reaches no
# chart today (a guardian whose every grant ended), with g.patient None.
ACCOUNT_BLUEPRINTS = ("profile", "twostep")
NO_CHART_ENDPOINT = "patient.no_chart"
# The chart this browser chose with the switcher (web/switcher.py); the account's own, else.
ACTING_KEY = "acting_for"


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

    Whose record: the chart chosen among those the account may open this request (its own,
    and its current grants'); none left, only the account's own pages are open. A part of
    the portal the grant does not open (a representative's permissions) is a 403, audited.

    The consent gate: a patient (or a guardian for a child) who owes a required consent is
    sent to sign it first, from every patient page but the signing page and their signed
    copies. Signing out and the public help pages are not patient pages, so they stay open.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not access.is_patient(current_user):
            abort(403)
        facts = g.account_facts  # read with the session (web/login.py)
        _choose_chart(facts)
        if g.chart is None:
            if request.blueprint in ACCOUNT_BLUEPRINTS or request.endpoint == NO_CHART_ENDPOINT:
                g.unread_messages = 0
                return view(*args, **kwargs)
            return redirect(url_for(NO_CHART_ENDPOINT))
        if not g.reader.may_use(request.blueprint):
            refused(request.endpoint)
        if g.chart.own:
            may_owe, g.unread_messages = facts.may_owe_consent, facts.unread_messages
        else:  # another's chart: its own facts (the session's are about the account's chart)
            # A guardian signs a minor's required consents; a representative never owes them.
            may_owe = not g.reader.representative
            g.unread_messages = inbox.unread_count(g.patient.id, g.reader)
        return (may_owe and _consent_gate()) or view(*args, **kwargs)

    return wrapped


def _consent_gate():
    """The redirect to the first required consent the chart owes, or None (none owed, or a
    page open while one is owed)."""
    if request.endpoint in CONSENT_GATE_OPEN:
        return None
    due = gate.consent_due(g.patient)
    if due is None:
        return None
    document, version = due
    flash_message("consent_needed", title=version.title)
    return redirect(url_for("consents.sign", document_id=document.id, required=1))


def _choose_chart(facts):
    """Whose record this page is about: every patient page and download reads g.patient
    (None when the account opens no chart today), g.chart and g.reader; g.charts lists every
    chart the account may open, for the switcher."""
    g.charts = acting.charts_for(current_user, clock.today(practice=g.practice),
                                 facts.acts_for_others)
    g.chart = acting.chosen(g.charts, session.get(ACTING_KEY))
    g.patient = g.chart.patient if g.chart else None
    g.reader = viewing.reader_of(g.chart)


def own_chart_required(view):
    """Decorator: patient_required, for a page about the account's own record only (sharing
    it with others, its access history): someone acting for another patient gets 403."""

    @wraps(view)
    def own_only(*args, **kwargs):
        if g.chart is None or not g.chart.own:
            refused(request.endpoint)
        return view(*args, **kwargs)

    return patient_required(own_only)


def refused(endpoint):
    """403 for a part of the portal the grant does not open (a view-only representative
    writing a message, say) or a page of the patient's own, on the audit trail first."""
    audit.record("proxy.refused", login.origin(), patient_id=g.patient.id if g.patient else None,
                 object_type="proxy_grant" if g.chart and g.chart.grant else "",
                 object_id=g.chart.grant.id if g.chart and g.chart.grant else "",
                 detail=f"{request.method} {endpoint}")
    db.session.commit()
    abort(403)


def chart_or_404(patient_id):
    """The chart the signed-in staff member asked for, else 404."""
    patient = access.chart_for_staff(current_user, patient_id)
    if patient is None:
        abort(404)
    return patient
