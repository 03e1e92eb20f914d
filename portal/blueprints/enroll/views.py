"""Enrollment pages: staff send or revoke an invitation from the chart; the patient opens the
emailed link, proves who they are, and sets up their account (no JavaScript needed)."""

from flask import g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...services import documents, invitations, signing
from ...services.accounts import account_for_patient
from ...web import login
from . import bp
from .forms import EnrollAccountForm, IdentityForm

# The token lives in the session, not the address bar, once the emailed link is opened; the
# verified invitation's id is kept beside it after the identity check.
TOKEN_KEY = "enroll_token"  # noqa: S105 - a key name, not a secret
VERIFIED_KEY = "enroll_verified"

def _problem(problem, invitation=None):
    """The page for a link that cannot be used, saying what to do instead."""
    if problem == "void" and invitation is not None and invitation.void_reason == "identity_failures":
        problem = "identity_failures"
    status, title, text = page_texts.INVITATION_PROBLEMS[problem]
    return render_template("enroll/problem.html", problem=problem, title=title, text=text), status


def _current_invitation():
    """(invitation, problem page or None) for the token this browser opened."""
    if current_user.is_authenticated:
        return None, _problem("signed_in")
    invitation, problem = invitations.check_link(session.get(TOKEN_KEY))
    if problem:
        return invitation, _problem(problem, invitation)
    return invitation, None


@bp.route("/enroll", methods=["GET", "POST"])
def identity():
    """The emailed link lands here; then step one, the identity check."""
    if request.method == "GET" and "t" in request.args:
        if session.get(TOKEN_KEY) != request.args["t"]:
            session[TOKEN_KEY] = request.args["t"][:1000]
            session.pop(VERIFIED_KEY, None)
        return redirect(url_for("enroll.identity"))
    invitation, refused = _current_invitation()
    if refused:
        return refused
    invitations.mark_opened(invitation, login.origin())
    db.session.commit()
    if session.get(VERIFIED_KEY) == invitation.id and invitation.identity_verified_at:
        return redirect(url_for("enroll.account"))
    form, failed = IdentityForm(), None
    if form.validate_on_submit():
        outcome = invitations.check_identity(invitation, form.date_of_birth.data,
                                             form.account_number.data, login.origin())
        db.session.commit()
        if outcome == "passed":
            session[VERIFIED_KEY] = invitation.id
            return redirect(url_for("enroll.account"))
        if outcome != "failed":
            return _problem(outcome, invitation)
        failed = get_message("enroll_identity_failed")[0]
    return render_template("enroll/identity.html", form=form, failed=failed,
                           tries_left=invitations.tries_left(invitation))


@bp.route("/enroll/account", methods=["GET", "POST"])
def account():
    """Step two, once the identity check passed in this browser: the account itself."""
    invitation, refused = _current_invitation()
    if refused:
        return refused
    if session.get(VERIFIED_KEY) != invitation.id or not invitation.identity_verified_at:
        return redirect(url_for("enroll.identity"))
    patient = invitations.invitation_patient(invitation)
    _document, version = documents.portal_consent()
    db.session.commit()  # the default documents stand, whatever happens to the account below
    form = EnrollAccountForm(patient=patient, email=invitation.email)
    signing_problem = None
    if form.validate_on_submit():
        try:
            created, problem = invitations.enroll(
                invitation, username=form.username.data, password=form.password.data,
                question=form.question.data, answer=form.answer.data,
                consent=_consent_input(form, version), practice=g.practice,
                origin=login.origin())
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            created, problem = None, _integrity_problem(form, patient)
        except signing.SigningError as refused:
            db.session.rollback()
            created, problem, signing_problem = None, None, refused.message
        if problem:
            return _problem(problem, invitation)
        if created:
            session.pop(TOKEN_KEY, None)
            session.pop(VERIFIED_KEY, None)
            flash_message("enroll_account_ready")
            return redirect(url_for("auth.sign_in"))
    if not form.submission_key.data:
        form.submission_key.data = signing.new_submission_key()
    return render_template("enroll/account.html", form=form, patient=patient, version=version,
                           blocks=documents.body_blocks(version.body), problem=signing_problem,
                           ticked=form.ticked(),
                           strength=form.strength_note() if form.is_submitted() else None)


def _consent_input(form, version):
    """The portal consent as the patient signed it on the account page."""
    return signing.ConsentInput(
        version=version, name=form.legal_name.data,
        attestations=form.ticked_statements(version),
        drawing=signing.clean_drawing(form.drawing.data),
        submission_key=form.submission_key.data or signing.new_submission_key())


def _integrity_problem(form, patient):
    """After a unique-constraint clash: the patient has an account by now ("used"), or someone
    else took the username a moment ago (said next to the field; None)."""
    if account_for_patient(patient.id) is not None:
        return "used"
    form.username.errors = [*form.username.errors, _l("That username was just taken. Try another.")]
    return None


@bp.route("/policy")
def policy():
    """The portal consent, which holds the portal policy, as a page to read or print."""
    _document, version = documents.portal_consent()
    db.session.commit()  # the default documents, made the first time they are asked for
    return render_template("enroll/policy.html", version=version,
                           blocks=documents.body_blocks(version.body))
