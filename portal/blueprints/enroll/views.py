"""Enrollment pages: the patient opens the emailed link (or types the code of a printed
activation letter on /activate) and proves who they are (step 1 of 3); steps.py holds the
account (2) and the portal consent (3). No JavaScript needed. Staff send, print and revoke
invitations from the chart (staff/portal_access.py)."""

from flask import abort, redirect, render_template, request, session, url_for
from flask_login import current_user

from ... import page_texts
from ...extensions import db
from ...flash_messages import get_message
from ...services import activation, codes, enrollment, invitations
from ...services.consents import blocks, documents
from ...services.proxies import letters
from ...web import login
from . import bp
from .forms import ActivationCodeForm, IdentityForm

# The token lives in the session, not the address bar, once the emailed link is opened; the
# verified invitation's id is kept beside it after the identity check.
# A letter's code is not kept at all: once typed right, the signed session holds the id of
# its invitation instead of a token.
TOKEN_KEY = "enroll_token"  # noqa: S105 - a key name, not a secret
LETTER_KEY = "enroll_letter"
VERIFIED_KEY = "enroll_verified"
# The key to the password kept at the account step (services/enrollment.py): a random value
# whose hash sits beside the kept hash on the invitation; never the password or its hash.
KEPT_PASSWORD_KEY = "enroll_kept_password"  # noqa: S105 - a key name, not a secret


def problem_page(problem, invitation=None, letter=False):
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
        return None, problem_page("signed_in")
    if LETTER_KEY in session:
        invitation, problem = activation.opened_letter(session[LETTER_KEY])
    else:
        invitation, problem = invitations.check_link(session.get(TOKEN_KEY))
    if problem:
        return invitation, problem_page(problem, invitation, letter=LETTER_KEY in session)
    return invitation, None


def _start(key, value):
    """Begin enrollment with an emailed link's token or an opened letter: forget the other."""
    if session.get(key) != value:
        for other in (TOKEN_KEY, LETTER_KEY, VERIFIED_KEY, KEPT_PASSWORD_KEY):
            session.pop(other, None)
        session[key] = value


@bp.route("/activate", methods=["GET", "POST"])
def activate():
    """A printed activation letter's code; then the identity check, as for an emailed link."""
    if current_user.is_authenticated:
        return problem_page("signed_in", letter=True)
    form, refused = ActivationCodeForm(), None
    if form.validate_on_submit():
        origin = login.origin()
        if activation.guess_refused(origin.ip):  # per address, and wrong codes over all
            abort(429)
        invitation, problem = activation.find_letter(form.code.data)
        if problem == "unknown":  # perhaps a parent's or guardian's letter (issue 22)
            guardian, guardian_problem = letters.find_letter(codes.normalize(form.code.data))
            if guardian is not None:
                if guardian_problem:
                    return problem_page(guardian_problem, letter=True)
                session[login.PROXY_INVITE_KEY] = {"letter": guardian.id, "k": "guardian"}
                return redirect(url_for("enroll.invited"))
        if problem in ("malformed", "unknown"):
            activation.record_refused_code(problem, origin)
            db.session.commit()
            refused = get_message("activation_code_unknown")[0]
        elif problem:
            return problem_page(problem, invitation)
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
        return redirect(next_step(invitation))
    form, failed = IdentityForm(), None
    if form.validate_on_submit():
        outcome = invitations.check_identity(invitation, form.date_of_birth.data,
                                             form.account_number.data, login.origin())
        db.session.commit()
        if outcome == "passed":
            session[VERIFIED_KEY] = invitation.id
            return redirect(next_step(invitation))
        if outcome != "failed":
            return problem_page(outcome, invitation)
        failed = get_message("enroll_identity_failed")[0]
    return render_template("enroll/identity.html", form=form, failed=failed,
                           tries_left=invitations.tries_left(invitation),
                           by_letter=invitation.kind == "letter")


def verified_invitation():
    """(invitation, None) when this browser passed the identity check for the link or letter
    it opened, else (None, the problem page or a redirect to the identity check)."""
    invitation, refused = _current_invitation()
    if refused:
        return None, refused
    if session.get(VERIFIED_KEY) != invitation.id or not invitation.identity_verified_at:
        return None, redirect(url_for("enroll.identity"))
    return invitation, None


def next_step(invitation):
    """Where a verified enrollment goes on: the consent once the account step was kept
    (a patient who comes back to the link resumes there), else the account step."""
    kept = enrollment.saved_account(invitation) is not None
    return url_for("enroll.consent" if kept else "enroll.account")


def portal_consent_version():
    """The portal consent's current version; 503 before `portal setup` made the defaults
    (no one can join a portal without its consent)."""
    found = documents.portal_consent()
    if found is None:
        abort(503)
    return found[1]


@bp.route("/policy")
def policy():
    """The portal consent, which holds the portal policy, as a page to read or print."""
    version = portal_consent_version()
    return render_template("enroll/policy.html", version=version,
                           blocks=blocks.body_blocks(version.body))
