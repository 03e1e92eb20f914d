"""Staff change an appointment the patient already sees (its date, time, provider, reason or
status). services/records/appointments.py holds the rules and tells the patient; the view
parses the form, calls it, commits, flashes and redirects."""

from flask import Blueprint, abort, g, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SubmitField

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...services.records import appointments, categories
from ...web import login
from ...web.guards import staff_required
from . import bp
from .record_forms import RecordForm, record_form_class
from .records import _entry_or_404

changes_bp = Blueprint("appointment_changes", __name__)


def change_form_class():
    """The appointment's own form (built per request), with one button: save the change."""
    category = categories.CATEGORIES[appointments.APPOINTMENT]
    base = record_form_class(category)
    fields = {item.name: getattr(base, item.name) for item in category.fields}
    return type("AppointmentChangeForm", (RecordForm,),
                {**fields, "category": category, "publish": None, "draft": None,
                 "save": SubmitField(_l("Save the change"))})


def stored_as_typed(category, facts):
    """The stored facts as staff type them: dates as the record shows them (MM/DD/YYYY)."""
    typed = dict(facts or {})
    for item in category.fields:
        if item.kind == "date":
            typed[item.name] = categories.fact_text(item, typed.get(item.name))
    return typed


@changes_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/change",
                  methods=["GET", "POST"])
@staff_required()
def change(patient_id, entry_id):
    """The appointment's form, filled in with what is stored; saving tells the patient."""
    patient, entry = _entry_or_404(patient_id, entry_id)
    if not appointments.may_change(current_user, entry, g.practice):
        abort(404)
    form_class = change_form_class()
    form, problem = form_class(data=stored_as_typed(form_class.category, entry.facts)), None
    if form.validate_on_submit():
        try:
            changed = appointments.change(entry, form.values(), login.origin())
        except categories.RecordError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("appointment_changed" if changed else "appointment_unchanged")
            return redirect(url_for("staff.records.entry", patient_id=patient.id,
                                    entry_id=entry.id))
    return render_template("staff/records/change_appointment.html", patient=patient, entry=entry,
                           form=form, problem=problem)


bp.register_blueprint(changes_bp)
