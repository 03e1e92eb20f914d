"""Practice control: staff pause (suspend) and restore a patient's portal access.

Admins, providers and nurses may do it (profile.SUSPENDING_ROLES); front desk and billing
see the status on the chart only.
"""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...services import profile
from ...services.accounts import account_for_patient
from ...web.guards import chart_or_404, staff_required
from . import bp
from .forms import ButtonForm, SuspendForm


def _chart_and_account(patient_id):
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id)
    if account is None:
        abort(404)
    return patient, account


@bp.route("/staff/patients/<int:patient_id>/portal/suspend", methods=["POST"])
@staff_required(*profile.SUSPENDING_ROLES)
def suspend(patient_id):
    patient, account = _chart_and_account(patient_id)
    form = SuspendForm()
    if form.validate_on_submit():
        done = profile.suspend_account(account, current_user, form.reason.data)
        db.session.commit()
        flash_message("portal_suspended" if done else "portal_already_suspended")
        return redirect(url_for("staff.chart", patient_id=patient.id))
    return render_template("profile/suspend.html", form=form, patient=patient)


@bp.route("/staff/patients/<int:patient_id>/portal/reinstate", methods=["POST"])
@staff_required(*profile.SUSPENDING_ROLES)
def reinstate(patient_id):
    patient, account = _chart_and_account(patient_id)
    if ButtonForm().validate_on_submit():
        done = profile.reinstate_account(account, current_user)
        db.session.commit()
        flash_message("portal_reinstated" if done else "portal_not_suspended")
    return redirect(url_for("staff.chart", patient_id=patient.id))


@bp.app_template_global()
def portal_suspension(account):
    """What staff/_suspension.html shows for the chart's account (or None): the account,
    whether this staff member may change it, and an empty reason form."""
    return {"account": account, "may_change": profile.may_suspend(current_user),
            "form": SuspendForm(formdata=None)}
