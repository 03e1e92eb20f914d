"""Health records on the staff side: publish an entry of any category to a chart (now, or as a
draft), read one with its status in words, release, retract or hold it for review, download a
document's file, and the practice's list of held results.

A blueprint nested in the staff one ("staff.records.*", URLs under /staff). Every rule is in
services/records/entries.py (services/records/staff.py reads names and files for these pages); a view
parses its form, calls one service function, commits, flashes and redirects.
"""

import logging

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...models.types import utcnow
from ...services import clock, permissions
from ...services.records import appointments, categories, entries, panels, staff
from ...services.uploads import EXTENSIONS
from ...web import downloads, login
from ...web.filters import local_time
from ...web.guards import chart_or_404, staff_required
from . import bp
from .record_correction_forms import correction_panel
from .record_forms import HoldForm, ReleaseForm, record_form_class
from .record_panel_forms import MORE_ROWS, PanelForm

log = logging.getLogger("portal")
records_bp = Blueprint("records", __name__)
STATUS_WORDS = {"draft": _l("Draft"), "released": _l("Released"), "held": _l("Held for review"),
                "retracted": _l("Retracted (entered in error)")}


def _entry_or_404(patient_id, entry_id):
    """(patient, entry) of a chart this staff member may see; another chart's entry is 404."""
    patient = chart_or_404(patient_id)
    return patient, entries.staff_entry(patient.id, entry_id) or abort(404)


def _to_entry(entry):
    return redirect(url_for(".entry", patient_id=entry.patient_id, entry_id=entry.id))


def _posted(form):
    """The form's CSRF token checked (CSRFProtect refuses first; this is the form's own check)."""
    if not form.validate_on_submit():
        abort(400)
    return form


def held_words(entry, now):
    """How long a result has been held, for people: "held 3 days"."""
    return ngettext("held %(num)d day", "held %(num)d days", staff.hold_days(entry, now))


def status_words(entry, names, now):
    """The entry's status as a sentence: who released or held it, and when."""
    if entry.status == "released":
        return _("Released on %(date)s by %(name)s",
                 date=local_time(entry.released_at, "%m/%d/%Y"),
                 name=names.get(entry.released_by_id, _("a former staff member")))
    if entry.status == "held":
        return _("Held for review since %(date)s by %(name)s (%(age)s)",
                 date=local_time(entry.held_at, "%m/%d/%Y"),
                 name=names.get(entry.held_by_id, _("a former staff member")),
                 age=held_words(entry, now))
    return str(STATUS_WORDS.get(entry.status, entry.status))


def chart_record(patient_id):
    """What the chart's "Health record" section shows (staff/records/_chart.html), with the
    kinds of record this staff member's role may publish."""
    return {"entries": entries.chart_entries(patient_id),
            "kinds": {key: str(category.label) for key, category in categories.CATEGORIES.items()},
            "statuses": {status: str(words) for status, words in STATUS_WORDS.items()},
            "publishable": permissions.publishable(current_user)}


# --- Publishing -----------------------------------------------------------------------------

@records_bp.route("/patients/<int:patient_id>/records/new", methods=["GET", "POST"])
@staff_required()
def new(patient_id):
    """Without ?category, the kinds of record to choose from; with one, its form."""
    patient = chart_or_404(patient_id)
    key = request.args.get("category", "")
    allowed = permissions.publishable(current_user)
    if not allowed:
        raise permissions.Refused("publish")
    if not key:
        return render_template(
            "staff/records/categories.html", patient=patient,
            categories=[categories.CATEGORIES[key] for key in allowed],
            may_import=permissions.allows(current_user, "publish_clinical"),
            may_panel="lab" in allowed)
    category = categories.CATEGORIES.get(key) or abort(404)
    permissions.require(current_user, permissions.category_action(category.key))
    form, problem = record_form_class(category)(), None
    if form.validate_on_submit():
        try:
            entry = entries.publish(patient, category.key, form.values(), login.origin(),
                                    release=form.releases(), file=form.upload())
        except categories.RecordError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("record_published" if entry.status == "released" else "record_drafted")
            return _to_entry(entry)
    return render_template("staff/records/new.html", patient=patient, category=category,
                           form=form, problem=problem)


@records_bp.route("/patients/<int:patient_id>/records/panel", methods=["GET", "POST"])
@staff_required()
def panel(patient_id):
    """A lab panel in one form: its name, dates and result rows, each row one lab entry.
    "Add more rows" comes back with more rows and everything typed; "resulted" starts as the
    practice's today."""
    patient = chart_or_404(patient_id)
    form, problem, items = PanelForm(), None, []
    if request.method == "GET":
        form.resulted_on.data = clock.today(practice=g.practice).strftime("%m/%d/%Y")
    elif form.validate_on_submit() and form.more.data:
        form.add_rows()
    elif form.validate_on_submit():
        try:
            made = panels.publish_panel(patient, form.name.data, form.collected_on.data,
                                        form.resulted_on.data, form.typed_rows(),
                                        login.origin(), release=form.releases())
        except panels.PanelRefused as refused:
            db.session.rollback()
            problem, items = show_refusal(form, refused), form.row_problems(refused)
        else:
            db.session.commit()
            flash_message("panel_published" if form.releases() else "panel_drafted",
                          count=len(made))
            return redirect(url_for("staff.chart_records", patient_id=patient.id))
    form.show_suggested_flags()
    return render_template("staff/records/panel.html", patient=patient, form=form,
                           problem=problem or None, items=items, max_rows=panels.MAX_ROWS,
                           more_rows=MORE_ROWS)


