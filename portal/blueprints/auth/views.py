from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ... import auth_session
from ...messages import flash_message, get_message
from ...services.redirects import safe_next
from ...services.signin import AddressBlocked, authenticate_staff
from . import bp
from .forms import StaffSignInForm


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """Staff sign-in: one generic answer for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for("staff.patients"))
    form = StaffSignInForm()
    failed = None
    if form.validate_on_submit():
        try:
            staff = authenticate_staff(form.email.data, form.password.data, request.remote_addr)
        except AddressBlocked:
            abort(429)
        if staff is not None:
            auth_session.begin(staff)
            flash_message("signed_in")
            return redirect(safe_next(request.args.get("next"), url_for("staff.patients")))
        failed = get_message("sign_in_failed")[0]
    return render_template("auth/sign_in.html", form=form, failed=failed)


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """End this browser's session (the POST carries a CSRF token; a link cannot sign you out)."""
    auth_session.end()
    flash_message("signed_out")
    return redirect(url_for("auth.sign_in"))
