from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...flash_messages import flash_message
from ...services import invitations, paging
from ...services import patients as charts
from ...web import login, session_data
from ...web.guards import chart_or_404, staff_required
from ...web.paging import requested_page
from . import bp
from .forms import PatientForm, PatientSearchForm

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
