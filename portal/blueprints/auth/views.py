from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...services import twostep
from ...services.redirects import safe_next
from ...services.signin import AddressBlocked, authenticate
from ...web import kept_drafts, login
from . import bp, staff_bp
from .forms import PatientSignInForm, StaffSignInForm

HOME = {"staff": "staff.patients", "patient": "patient.home"}


def _sign_in(kind, form, name_field, template):
    """The sign-in page for `kind`: one generic answer for every kind of failure."""
    if current_user.is_authenticated:
        return redirect(url_for(HOME[current_user.kind]))
    failed = None
    if form.validate_on_submit():
        try:
            result = authenticate(kind, getattr(form, name_field).data, form.password.data,
                                  login.origin(), login.device_cookie())
        except AddressBlocked:
            abort(429)
        if result.suspended:
            return render_template("auth/suspended.html"), 403
        if result.account is not None:
            next_url = safe_next(request.args.get("next"), url_for(HOME[kind]))
            step = twostep.second_step(result.account)
            if step:
                return _to_second_step(result.account, step, next_url)
            login.begin(result.account)
            flash_message("signed_in")
            return redirect(next_url)
        failed = get_message(f"{kind}_sign_in_failed")[0]
    kept_waiting = kind == "patient" and kept_drafts.waiting(login.current_session_token())
    return render_template(template, form=form, name_field=getattr(form, name_field), failed=failed,
                           kept_waiting=kept_waiting)


def _to_second_step(account, step, next_url):
    """Right password, two-step still to do: not signed in yet, only marked as pending."""
    login.begin_pending(account, next_url, setup=step == "setup")
    db.session.commit()
    if step == "setup":
        return redirect(url_for("staff.twostep.setup"))
    return redirect(url_for("twostep.code"))


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    return _sign_in("patient", PatientSignInForm(), "username", "auth/patient_sign_in.html")


@staff_bp.route("/sign-in", methods=["GET", "POST"])
def staff_sign_in():
    return _sign_in("staff", StaffSignInForm(), "email", "auth/sign_in.html")


@bp.route("/sign-out", methods=["POST"])
@login_required
def sign_out():
    """End this browser's session (the POST carries a CSRF token; a link cannot sign you out)."""
    kind = current_user.kind
    login.end()
    flash_message("signed_out")
    return redirect(url_for(login.SIGN_IN[kind]))
