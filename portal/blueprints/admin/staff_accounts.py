"""The admin's list of staff accounts (/admin/staff): a two-step reset for a lost phone, and
disabling or enabling an account."""

from flask import abort, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm
from ...services import staff as staff_accounts
from ...services import twostep
from ...web import login
from ...web.guards import staff_required
from . import bp


def _me():
    return current_user._get_current_object()


def _staff_member(staff_id):
    """The staff account named in the URL, after the button's CSRF token is checked."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    return staff_accounts.staff_by_id(staff_id) or abort(404)


@bp.route("/staff")
@staff_required()
def staff_list():
    return render_template("admin/staff_list.html", staff=staff_accounts.all_staff(),
                           enabled=twostep.is_enabled)


@bp.route("/staff/<int:staff_id>/reset-two-step", methods=["POST"])
@staff_required()
def reset_staff(staff_id):
    """Clear a staff member's two-step and give a one-time password, shown on this page only.

    The password is in this response alone: not stored in clear, not in the cookie, and not
    cached (web/headers.py sends no-store on every page), so it cannot be shown again.
    """
    staff = _staff_member(staff_id)
    if staff.id == current_user.id:
        flash_message("two_step_reset_self")
        return redirect(url_for("admin.staff_list"))
    outcome = twostep.reset_by_admin(staff, login.origin())
    db.session.commit()
    return render_template("admin/staff_one_time_password.html", person=staff,
                           password=outcome.one_time_password)


@bp.route("/staff/<int:staff_id>/disable", methods=["POST"])
@staff_required()
def disable_staff(staff_id):
    """Disable a staff account: it cannot sign in, and its sessions end now."""
    staff = _staff_member(staff_id)
    try:
        done = staff_accounts.disable_staff(staff, login.origin())
    except staff_accounts.StaffAccountError as error:
        db.session.rollback()
        flash_message(error.key)
        return redirect(url_for("admin.staff_list"))
    db.session.commit()
    flash_message("staff_disabled" if done else "staff_already_disabled")
    return redirect(url_for("admin.staff_list"))


@bp.route("/staff/<int:staff_id>/enable", methods=["POST"])
@staff_required()
def enable_staff(staff_id):
    staff = _staff_member(staff_id)
    done = staff_accounts.enable_staff(staff, login.origin())
    db.session.commit()
    flash_message("staff_enabled" if done else "staff_already_enabled")
    return redirect(url_for("admin.staff_list"))
