"""What staff do about a patient's portal access from the chart: invite by email or print an
activation letter (or revoke either), pause and restore access, send a reset link after a
phone check, reopen reset by security question, and (admins) clear two-step sign-in. The chart
view (chart.chart, the summary) decides which of these it shows, from the rules in the services."""

from flask import abort, g, redirect, render_template, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm
from ...services import activation, invitations, profile, recovery, twostep
from ...services.accounts import account_for_patient
from ...web import downloads, login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .forms import SuspendForm


def _back_to_chart(patient_id, section=""):
    return redirect(url_for("staff.chart", patient_id=patient_id) + section)


def _chart_account(patient_id):
    """The chart's portal account for a button on the chart (CSRF checked), else 404/400."""
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id)
    if account is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    return account


@bp.route("/patients/<int:patient_id>/invitation", methods=["POST"])
@staff_required()
def send_invitation(patient_id):
    """Email the patient an invitation (a newer one replaces any open one)."""
    patient = chart_or_404(patient_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        invitations.send_invitation(patient, login.origin())
    except invitations.InvitationRefused as refusal:
        db.session.rollback()
        flash_message(f"invitation_{refusal.reason}")
    else:
        db.session.commit()
        flash_message("invitation_sent")
    return _back_to_chart(patient.id, "#portal-access")


@bp.route("/patients/<int:patient_id>/activation-letter.pdf", methods=["POST"])
@staff_required()
def activation_letter(patient_id):
    """Print an activation letter: a new one-time code (any open invitation or letter stops
    working), handed out as the PDF at once, since the code is never stored to print again."""
    patient = chart_or_404(patient_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        invitation, code = activation.print_letter(patient, g.practice, login.origin())
    except invitations.InvitationRefused as refusal:
        db.session.rollback()
        flash_message(f"letter_{refusal.reason}")
        return _back_to_chart(patient.id, "#portal-access")
    pdf = activation.letter_pdf(patient, invitation, code, g.practice)
    return downloads.audited(pdf, f"activation-letter-{invitation.id}.pdf", "application/pdf",
                             login.origin(), "activation_letter", invitation.id,
                             patient_id=patient.id)


@bp.route("/patients/<int:patient_id>/invitation/revoke", methods=["POST"])
@staff_required()
def revoke_invitation(patient_id):
    """Void the patient's open invitation so its link stops working."""
    patient = chart_or_404(patient_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    revoked = invitations.revoke_invitation(patient, login.origin())
    db.session.commit()
    flash_message("invitation_revoked" if revoked else "invitation_none_open")
    return _back_to_chart(patient.id, "#portal-access")


@bp.route("/patients/<int:patient_id>/portal/suspend", methods=["POST"])
@staff_required()
def suspend(patient_id):
    """Pause portal access (a reason is required; staff read it on the chart)."""
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id) or abort(404)
    form = SuspendForm()
    if form.validate_on_submit():
        done = profile.suspend_account(account, form.reason.data, login.origin())
        db.session.commit()
        flash_message("portal_suspended" if done else "portal_already_suspended")
        return _back_to_chart(patient.id)
    return render_template("staff/suspend.html", form=form, patient=patient)


def _account_button(patient_id, action, done_message, not_done_message):
    """A chart button that acts on the portal account: the service says whether it did
    anything, the view commits once and says so."""
    account = _chart_account(patient_id)
    done = action(account, login.origin())
    db.session.commit()
    flash_message(done_message if done else not_done_message)
    return _back_to_chart(patient_id)


@bp.route("/patients/<int:patient_id>/portal/reinstate", methods=["POST"])
@staff_required()
def reinstate(patient_id):
    """Restore paused portal access."""
    return _account_button(patient_id, profile.reinstate_account,
                           "portal_reinstated", "portal_not_suspended")


@bp.route("/patients/<int:patient_id>/password-reset", methods=["POST"])
@staff_required()
def assisted_reset(patient_id):
    """Send a reset link that skips the security question (after a phone check)."""
    return _account_button(patient_id, recovery.send_assisted_reset,
                           "assisted_reset_sent", "assisted_reset_not_sent")


@bp.route("/patients/<int:patient_id>/self-reset/reopen", methods=["POST"])
@staff_required()
def reopen_self_reset(patient_id):
    """Reopen reset by security question, closed after 20 wrong answers (identity checked)."""
    return _account_button(patient_id, recovery.reopen_self_reset,
                           "self_reset_reopened", "self_reset_not_closed")


@bp.route("/patients/<int:patient_id>/reset-two-step", methods=["POST"])
@staff_required()
def reset_two_step(patient_id):
    """The patient lost their phone and recovery codes: clear two-step, which also voids the
    password and emails the staff-assisted reset link."""
    return _account_button(patient_id,
                           lambda account, origin: twostep.reset_by_admin(account, origin).link_sent,
                           "two_step_reset_patient", "two_step_reset_patient_paused")
