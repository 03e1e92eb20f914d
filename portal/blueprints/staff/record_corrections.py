"""Staff record the outcome of a patient's correction request, from the entry's staff page
(its "Correction requests" section). services/records/corrections.py holds the rules and posts
the outcome in the conversation; the view parses the form, calls it, commits, flashes and
redirects, or shows the entry page again with the refused form."""

from flask import Blueprint, abort, redirect, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...services.errors import FieldError
from ...services.records import corrections
from ...web import login
from ...web.guards import staff_required
from . import bp
from .record_correction_forms import OutcomeForm
from .records import _entry_or_404, show

corrections_bp = Blueprint("record_corrections", __name__)


@corrections_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/corrections/"
                      "<int:correction_id>", methods=["POST"])
@staff_required()
def decide(patient_id, entry_id, correction_id):
    """Record a request's outcome (corrected, or not changed with an explanation); the patient
    is told in the conversation."""
    patient, entry = _entry_or_404(patient_id, entry_id)
    correction = corrections.entry_request(entry, correction_id) or abort(404)
    form = OutcomeForm(correction.id)
    if not form.validate_on_submit():
        abort(400)
    try:
        corrections.decide(current_user, correction, entry, form.outcome.data,
                                  form.explanation.data, login.origin())
    except FieldError as error:
        db.session.rollback()
        return show(patient, entry, problem=show_refusal(form, error), correction_form=form)
    db.session.commit()
    flash_message("correction_decided")
    return redirect(url_for("staff.records.entry", patient_id=patient.id, entry_id=entry.id,
                            _anchor="corrections"))


bp.register_blueprint(corrections_bp)
