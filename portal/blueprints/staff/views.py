from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message
from ...models.types import utcnow
from ...services import (
    activation,
    invitations,
    paging,
    permissions,
    profile,
    twostep,
)
from ...services import patients as charts
from ...services.accounts import account_for_patient
from ...services.consents import reports
from ...services.messages import inbox
from ...services.records import categories, shares
from ...web import login, session_data
from ...web.filters import practice_zone
from ...web.guards import chart_or_404, staff_required
from ...web.paging import requested_page
from . import bp
from .consent_forms import AssignFormForm
from .forms import PatientForm, PatientSearchForm, SuspendForm
from .records import chart_record

# The search lives in the server-side session row, not the URL nor the cookie: names and
# birth dates never reach browser history, proxy logs, the access log or the browser.
SEARCH_KEY = "patient_search"


@bp.route("/")
@staff_required()
def home():
    return redirect(url_for("staff.patients"))


@bp.route("/patients", methods=["GET", "POST"])
@staff_required()
def patients():
    """The patient list; POST sets the search, GET shows a page of results."""
    query = session_data.get(SEARCH_KEY, "")
    form = PatientSearchForm(q=query)
    if form.validate_on_submit():
        session_data.put(SEARCH_KEY, form.q.data or None)
        db.session.commit()
        return redirect(url_for("staff.patients"))
    if request.method == "POST":
        return render_template("staff/patients.html", form=form, page=None)
    page = paging.page_of(charts.search_statement(query), requested_page(), charts.PAGE_SIZE,
                          columns=True)
    # Drawn before the view is recorded: on SQLite the audit row holds the write lock until
    # the commit.
    body = render_template("staff/patients.html", form=form, page=page, searching=bool(query),
                           charts=charts.listed_charts(page.items))
    charts.record_list_viewed(page.items, query, page.page, login.origin())
    db.session.commit()
    return body


@bp.route("/patients/clear-search", methods=["POST"])
@staff_required()
def clear_search():
    session_data.pop(SEARCH_KEY)
    db.session.commit()
    flash_message("search_cleared")
    return redirect(url_for("staff.patients"))


@bp.route("/patients/new", methods=["GET", "POST"])
@staff_required()
def new_patient():
    form = PatientForm()
    if form.validate_on_submit():
        patient = charts.create_patient(form.chart_values(), login.origin())
        db.session.commit()
        flash_message("patient_created")
        return redirect(url_for("staff.chart", patient_id=patient.id))
    return render_template("staff/patient_form.html", form=form, patient=None,
                           heading=_("New patient chart"))


@bp.route("/patients/<int:patient_id>")
@staff_required()
def chart(patient_id):
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id)
    consents = reports.chart_consents(patient, practice_zone())
    assign_form = AssignFormForm(formdata=None)
    assign_form.document_id.choices = [(document.id, version.title)
                                       for document, version in consents.forms]
    # Drawn before the view is recorded: a commit first would expire the chart, the practice
    # and the staff member (read again), and on SQLite the audit row would hold the write
    # lock while the page is drawn.
    body = render_template("staff/chart.html", patient=patient, account=account,
                           portal=chart_portal(patient, account, current_user),
                           age=charts.age_on(patient.date_of_birth, utcnow().date()),
                           consents=consents, assign_form=assign_form,
                           conversations=inbox.chart_conversations(patient.id, staff=current_user),
                           undelivered=inbox.undelivered_notices(patient.id),
                           delivery_problem=inbox.delivery_problem,
                           record=chart_record(patient.id),
                           shares=chart_shares(patient.id, current_user))
    charts.record_chart_viewed(patient, login.origin())
    db.session.commit()
    return body


def chart_shares(patient_id, staff):
    """The chart's record shares, and whether this staff member may stop one."""
    return {"shares": shares.chart_shares(patient_id), "state": shares.state,
            "category_keys": shares.category_keys, "categories": categories.CATEGORIES,
            "stop_reasons": page_texts.SHARE_STOP_REASONS,
            "may_stop": permissions.allows(staff, "stop_share")}


def chart_portal(patient, account, staff):
    """What the chart's portal sections show and offer this staff member, each decided by
    its service's rule (the partials only draw it)."""
    access = invitations.portal_access(patient, account)
    letter = access.invitation if access.invitation and access.invitation.kind == "letter" else None
    return {
        "access": access,
        "invite_refusal": invitations.invitation_refusal(patient, account),
        "letter_refusal": activation.letter_refusal(patient, account),
        "letter_printed_by": activation.printed_by(letter) if letter else "",
        "may_suspend": profile.may_suspend(staff),
        "suspend_form": SuspendForm(formdata=None),
        "may_reset_two_step": twostep.may_reset(staff, account),
    }


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit_patient(patient_id):
    patient = chart_or_404(patient_id)
    form = PatientForm(obj=patient, patient_id=patient.id)
    if form.validate_on_submit():
        origin = login.origin()
        changed = charts.update_patient(patient, form.chart_values(), origin)
        if "email" in changed:  # links sent to the old address must stop working
            invitations.void_for_email_change(patient, origin)
        db.session.commit()
        flash_message("patient_updated" if changed else "patient_unchanged")
        return redirect(url_for("staff.chart", patient_id=patient.id))
    if request.method == "GET":
        charts.record_edit_form_viewed(patient, login.origin())
        db.session.commit()
    return render_template("staff/patient_form.html", form=form, patient=patient,
                           heading=_("Edit patient chart"))
