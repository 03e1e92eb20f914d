"""The chart's "Family and access" section (issue 22): a minor's parents and guardians, each
added by staff who saw the document that makes them one, and the chart's "do not grant access
to NAME" entries. The rules are services/proxies.py's; these views draw and post."""

from flask import abort, g, redirect, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...services import clock, proxies
from ...services.consents.documents import is_adult
from ...services.errors import FieldError
from ...web import login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .chart import section_page
from .proxy_forms import BlockForm, EndGrantForm, GuardianForm

BLOCK = "block"  # the block form's prefix: its name and email fields beside the guardian's


def _end_form(grant_id, **kwargs):
    return EndGrantForm(prefix=f"grant-{grant_id}", **kwargs)


def _section(patient, guardian_form=None, block_form=None, problem=None):
    """The section drawn, with a refused form's errors when one comes back."""
    access = proxies.chart_access(patient.id)
    may_manage = proxies.may_manage(current_user)
    return section_page(
        "staff/chart_access.html", patient, "access", access=access, may_manage=may_manage,
        minor=not is_adult(patient, clock.today(practice=g.practice)),
        guardian_form=guardian_form or GuardianForm(formdata=None),
        block_form=block_form or BlockForm(formdata=None, prefix=BLOCK),
        end_forms={grant.id: _end_form(grant.id, formdata=None) for grant in access.grants
                   if grant.status != "ended"} if may_manage else {},
        problem=problem)


def _to_section(patient_id):
    return redirect(url_for("staff.chart_access", patient_id=patient_id))


@bp.route("/patients/<int:patient_id>/access")
@staff_required()
def chart_access(patient_id):
    """The parents and guardians, and who must not have access."""
    return _section(chart_or_404(patient_id))


@bp.route("/patients/<int:patient_id>/access/guardians", methods=["POST"])
@staff_required()
def add_guardian(patient_id):
    """Record a parent or guardian on a minor's chart."""
    patient = chart_or_404(patient_id)
    form = GuardianForm()
    problem = None
    if form.validate_on_submit():
        guardian = proxies.Guardian(form.full_name.data, form.relationship.data, form.email.data,
                                    form.date_of_birth.data, form.document.data)
        try:
            proxies.add_guardian(patient, guardian, current_user, login.origin(),
                                 clock.today(practice=g.practice))
        except FieldError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("guardian_added", name=guardian.full_name)
            return _to_section(patient.id)
    return _section(patient, guardian_form=form, problem=problem)


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/end", methods=["POST"])
@staff_required()
def end_grant(patient_id, grant_id):
    """End a parent's or guardian's access, with the reason chosen."""
    patient = chart_or_404(patient_id)
    grant = proxies.grant_of(patient.id, grant_id) or abort(404)
    form = _end_form(grant.id)
    if not form.validate_on_submit():
        flash_message("grant_end_reason_needed", name=grant.full_name)
        return _to_section(patient.id)
    ended = proxies.end_grant(grant, form.reason.data, current_user, login.origin())
    db.session.commit()
    flash_message("grant_ended" if ended else "grant_already_ended", name=grant.full_name)
    return _to_section(patient.id)


@bp.route("/patients/<int:patient_id>/access/blocks", methods=["POST"])
@staff_required()
def add_block(patient_id):
    """Record that someone must not be given access to this chart."""
    patient = chart_or_404(patient_id)
    form = BlockForm(prefix=BLOCK)
    if not form.validate_on_submit():
        return _section(patient, block_form=form)
    _block, ended = proxies.add_block(patient, form.full_name.data, form.email.data or "",
                                      form.basis.data, current_user, login.origin())
    db.session.commit()
    flash_message("block_added", name=form.full_name.data)
    for grant in ended:
        flash_message("grant_ended_by_block", name=grant.full_name)
    return _to_section(patient.id)


@bp.route("/patients/<int:patient_id>/access/blocks/<int:block_id>/lift", methods=["POST"])
@staff_required()
def lift_block(patient_id, block_id):
    """Lift a "do not grant access" entry (the order it rests on has ended)."""
    patient = chart_or_404(patient_id)
    block = proxies.block_of(patient.id, block_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    lifted = proxies.lift_block(block, current_user, login.origin())
    db.session.commit()
    flash_message("block_lifted" if lifted else "block_already_lifted", name=block.full_name)
    return _to_section(patient.id)
