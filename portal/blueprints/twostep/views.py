"""Two-step sign-in pages: the code step, setup (staff at sign-in, patients in their
profile), turning it off, and new recovery codes."""

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...services import twostep, twostep_lock, twostep_recovery_codes
from ...services.signin import AddressBlocked
from ...web import login
from ...web.guards import patient_required, staff_required
from . import bp, staff_bp
from .forms import ConfirmSetupForm, PasswordCheckForm, SignInCodeForm, UnlockForm

HOME = {"staff": "staff.patients", "patient": "patient.home"}


def _start_again():
    """No live pending sign-in (never begun, or over five minutes old): sign in again."""
    kind = (session.get(login.PENDING_KEY) or {}).get("kind")
    session.pop(login.PENDING_KEY, None)
    flash_message("two_step_expired")
    return redirect(url_for(login.SIGN_IN.get(kind, "auth.sign_in")))


@bp.route("/sign-in/code", methods=["GET", "POST"])
def code():
    """Second step of sign-in: a code from the app, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for(HOME[current_user.kind]))
    account, marker = login.pending()
    if account is None:
        return _start_again()
    if marker.get("setup"):
        return redirect(url_for("staff.twostep.setup"))
    form = SignInCodeForm()
    if form.validate_on_submit():
        try:
            accepted, left = twostep.sign_in_code(account, form.code.data, login.origin())
        except AddressBlocked:
            abort(429)
        except twostep_lock.TwoStepLocked:
            db.session.commit()  # the lock, its audit row and its notice
            form.code.errors.append(get_message("two_step_locked")[0])
            return render_template("twostep/code.html", form=form, kind=account.kind), 403
        if accepted:
            next_url = login.finish_pending(account)  # commits, with the new session
            flash_message("signed_in")
            if left is not None:
                _flash_codes_left(left)
            return redirect(next_url or url_for(HOME[account.kind]))
        form.code.errors.append(get_message("two_step_code_failed")[0])
    return render_template("twostep/code.html", form=form, kind=account.kind)


def _flash_codes_left(left):
    flash_message("two_step_recovery_used", count=left)


@staff_bp.route("/two-step/setup", methods=["GET", "POST"])
def setup():
    """A staff member's first sign-in: scan, confirm with a code, then get recovery codes."""
    account, marker = login.pending()
    if account is None or not marker.get("setup") or not account.totp_secret:
        return _start_again()
    form = ConfirmSetupForm()
    if form.validate_on_submit():
        codes = twostep.enable(account, form.code.data, login.origin())
        if codes:
            next_url = login.finish_pending(account)  # commits, with the new session
            flash_message("two_step_enabled")
            return _show_codes(codes, next_url or url_for("staff.patients"))
        form.code.errors.append(get_message("two_step_setup_code_failed")[0])
    return _setup_page(account, form)


def _setup_page(account, form):
    return render_template("twostep/setup.html", form=form, qr=twostep.qr_data_uri(account),
                           secret=twostep.grouped_secret(account))


def _show_codes(codes, next_url):
    """Recovery codes are shown once, in the answer to the POST: never stored in the cookie."""
    return render_template("twostep/recovery_codes.html", codes=codes, next_url=next_url)


# -- patients: optional, from the profile ------------------------------------------------

def _me():
    """The signed-in account itself (services lock and refresh it; a proxy will not do)."""
    return current_user._get_current_object()


def _manage_page(on=None, off=None, regenerate=None):
    account = _me()
    return render_template(
        "twostep/manage.html", enabled=twostep.is_enabled(account),
        left=twostep_recovery_codes.recovery_codes_left(account) if twostep.is_enabled(account) else 0,
        on_form=on or PasswordCheckForm(prefix="on"), off_form=off or PasswordCheckForm(prefix="off"),
        regenerate_form=regenerate or PasswordCheckForm(prefix="codes"))


