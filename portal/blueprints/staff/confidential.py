"""An item confidential from every guardian (issue 22): a record entry or a conversation of
the chart, its mark and the form to mark it or remove the mark. The rules are
services/proxies/confidential.py's; these views draw and post."""

from flask import abort, g, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...services import clock
from ...services import patients as charts
from ...services.errors import FieldError
from ...services.proxies import confidential
from ...web import login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .proxy_forms import ConfidentialForm

ITEM_URL = ("/patients/<int:patient_id>/access/confidential"
            "/<any(record_entry, conversation):kind>/<int:item_id>")


def _item_or_404(patient_id, kind, item_id):
    patient = chart_or_404(patient_id)
    return patient, confidential.item_of(patient.id, kind, item_id) or abort(404)


def _page(patient, item, form=None, problem=None):
    body = render_template(
        "staff/confidential_item.html", patient=patient, item=item,
        mark=confidential.current_mark(item.kind, item.id),
        may_mark=confidential.may_mark(current_user),
        form=form or ConfidentialForm(formdata=None), problem=problem)
    charts.record_chart_viewed(patient, login.origin(), "access")
    db.session.commit()
    return body


def _back(patient, item):
    return redirect(url_for("staff.confidential_item", patient_id=patient.id, kind=item.kind,
                            item_id=item.id))


@bp.route(ITEM_URL)
@staff_required()
def confidential_item(patient_id, kind, item_id):
    """Whether the item is confidential from guardians, and why."""
    patient, item = _item_or_404(patient_id, kind, item_id)
    return _page(patient, item)


@bp.route(ITEM_URL + "/mark", methods=["POST"])
@staff_required()
def mark_confidential(patient_id, kind, item_id):
    """Mark the item confidential from every guardian, on the basis chosen."""
    patient, item = _item_or_404(patient_id, kind, item_id)
    form = ConfidentialForm()
    problem = None
    if form.validate_on_submit():
        basis = confidential.Basis(form.basis.data, form.service.data or "",
                                   form.clinician_name.data or "")
        try:
            marked = confidential.mark(patient, item, basis, current_user, login.origin(),
                                       clock.today(practice=g.practice))
        except FieldError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("confidential_marked" if marked else "confidential_already",
                          title=item.title)
            return _back(patient, item)
    return _page(patient, item, form=form, problem=problem)


@bp.route(ITEM_URL + "/remove", methods=["POST"])
@staff_required()
def remove_confidential(patient_id, kind, item_id):
    """Remove the item's mark: guardians will see it again."""
    patient, item = _item_or_404(patient_id, kind, item_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    removed = confidential.remove(patient, item, current_user, login.origin())
    db.session.commit()
    flash_message("confidential_removed" if removed else "confidential_none", title=item.title)
    return _back(patient, item)
