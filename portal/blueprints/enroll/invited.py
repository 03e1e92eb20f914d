"""A parent or guardian (invited by the practice) or a representative (invited by the
patient) joins from the emailed invitation (services/proxies/joining.py): the link, then who
they are, then their account: the patient is added to the account they are signed in to, or
to the one their email already has once they sign in, or to a new account of their own. No
JavaScript needed.

The link's token and its kind move from the address bar to the session at once, with the
verified invitation's id beside them after the check; all survive signing in
(web/login.begin)."""

from flask import g, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...forms import ButtonForm
from ...services import access, clock
from ...services.proxies import joining, letters, representatives
from ...web import login
from ...web.guards import ACTING_KEY
from . import bp
from .invited_forms import GuardianAccountForm, GuardianIdentityForm, RepresentativeIdentityForm
from .views import portal_consent_version

INVITE_KEY = login.PROXY_INVITE_KEY


def _problem(problem, invitation=None):
    if problem == "void" and invitation is not None and invitation.void_reason == "identity_failures":
        problem = "identity_failures"
    status, title, text = page_texts.PROXY_PROBLEMS.get(problem) \
        or page_texts.INVITATION_PROBLEMS[problem]
    return render_template("enroll/problem.html", problem=problem, title=title, text=text), status


def _invitation():
    """(invitation, problem page or None) for the link this browser opened."""
    if current_user.is_authenticated and not access.is_patient(current_user):
        return None, _problem("signed_in")
    opened = session.get(INVITE_KEY) or {}
    if "letter" in opened:  # a guardian's letter's code, typed on /activate
        invitation, problem = letters.opened_letter(opened["letter"])
    else:
        invitation, problem = joining.check_link(opened.get("t"), opened.get("k"))
    if problem:
        return invitation, _problem(problem, invitation)
    return invitation, None


def _verified(invitation):
    return (session.get(INVITE_KEY) or {}).get("v") == invitation.id \
        and invitation.identity_verified_at is not None


@bp.route("/guardian")
def guardian_link():
    """A parent's or guardian's emailed link lands here."""
    return _landed("guardian")


@bp.route("/representative")
def representative_link():
    """A representative's emailed link lands here."""
    return _landed("representative")


def _landed(kind):
    if "t" in request.args:
        session[INVITE_KEY] = {"t": request.args["t"][:1000], "k": kind}
    return redirect(url_for("enroll.invited"))


@bp.route("/join", methods=["GET", "POST"])
def invited():
    """The check: a guardian types the child's date of birth and account number and their
    own date of birth; a representative the patient's date of birth and their own."""
    invitation, refused = _invitation()
    if refused:
        return refused
    if _verified(invitation):
        return redirect(url_for("enroll.invited_account"))
    guardian = session[INVITE_KEY].get("k") != "representative"
    form, failed = (GuardianIdentityForm if guardian else RepresentativeIdentityForm)(), None
    if form.validate_on_submit():
        if guardian:
            outcome = joining.check_identity(invitation, form.child_date_of_birth.data,
                                             form.account_number.data, form.date_of_birth.data,
                                             login.origin())
        else:
            outcome = representatives.check_identity(
                invitation, form.patient_date_of_birth.data, form.date_of_birth.data,
                login.origin(), clock.today(practice=g.practice))
        db.session.commit()
        if outcome == "passed":
            session[INVITE_KEY] = {**session[INVITE_KEY], "v": invitation.id}
            return redirect(url_for("enroll.invited_account"))
        if outcome not in ("failed", "too_young"):
            return _problem(outcome, invitation)
        failed = get_message(f"{'guardian' if guardian else 'representative'}_identity_"
                             f"{'failed' if outcome == 'failed' else 'too_young'}")[0]
    template = "enroll/guardian_identity.html" if guardian else "enroll/representative_identity.html"
    return render_template(template, form=form, failed=failed,
                           tries_left=joining.tries_left(invitation))


@bp.route("/join/account", methods=["GET", "POST"])
def invited_account():
    """Checked: add the child to the account signed in, or sign in to the one this email has,
    or open a new account."""
    invitation, refused = _invitation()
    if refused:
        return refused
    if not _verified(invitation):
        return redirect(url_for("enroll.invited"))
    grant, patient = joining.grant_and_patient(invitation)
    if current_user.is_authenticated:
        return _join_signed_in(invitation, patient)
    existing = joining.account_with_email(invitation.email)
    if existing is not None:
        own = existing.patient_id == patient.id  # a parent who enrolled as the child
        return render_template("enroll/guardian_sign_in.html", patient=patient, own=own)
    form = GuardianAccountForm(holder=(grant.full_name, grant.date_of_birth), email=invitation.email)
    if form.validate_on_submit():
        return _open_account(invitation, grant, patient, form)
    return render_template("enroll/guardian_account.html", form=form, grant=grant,
                           patient=patient)


def _join_signed_in(invitation, patient):
    """The signed-in account: a page to confirm, and on POST the child added to it."""
    problem = joining.join_refusal(invitation, current_user)
    if ButtonForm().validate_on_submit() and problem is None:
        grant, problem = joining.join(invitation, current_user, login.origin())
        if grant is not None:
            return _joined(patient)
        db.session.rollback()
        if problem in page_texts.INVITATION_PROBLEMS:
            return _problem(problem, invitation)
    return render_template("enroll/guardian_join.html", patient=patient, problem=problem), (
        409 if problem else 200)


def _open_account(invitation, grant, patient, form):
    """A new account for the guardian, the child added to it, and the guardian signed in."""
    origin = login.origin()
    try:
        account = joining.open_account(
            invitation, username=form.username.data, password=form.password.data,
            question=form.question.data, answer=form.answer.data,
            policy_text=portal_consent_version().body, origin=origin)
        joined, problem = joining.join(invitation, account, origin)
        if joined is None:
            db.session.rollback()
            return _problem(problem if problem in page_texts.INVITATION_PROBLEMS else "void",
                            invitation)
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        form.username.errors = [*form.username.errors, page_texts.USERNAME_JUST_TAKEN]
        return render_template("enroll/guardian_account.html", form=form, grant=grant,
                               patient=patient)
    login.begin(account)  # commits
    return _joined(patient)


def _joined(patient):
    session.pop(INVITE_KEY, None)
    session[ACTING_KEY] = patient.id
    db.session.commit()
    flash_message("proxy_joined", name=patient.first_name)
    return redirect(url_for("patient.home"))
