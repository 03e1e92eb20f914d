"""The admin's list of staff accounts with a two-step reset for a lost phone."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...messages import flash_message
from ...models import StaffUser
from ...services import twostep
from ...services.access import chart_for_staff, staff_required
from ...services.accounts import account_for_patient
from . import bp
from .forms import ResetForm


@bp.route("/admin/staff")
@staff_required("admin")
def staff_list():
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()
    return render_template("twostep/staff_list.html", staff=staff,
                           enabled=twostep.is_enabled)


@bp.route("/admin/staff/<int:staff_id>/reset-two-step", methods=["POST"])
@staff_required("admin")
def reset_staff(staff_id):
    """Clear a staff member's two-step: they set it up again, and their sessions end now."""
    if not ResetForm().validate_on_submit():
        abort(400)
    staff = db.session.get(StaffUser, staff_id) or abort(404)
    twostep.reset_by_admin(staff, current_user)
    flash_message("two_step_reset")
    return redirect(url_for("twostep.staff_list"))


@bp.route("/staff/patients/<int:patient_id>/reset-two-step", methods=["POST"])
@staff_required("admin")
def reset_patient(patient_id):
    """A patient lost their phone and their recovery codes: the admin clears two-step."""
    if not ResetForm().validate_on_submit():
        abort(400)
    patient = chart_for_staff(patient_id)
    account = account_for_patient(patient.id) or abort(404)
    twostep.reset_by_admin(account, current_user)
    flash_message("two_step_reset")
    return redirect(url_for("staff.chart", patient_id=patient.id))