def _password_ok(form):
    """The form is valid and holds the signed-in person's current password."""
    return form.validate_on_submit() and login.confirm_current_password(
        form.password, "two_step_password_wrong", "two-step")


@bp.route("/profile/two-step")
@patient_required
def manage():
    return _manage_page()


@bp.route("/profile/two-step/on", methods=["POST"])
@patient_required
def turn_on():
    form = PasswordCheckForm(prefix="on")
    if twostep.is_enabled(current_user):
        return redirect(url_for("twostep.manage"))
    if not _password_ok(form):
        return _manage_page(on=form)
    twostep.start_setup(_me())
    db.session.commit()
    return redirect(url_for("twostep.patient_setup"))


@bp.route("/profile/two-step/setup", methods=["GET", "POST"])
@patient_required
def patient_setup():
    account = _me()
    if twostep.is_enabled(account) or not account.totp_secret:
        return redirect(url_for("twostep.manage"))
    form = ConfirmSetupForm()
    if form.validate_on_submit():
        codes = twostep.enable(account, form.code.data, login.origin())
        if codes:
            db.session.commit()
            flash_message("two_step_enabled")
            return _show_codes(codes, url_for("twostep.manage"))
        form.code.errors.append(get_message("two_step_setup_code_failed")[0])
    return _setup_page(account, form)


@bp.route("/profile/two-step/off", methods=["POST"])
@patient_required
def turn_off():
    form = PasswordCheckForm(prefix="off")
    if not twostep.is_enabled(current_user):
        return redirect(url_for("twostep.manage"))
    if not _password_ok(form):
        return _manage_page(off=form)
    twostep.disable(_me(), login.origin())
    db.session.commit()
    flash_message("two_step_disabled")
    return redirect(url_for("twostep.manage"))


@bp.route("/profile/two-step/recovery-codes", methods=["POST"])
@patient_required
def new_recovery_codes():
    return _new_recovery_codes("twostep.manage")


@staff_bp.route("/two-step")
@staff_required()
def manage_staff():
    """Staff keep two-step on (the practice requires it); they can make new recovery codes."""
    return _manage_page()


@staff_bp.route("/two-step/recovery-codes", methods=["POST"])
@staff_required()
def new_staff_recovery_codes():
    return _new_recovery_codes("staff.twostep.manage_staff")


def _new_recovery_codes(manage_endpoint):
    """Replace the recovery codes after the password is given again; show the new ones once."""
    form = PasswordCheckForm(prefix="codes")
    if not twostep.is_enabled(current_user):
        return redirect(url_for(manage_endpoint))
    if not _password_ok(form):
        return _manage_page(regenerate=form)
    codes = twostep_recovery_codes.regenerate_recovery_codes(_me(), login.origin())
    db.session.commit()
    flash_message("two_step_codes_regenerated")
    return _show_codes(codes, url_for(manage_endpoint))


# The unlock link's token lives in the session, never in a URL that stays (as the reset's).
UNLOCK_KEY = "twostep_unlock_token"


@bp.route("/two-step/unlock", methods=["GET", "POST"])
def unlock():
    """The lock notice's link: the owner confirms, and the second step opens again."""
    if request.method == "GET" and "t" in request.args:
        session[UNLOCK_KEY] = request.args["t"][:1000]
        return redirect(url_for("twostep.unlock"))
    problem, account = twostep_lock.unlock_link(session.get(UNLOCK_KEY))
    if problem:
        session.pop(UNLOCK_KEY, None)
        return render_template("twostep/unlock_problem.html", problem=problem), 400
    form = UnlockForm()
    if form.validate_on_submit():
        twostep_lock.unlock_by_owner(account, login.origin())
        db.session.commit()
        session.pop(UNLOCK_KEY, None)
        flash_message("two_step_unlocked")
        return redirect(url_for(login.SIGN_IN.get(account.kind, "auth.sign_in")))
    return render_template("twostep/unlock.html", form=form, kind=account.kind)
