"""The admin's list of staff accounts: a two-step reset for a lost phone, and disabling or
enabling an account."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...extensions import db
from ...flash_messages import flash_message
from ...models import StaffUser
from ...services import staff as staff_accounts
from ...services import twostep
from ...services.accounts import account_for_patient
from ...web.guards import chart_or_404, staff_required
from . import bp
from .forms import ResetForm


def _me():
    return current_user._get_current_object()


def _staff_member(staff_id):
    """The staff account named in the URL, after the button's CSRF token is checked."""
    if not ResetForm().validate_on_submit():
        abort(400)
    return db.session.get(StaffUser, staff_id) or abort(404)


@bp.route("/admin/staff")
@staff_required("admin")
def staff_list():
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.name, StaffUser.id)).all()
    return render_template("twostep/staff_list.html", staff=staff,
                           enabled=twostep.is_enabled)


@bp.route("/admin/staff/<int:staff_id>/reset-two-step", methods=["POST"])
@staff_required("admin")
def reset_staff(staff_id):
    """Clear a staff member's two-step and give a one-time password, shown on this page only.

    The password is in this response alone: not stored in clear, not in the cookie, and not
    cached (web.py sends no-store on every page), so it cannot be shown again.
    """
    staff = _staff_member(staff_id)
    if staff.id == current_user.id:
        flash_message("two_step_reset_self")
        return redirect(url_for("twostep.staff_list"))
    outcome = twostep.reset_by_admin(staff, _me())
    return render_template("twostep/staff_one_time_password.html", person=staff,
                           password=outcome.one_time_password)


@bp.route("/admin/staff/<int:staff_id>/disable", methods=["POST"])
@staff_required("admin")
def disable_staff(staff_id):
    """Disable a staff account: it cannot sign in, and its sessions end now."""
    staff = _staff_member(staff_id)
    try:
        done = staff_accounts.disable_staff(staff, by=_me())
    except staff_accounts.StaffAccountError as error:
        db.session.rollback()
        flash_message(error.key)
        return redirect(url_for("twostep.staff_list"))
    db.session.commit()
    flash_message("staff_disabled" if done else "staff_already_disabled")
    return redirect(url_for("twostep.staff_list"))


@bp.route("/admin/staff/<int:staff_id>/enable", methods=["POST"])
@staff_required("admin")
def enable_staff(staff_id):
    staff = _staff_member(staff_id)
    done = staff_accounts.enable_staff(staff, by=_me())
    db.session.commit()
    flash_message("staff_enabled" if done else "staff_already_enabled")
    return redirect(url_for("twostep.staff_list"))


@bp.route("/staff/patients/<int:patient_id>/reset-two-step", methods=["POST"])
@staff_required("admin")
def reset_patient(patient_id):
    """A patient lost their phone and their recovery codes: the admin clears two-step, which
    also voids their password and emails them the staff-assisted reset link."""
    if not ResetForm().validate_on_submit():
        abort(400)
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id) or abort(404)
    outcome = twostep.reset_by_admin(account, _me())
    flash_message("two_step_reset_patient" if outcome.link_sent else "two_step_reset_patient_paused")
    return redirect(url_for("staff.chart", patient_id=patient.id))
