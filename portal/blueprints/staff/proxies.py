"""The chart's "Family and access" section (issue 22): a minor's parents and guardians, each
added by staff who saw the document that makes them one, and the chart's "do not grant access
to NAME" entries; and one guardian's page, where staff limit, continue past 18, pause or end
that access. The rules are in services/proxies/; these views draw and post."""

from flask import abort, g, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...services import clock, invitations
from ...services import patients as charts
from ...services.consents.documents import is_adult
from ...services.errors import FieldError
from ...services.proxies import (
    acting,
    blocks,
    changes,
    confidential,
    conversion,
    ending,
    guardians,
    joining,
    letters,
)
from ...web import downloads, login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .chart import section_page
from .proxy_forms import (
    BlockForm,
    CourtOrderForm,
    EndGrantForm,
    GuardianForm,
    ScopeForm,
    SuspendGrantForm,
)

BLOCK = "block"  # the block form's prefix: its name and email fields beside the guardian's


def _today():
    return clock.today(practice=g.practice)


def _section(patient, guardian_form=None, block_form=None, problem=None):
    """The section drawn, with a refused form's errors when one comes back."""
    today = _today()
    return section_page(
        "staff/chart_access.html", patient, "access",
        access=guardians.chart_access(patient, today),
        may_manage=changes.may_manage(current_user), minor=not is_adult(patient, today),
        guardian_form=guardian_form or GuardianForm(formdata=None),
        block_form=block_form or BlockForm(formdata=None, prefix=BLOCK), problem=problem,
        marks=confidential.chart_marks(patient.id))


def _to_section(patient_id):
    return redirect(url_for("staff.chart_access", patient_id=patient_id))


def _grant_or_404(patient_id, grant_id):
    patient = chart_or_404(patient_id)
    return patient, changes.grant_of(patient.id, grant_id) or abort(404)


# The grant page's forms, by name: each name is also the form's prefix, since they share one
# page and several have a "reason".
GRANT_FORMS = {"end": EndGrantForm, "suspend": SuspendGrantForm, "scope": ScopeForm,
               "order": CourtOrderForm}


def _posted(name):
    return GRANT_FORMS[name](prefix=name)


def _grant_page(patient, grant, refused=None, problem=None):
    """One guardian's page: who they are, and the forms to limit, continue past 18, pause or
    end the access. `refused` is (name, form) when a change was refused: that form comes back
    with its errors and what was typed; `problem` is a refusal about no one field."""
    saved = {"scope": {"scope": grant.scope},
             "order": {"order": grant.continues_under, "review_on": grant.review_on}}
    grant_forms = {name: form(formdata=None, prefix=name, **saved.get(name, {}))
                   for name, form in GRANT_FORMS.items()}
    failed = None
    if refused is not None:
        name, failed = refused
        grant_forms[name] = failed
    today, ends_on = _today(), ending.ends_on(grant, patient)
    invitation = joining.latest(grant)
    body = render_template("staff/proxy_grant.html", patient=patient, grant=grant,
                           invitation=invitation,
                           child_account=conversion.convertible(grant, patient, today),
                           actions=acting.actions_of(grant), actions_shown=acting.ACTIONS_SHOWN,
                           invitation_state=invitation and invitations.invitation_state(invitation),
                           not_sendable=joining.sendable(grant, patient, today),
                           may_manage=changes.may_manage(current_user),
                           may_limit=ending.may_limit(patient, today),
                           ends_on=ends_on, lapsed=ending.lapsed(grant, patient, today),
                           grant_forms=grant_forms, failed=failed, problem=problem)
    charts.record_chart_viewed(patient, login.origin(), "access")
    db.session.commit()
    return body


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
        guardian = guardians.Guardian(form.full_name.data, form.relationship.data,
                                      form.email.data, form.date_of_birth.data,
                                      form.document.data)
        try:
            guardians.add_guardian(patient, guardian, current_user, login.origin(), _today())
        except FieldError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("guardian_added", name=guardian.full_name)
            return _to_section(patient.id)
    return _section(patient, guardian_form=form, problem=problem)


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>")
@staff_required()
def manage_grant(patient_id, grant_id):
    """One parent's or guardian's access, and what staff may change about it."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    return _grant_page(patient, grant)


def _change(patient, grant, form_name, form, change, flash_key):
    """Post one change to a grant: done, committed and flashed, back to the section; or
    refused, the grant's page again with the form's errors."""
    problem = None
    if form.validate_on_submit():
        try:
            changed = change()
        except FieldError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message(flash_key if changed else "grant_unchanged", name=grant.full_name)
            return _to_section(patient.id)
    return _grant_page(patient, grant, refused=(form_name, form), problem=problem)


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/invite", methods=["POST"])
@staff_required()
def invite_guardian(patient_id, grant_id):
    """Email the parent or guardian an invitation to reach the child's record."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    return _change(patient, grant, "invite", ButtonForm(), lambda: joining.send(
        grant, patient, current_user, login.origin(), _today()), "guardian_invited")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/letter.pdf",
          methods=["POST"])