# --- One entry ------------------------------------------------------------------------------

def show(patient, entry, hold_form=None, problem=None, correction_form=None, release_form=None):
    """The entry page, its read on the record, offering only what this staff member's role
    may do. A refused hold comes back in `hold_form` with its errors, a release without its
    reason in `release_form`, a refused correction outcome in `correction_form`; `problem` is
    a message for the summary that no field holds."""
    names = staff.staff_names((entry.created_by_id, entry.released_by_id,
                                      entry.held_by_id))
    staff.record_entry_viewed(login.origin(), entry)
    body = render_template(
        "staff/records/entry.html", patient=patient, entry=entry,
        category=categories.CATEGORIES[entry.category], facts=categories.facts_for_people(entry),
        status=status_words(entry, names, utcnow()), names=names, problem=problem,
        may_hold=entries.may_hold(current_user, g.practice, entry),
        hold_form=hold_form or HoldForm(formdata=None),
        may_release=entries.may_release(current_user, entry, g.practice),
        release_reason=entries.release_needs_reason(current_user, entry),
        release_form=release_form or ReleaseForm(formdata=None),
        may_retract=permissions.allows(current_user, "retract", g.practice),
        may_change=appointments.may_change(current_user, entry, g.practice),
        corrections=correction_panel(entry, correction_form, permissions.allows(
            current_user, permissions.category_action(entry.category), g.practice)))
    db.session.commit()
    return body


@records_bp.route("/patients/<int:patient_id>/records/<int:entry_id>")
@staff_required()
def entry(patient_id, entry_id):
    """One entry of the chart, whatever its status, with what may be done with it."""
    return show(*_entry_or_404(patient_id, entry_id))


@records_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/release", methods=["POST"])
@staff_required()
def release(patient_id, entry_id):
    """Release a draft or a held result to the patient (an admin releasing a hold says why)."""
    patient, entry = _entry_or_404(patient_id, entry_id)
    form = _posted(ReleaseForm())
    try:
        released = entries.release(entry, login.origin(), form.reason.data)
    except categories.RecordError as error:
        db.session.rollback()
        return show(patient, entry, release_form=form, problem=show_refusal(form, error))
    db.session.commit()
    flash_message("record_released" if released else "record_not_released")
    return _to_entry(entry)


@records_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/retract", methods=["POST"])
@staff_required()
def retract(patient_id, entry_id):
    """Take an entry entered in error off the patient's pages (staff still see it, marked)."""
    _patient, entry = _entry_or_404(patient_id, entry_id)
    _posted(ButtonForm())
    retracted = entries.retract(entry, login.origin())
    db.session.commit()
    flash_message("record_retracted" if retracted else "record_already_retracted")
    return _to_entry(entry)


@records_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/hold", methods=["POST"])
@staff_required()
def hold(patient_id, entry_id):
    """A provider holds a lab result for review, with a written reason."""
    patient, entry = _entry_or_404(patient_id, entry_id)
    form = _posted(HoldForm())
    try:
        entries.hold(entry, form.reason.data, current_user, g.practice, login.origin())
    except categories.RecordError as error:  # a role that may not hold got a 403 (Refused)
        db.session.rollback()
        if not entries.may_hold(current_user, g.practice, entry):
            return show(patient, entry, problem=error.message)
        return show(patient, entry, hold_form=form, problem=show_refusal(form, error))
    db.session.commit()
    flash_message("record_held")
    return _to_entry(entry)


@records_bp.route("/patients/<int:patient_id>/records/<int:entry_id>/file")
@staff_required()
def document(patient_id, entry_id):
    """A document's original file as a download, checked against its SHA-256 and audited."""
    patient, entry = _entry_or_404(patient_id, entry_id)
    if entry.category != "document":
        abort(404)
    data = entries.document_file(entry)
    if data is None:
        log.warning("record document %s does not match its SHA-256: download refused", entry.id)
        return render_template("staff/records/file_damaged.html", patient=patient,
                               entry=entry), 409
    return downloads.audited(data, entries.file_name(entry), entry.file_type, login.origin(),
                             "record_document", entry.id, patient_id=patient.id,
                             file_format=EXTENSIONS.get(entry.file_type, "bin"))


# --- The practice's held results ------------------------------------------------------------

@records_bp.route("/records/held")
@staff_required()
def held():
    """Every held result, the oldest hold first, with who held it, why and for how long."""
    now = utcnow()
    rows = staff.held_results(now)
    staff.record_held_listed(login.origin(), rows)
    body = render_template("staff/records/held.html", rows=rows,
                           ages={row.entry.id: held_words(row.entry, now) for row in rows})
    db.session.commit()
    return body


bp.register_blueprint(records_bp)
