"""Enrollment pages: the patient opens the emailed link (or types the code of a printed
activation letter on /activate), proves who they are, and sets up their account (no
JavaScript needed). Staff send, print and revoke invitations from the chart
(staff/portal_access.py)."""

from flask import abort, g, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...services import activation, invitations, profile
from ...services.accounts import account_for_patient
from ...services.consents import blocks, documents, signing
from ...web import login
from . import bp
from .forms import ActivationCodeForm, EnrollAccountForm, IdentityForm, LetterAccountForm

# The token lives in the session, not the address bar, once the emailed link is opened; the
# verified invitation's id is kept beside it after the identity check.
# A letter's code is not kept at all: once typed right, the signed session holds the id of
# its invitation instead of a token.
TOKEN_KEY = "enroll_token"  # noqa: S105 - a key name, not a secret
LETTER_KEY = "enroll_letter"
VERIFIED_KEY = "enroll_verified"


def _problem(problem, invitation=None, letter=False):
    """The page for a link or code that cannot be used, saying what to do instead (in the
    words of a letter's code when `letter` or the invitation is one)."""
    if problem == "void" and invitation is not None and invitation.void_reason == "identity_failures":
        problem = "identity_failures"
    letter = letter or (invitation is not None and invitation.kind == "letter")
    texts = page_texts.LETTER_PROBLEMS if letter else page_texts.INVITATION_PROBLEMS
    status, title, text = texts.get(problem) or page_texts.INVITATION_PROBLEMS[problem]
    return render_template("enroll/problem.html", problem=problem, title=title, text=text), status


def _current_invitation():
    """(invitation, problem page or None) for the link or letter this browser opened."""
    if current_user.is_authenticated:
        return None, _problem("signed_in")
    if LETTER_KEY in session:
        invitation, problem = activation.opened_letter(session[LETTER_KEY])
    else:
        invitation, problem = invitations.check_link(session.get(TOKEN_KEY))
    if problem:
        return invitation, _problem(problem, invitation, letter=LETTER_KEY in session)
    return invitation, None


def _start(key, value):
    """Begin enrollment with an emailed link's token or an opened letter: forget the other."""
    if session.get(key) != value:
        for other in (TOKEN_KEY, LETTER_KEY, VERIFIED_KEY):
            session.pop(other, None)
        session[key] = value


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    """A printed activation letter's code; then the identity check, as for an emailed link."""
    if current_user.is_authenticated:
        return _problem("signed_in", letter=True)
    form, refused = ActivationCodeForm(), None
    if form.validate_on_submit():
        origin = login.origin()
        if activation.guess_refused(origin.ip):  # per address, and wrong codes over all
            abort(429)
        invitation, problem = activation.find_letter(form.code.data)
        if problem in ("malformed", "unknown"):
            activation.record_refused_code(problem, origin)
            db.session.commit()
            refused = get_message("activation_code_unknown")[0]
        elif problem:
            return _problem(problem, invitation)
        else:
            _start(LETTER_KEY, invitation.id)
            return redirect(url_for("enroll.identity"))
    return render_template("enroll/activate.html", form=form, refused=refused), (
        400 if refused else 200)


@bp.route("/enroll", methods=["GET", "POST"])
def identity():
    """The emailed link lands here; then step one, the identity check."""
    if request.method == "GET" and "t" in request.args:
        _start(TOKEN_KEY, request.args["t"][:1000])
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
                           tries_left=invitations.tries_left(invitation),
                           by_letter=invitation.kind == "letter")


def _portal_consent_version():
    """The portal consent's current version; 503 before `portal setup` made the defaults
    (no one can join a portal without its consent)."""
    found = documents.portal_consent()
    if found is None:
        abort(503)
    return found[1]


@bp.route("/enroll/account", methods=["GET", "POST"])
def account():
    """Step two, once the identity check passed in this browser: the account itself."""
    invitation, refused = _current_invitation()
    if refused:
        return refused
    if session.get(VERIFIED_KEY) != invitation.id or not invitation.identity_verified_at:
        return redirect(url_for("enroll.identity"))
    patient = invitations.invitation_patient(invitation)
    version = _portal_consent_version()
    form = (LetterAccountForm if invitation.kind == "letter" else EnrollAccountForm)(
        patient=patient, email=invitation.email)
    signing_problem = None
    if form.validate_on_submit():
        created, problem, signing_problem = _enroll(invitation, patient, form, version)
        if problem:
            return _problem(problem, invitation)
        if created:
            return _enrolled(form)
    form.fresh_key()
    return render_template("enroll/account.html", form=form, patient=patient, version=version,
                           blocks=blocks.body_blocks(version.body), problem=signing_problem,
                           ticked=form.ticked(),
                           strength=form.strength_note() if form.is_submitted() else None)


def _enroll(invitation, patient, form, version):
    """Open the account and sign the portal consent with it, committing once (the account
    and its first signature stand or fall together): (account or None, problem for the
    problem page or None, signing problem for the form or None)."""
    origin = login.origin()
    try:
        created, problem = invitations.enroll(
            invitation, username=form.username.data, password=form.password.data,
            question=form.question.data, answer=form.answer.data, policy_text=version.body,
            origin=origin)
        if created:
            signing.sign_as_patient(patient, form.signing_input(version), account=created,
                                    answers={}, practice=g.practice, origin=origin)
            if form.address_to_confirm():
                profile.request_email_change(created, form.address_to_confirm(), origin)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None, _integrity_problem(form, patient), None
    except signing.SigningError as refused:
        db.session.rollback()
        return None, None, refused.message
    return created, problem, None


def _enrolled(form):
    """The account is open: forget the enrollment and send the patient to sign in."""
    for key in (TOKEN_KEY, LETTER_KEY, VERIFIED_KEY):
        session.pop(key, None)
    flash_message("enroll_account_ready")
    if form.address_to_confirm():
        flash_message("activation_email_sent", email=form.address_to_confirm())
    return redirect(url_for("auth.sign_in"))


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
    version = _portal_consent_version()
    return render_template("enroll/policy.html", version=version,
                           blocks=blocks.body_blocks(version.body))