@staff_required()
def guardian_letter(patient_id, grant_id):
    """Print an activation letter for a parent at the desk: a new one-time code (any open
    invitation or letter stops working), handed out as the PDF at once."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        invitation, code = letters.print_letter(grant, patient, current_user, login.origin(),
                                                _today(), g.practice)
    except FieldError as error:
        db.session.rollback()
        return _grant_page(patient, grant, problem=error.message)
    pdf = letters.letter_pdf(grant, patient, invitation, code, g.practice)
    return downloads.audited(pdf, f"guardian-letter-{invitation.id}.pdf", "application/pdf",
                             login.origin(), "guardian_letter", invitation.id,
                             patient_id=patient.id)


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/take-over",
          methods=["POST"])
@staff_required()
def take_over_account(patient_id, grant_id):
    """Make the child's own portal account (a parent enrolled as the child) this parent's."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    return _change(patient, grant, "take_over", ButtonForm(), lambda: conversion.take_over(
        grant, patient, current_user, login.origin(), _today()), "account_taken_over")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/end", methods=["POST"])
@staff_required()
def end_grant(patient_id, grant_id):
    """End a parent's or guardian's access, with the reason chosen."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    form = _posted("end")
    return _change(patient, grant, "end", form, lambda: changes.end_grant(
        grant, form.reason.data, current_user, login.origin()), "grant_ended")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/suspend", methods=["POST"])
@staff_required()
def suspend_grant(patient_id, grant_id):
    """Pause a parent's or guardian's access, with a reason."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    form = _posted("suspend")
    return _change(patient, grant, "suspend", form, lambda: changes.suspend_grant(
        grant, form.reason.data, current_user, login.origin()), "grant_suspended")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/reinstate",
          methods=["POST"])
@staff_required()
def reinstate_grant(patient_id, grant_id):
    """End the pause of a parent's or guardian's access."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    return _change(patient, grant, "reinstate", ButtonForm(), lambda: changes.reinstate_grant(
        grant, current_user, login.origin()), "grant_reinstated")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/scope", methods=["POST"])
@staff_required()
def grant_scope(patient_id, grant_id):
    """Limit a guardian's access (a patient aged 12 to 17, with a reason), or make it full."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    form = _posted("scope")
    return _change(patient, grant, "scope", form, lambda: changes.set_scope(
        grant, patient, form.scope.data, form.reason.data, current_user, login.origin(),
        _today()), "grant_scope_changed")


@bp.route("/patients/<int:patient_id>/access/grants/<int:grant_id>/court-order",
          methods=["POST"])
@staff_required()
def grant_court_order(patient_id, grant_id):
    """Record (or remove) the court order under which the access continues past 18."""
    patient, grant = _grant_or_404(patient_id, grant_id)
    form = _posted("order")
    return _change(patient, grant, "order", form, lambda: changes.continue_past_18(
        grant, patient, form.order.data, form.review_on.data, current_user, login.origin(),
        _today()), "grant_court_order_saved")


@bp.route("/patients/<int:patient_id>/access/blocks", methods=["POST"])
@staff_required()
def add_block(patient_id):
    """Record that someone must not be given access to this chart."""
    patient = chart_or_404(patient_id)
    form = BlockForm(prefix=BLOCK)
    if not form.validate_on_submit():
        return _section(patient, block_form=form)
    _block, ended = blocks.add_block(patient, form.full_name.data, form.email.data or "",
                                     form.basis.data, current_user, login.origin())
    db.session.commit()
    flash_message("block_added", name=form.full_name.data)
    for ended_grant in ended:
        flash_message("grant_ended_by_block", name=ended_grant.full_name)
    return _to_section(patient.id)


@bp.route("/patients/<int:patient_id>/access/blocks/<int:block_id>/lift", methods=["POST"])
@staff_required()
def lift_block(patient_id, block_id):
    """Lift a "do not grant access" entry (the order it rests on has ended)."""
    patient = chart_or_404(patient_id)
    block = blocks.block_of(patient.id, block_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    lifted = blocks.lift_block(block, current_user, login.origin())
    db.session.commit()
    flash_message("block_lifted" if lifted else "block_already_lifted", name=block.full_name)
    return _to_section(patient.id)
