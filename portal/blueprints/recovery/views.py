from flask import abort, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...flash_messages import flash_message
from ...services import ratelimit, recovery, recovery_requests
from ...services.accounts import account_words
from ...web import login
from . import bp
from .forms import (
    AssistedResetForm,
    ForgotPasswordForm,
    ForgotUsernameForm,
    NewPasswordForm,
    SecurityAnswerForm,
)

# The reset token lives in the session, never in a URL that stays (browser history, logs).
TOKEN_KEY = "reset_token"  # noqa: S105 - a key name, not a secret
# The reset whose security question this browser answered.
ANSWERED_KEY = "reset_answered"
PROBLEM_STATUS = {"locked": 403, "closed": 403}


def _limit(bucket):
    """Count this use of the page for the visitor's address; 429 when over the limit."""
    try:
        ratelimit.hit(bucket, request.remote_addr)
    except ratelimit.RateLimited:
        abort(429)


@bp.route("/forgot-username", methods=["GET", "POST"])
def forgot_username():
    form = ForgotUsernameForm()
    if form.validate_on_submit():
        _limit("forgot-username")
        recovery_requests.request_username(form.email.data, form.date_of_birth.data, login.origin())
        db.session.commit()
        flash_message("username_requested")
        return redirect(url_for("auth.sign_in"))
    return render_template("recovery/forgot_username.html", form=form)


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        _limit("forgot-password")
        recovery_requests.request_reset(form.name.data, login.origin())
        db.session.commit()
        flash_message("reset_requested")
        return redirect(url_for("auth.sign_in"))
    return render_template("recovery/forgot_password.html", form=form)


def _link_problem(link):
    """The page for a link that cannot be used: what happened and what to do next."""
    session.pop(TOKEN_KEY, None)
    session.pop(ANSWERED_KEY, None)
    return (render_template("recovery/link_problem.html", problem=link.problem),
            PROBLEM_STATUS.get(link.problem, 400))


@bp.route("/reset", methods=["GET", "POST"])
def reset():
    """The emailed link's page: security question, then the new password."""
    if request.method == "GET" and "t" in request.args:
        session[TOKEN_KEY] = request.args["t"][:1000]
        session.pop(ANSWERED_KEY, None)
        link = recovery.check_reset_token(session[TOKEN_KEY])
        if link.problem is None:
            recovery.record_link_opened(link, login.origin())
            db.session.commit()
        return redirect(url_for("recovery.reset"))
    link = recovery.check_reset_token(session.get(TOKEN_KEY))
    if link.problem:
        return _link_problem(link)
    if link.assisted or (link.reset.answered_at and session.get(ANSWERED_KEY) == link.reset.id):
        return _new_password(link)
    return _security_question(link)


def _security_question(link):
    form = SecurityAnswerForm()
    form.answer.label.text = link.account.question_text
    if form.validate_on_submit():
        _limit("reset-answer")
        link = recovery.check_answer(session.get(TOKEN_KEY), form.answer.data, login.origin())
        if link.problem:
            return _link_problem(link)
        if link.reset.answered_at:
            db.session.commit()
            session[ANSWERED_KEY] = link.reset.id
            return redirect(url_for("recovery.reset"))
        form.answer.errors = [_("That answer does not match the one on your account. Check it "
                                "and try again. After 5 wrong answers, reset is locked for an "
                                "hour.")]
    return render_template("recovery/question.html", form=form, account=link.account)


def _new_password(link):
    account = link.account
    form = AssistedResetForm() if link.assisted else NewPasswordForm()
    form.personal_words = account_words(account)
    if form.validate_on_submit():
        extra = {"question": form.question.data, "answer": form.answer.data} if link.assisted else {}
        link = recovery.complete_reset(session.get(TOKEN_KEY), form.password.data,
                                       login.origin(), **extra)
        if link.problem:
            return _link_problem(link)
        db.session.commit()
        session.pop(TOKEN_KEY, None)
        session.pop(ANSWERED_KEY, None)
        flash_message("password_reset_done")
        return redirect(url_for("auth.sign_in"))
    return render_template("recovery/new_password.html", form=form, assisted=link.assisted)
