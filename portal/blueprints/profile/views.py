"""The patient's own settings. No ids in these URLs: every page is about current_user."""

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm
from ...services import profile
from ...web import login
from ...web.guards import patient_required
from . import bp
from .forms import ChangeEmailForm, ChangePasswordForm, PreferencesForm, SecurityQuestionForm

# The confirmation link's token waits here, never in an address that stays in logs/history.
EMAIL_TOKEN_KEY = "email_change_token"  # noqa: S105 - a key name, not a secret


def _reauthenticated(form, purpose):
    """Validate the form, then the current password (a wrong one is a field error)."""
    return form.validate_on_submit() and login.confirm_current_password(
        form.current_password, "profile_wrong_password", purpose)


@bp.route("/profile")
@patient_required
def overview():
    return render_template("profile/overview.html", account=current_user)


@bp.route("/profile/password", methods=["GET", "POST"])
@patient_required
def password():
    form = ChangePasswordForm(account=current_user)
    if _reauthenticated(form, "password"):
        account = current_user._get_current_object()
        profile.change_password(account, form.password.data, login.origin())
        db.session.commit()
        login.begin(account)  # every other session ended; this browser starts afresh
        flash_message("profile_password_changed")
        return redirect(url_for("profile.overview"))
    return render_template("profile/password.html", form=form)


@bp.route("/profile/security-question", methods=["GET", "POST"])
@patient_required
def security_question():
    form = SecurityQuestionForm(account=current_user,
                                data={"question": current_user.security_question})
    if _reauthenticated(form, "security question"):
        profile.change_security_question(current_user, form.question.data, form.answer.data,
                                         login.origin())
        db.session.commit()
        flash_message("profile_question_changed")
        return redirect(url_for("profile.overview"))
    return render_template("profile/security_question.html", form=form)


@bp.route("/profile/email", methods=["GET", "POST"])
@patient_required
def email():
    form = ChangeEmailForm(account=current_user)
    if _reauthenticated(form, "email"):
        profile.request_email_change(current_user, form.email.data, login.origin())
        db.session.commit()
        flash_message("profile_email_link_sent")
        return redirect(url_for("profile.overview"))
    return render_template("profile/email.html", form=form)


@bp.route("/profile/email/confirm", methods=["GET", "POST"])
def email_confirm():
    """The emailed link (?t=) lands here: keep the token in the session, then drop it from
    the address at once. The token-free page asks for a button press to make the change."""
    if "t" in request.args:
        session[EMAIL_TOKEN_KEY] = request.args["t"][:1000]
        return redirect(url_for("profile.email_confirm"))
    return _email_confirm_page()


@patient_required
def _email_confirm_page():
    account = current_user._get_current_object()
    problem, new_email = profile.check_email_change(account, session.get(EMAIL_TOKEN_KEY))
    if problem:
        if problem != "no_link":
            profile.refuse_email_change(account, problem, login.origin())
            db.session.commit()
        return render_template("profile/email_link_problem.html", problem=problem), 400
    form = ButtonForm()
    if form.validate_on_submit():
        profile.apply_email_change(account, new_email, login.origin())
        db.session.commit()
        session.pop(EMAIL_TOKEN_KEY, None)
        flash_message("profile_email_changed")
        return redirect(url_for("profile.overview"))
    return render_template("profile/email_confirm.html", form=form, new_email=new_email)


@bp.route("/profile/notices", methods=["GET", "POST"])
@patient_required
def preferences():
    form = PreferencesForm.for_account(current_user)
    if form.validate_on_submit():
        changed = profile.save_preferences(current_user, form.choices_made(), login.origin())
        db.session.commit()
        flash_message("profile_preferences_saved" if changed else "profile_unchanged")
        return redirect(url_for("profile.overview"))
    return render_template("profile/preferences.html", form=form)


@bp.route("/profile/activity")
@patient_required
def activity():
    sessions, failures = profile.recent_activity(current_user, login.current_session_token())
    return render_template("profile/activity.html", sessions=sessions, failures=failures,
                           failure_labels=page_texts.FAILURE_LABELS, form=ButtonForm())


@bp.route("/profile/sign-out-everywhere", methods=["POST"])
@patient_required
def sign_out_everywhere():
    form = ButtonForm()
    if not form.validate_on_submit():
        return redirect(url_for("profile.activity"))
    profile.sign_out_everywhere(current_user, login.origin())
    login.end()  # commits, and clears this browser's cookie
    flash_message("profile_signed_out_everywhere")
    return redirect(url_for("auth.sign_in"))
