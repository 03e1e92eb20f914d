"""A CSV import of lab results or immunizations for one chart: upload a file, see every row
checked (a preview: "OK" or the problem in words), then publish the whole file, or nothing.

A blueprint nested in the staff one ("staff.record_import.*", URLs under /staff). The rules are
in services/records/csv_import.py: the preview and the final save both read the file in full, so
the text the preview page sends back is trusted no more than the upload was.
"""

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...services.records import csv_import
from ...web import login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .record_import_forms import ConfirmForm, UploadForm
from .records import _posted

import_bp = Blueprint("record_import", __name__)


def _upload_page(patient, form, problem=None):
    """The upload form, with the columns each kind of file has."""
    return render_template("staff/records/import.html", patient=patient, form=form,
                           problem=problem, categories=[csv_import.importable(key) for key
                                                        in csv_import.IMPORTABLE])


def _preview(patient, batch, release):
    """Every row of a read file with its check; the button to save it only when all are fine."""
    confirm = ConfirmForm(formdata=None, category=batch.category.key, release=release,
                          text=batch.text)
    problems = [(f"row-{row.number}", _("Row %(number)d: %(problem)s", number=row.number,
                                         problem=row.problem))
                for row in batch.rows if not row.fine]
    return render_template("staff/records/import_preview.html", patient=patient, batch=batch,
                           problems=problems, form=confirm)


@import_bp.route("/patients/<int:patient_id>/records/import", methods=["GET", "POST"])
@staff_required()
def upload(patient_id):
    """The upload form; a posted file comes back as its preview, every row checked."""
    patient = chart_or_404(patient_id)
    form, problem = UploadForm(), None
    if form.validate_on_submit():
        try:
            batch = csv_import.read(form.category.data, form.upload())
        except csv_import.CsvError as error:
            problem = show_refusal(form, error)
        else:
            return _preview(patient, batch, form.release.data)
    return _upload_page(patient, form, problem)


@import_bp.route("/patients/<int:patient_id>/records/import/publish", methods=["POST"])
@staff_required()
def confirm(patient_id):
    """Save every row of a checked file, read again in full from what the preview sent back;
    a file with any problem comes back as its preview, and nothing is saved."""
    patient = chart_or_404(patient_id)
    form = _posted(ConfirmForm())
    try:
        batch = csv_import.read(form.category.data, form.text.data)
    except csv_import.CsvError as error:
        return _upload_page(patient, UploadForm(formdata=None), error.message)
    if not batch.valid:
        return _preview(patient, batch, form.release.data)
    entries = csv_import.publish_batch(patient, batch, login.origin(),
                                          release=form.releases())
    db.session.commit()
    flash_message("records_imported" if form.releases() else "records_imported_as_drafts",
                  count=len(entries))
    return redirect(url_for("staff.chart_records", patient_id=patient.id))


bp.register_blueprint(import_bp)
