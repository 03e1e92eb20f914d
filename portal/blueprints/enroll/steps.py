"""Enrollment's steps 2 and 3, once the identity check passed in this browser: the account
(kept as a pending account once valid), then the portal consent, after which the patient is
signed in as a sign-in would (services/enrollment.py says what is kept when)."""

from flask import g, redirect, render_template, session, url_for
from sqlalchemy.exc import IntegrityError

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message
from ...services import enrollment, invitations, profile, signin
from ...services.accounts import account_for_patient
from ...services.consents import blocks, signing
from ...web import login
from . import bp
from .forms import AccountForm, ConsentForm, LetterAccountForm
from .views import KEPT_PASSWORD_KEY, next_step, portal_consent_version, problem_page, verified_invitation


@bp.route("/enroll/account", methods=["GET", "POST"])
def account():
    """Step two: username, password and security question. Once valid they are kept (a
    pending account) and the consent comes next; a kept account's details can be changed.
    Refused for another field, a password that passed every rule is kept for this browser."""
    invitation, refused = verified_invitation()
    if refused:
        return refused
    patient, saved = invitations.invitation_patient(invitation), enrollment.saved_account(invitation)
    kept_hash = enrollment.kept_password(invitation, session.get(KEPT_PASSWORD_KEY))
    form = (LetterAccountForm if invitation.kind == "letter" else AccountForm)(
        patient=patient, email=invitation.email, account_id=saved.id if saved else None,
        password_kept=kept_hash is not None)
    if saved is not None and not form.is_submitted():
        form.username.data = saved.username
        if hasattr(form, "email"):
            form.email.data = saved.email_to_confirm
    if form.validate_on_submit():
        problem = _keep_account(invitation, patient, form,
                                kept_hash if form.uses_kept_password() else None)
        if problem:
            return problem_page(problem, invitation)
        if not form.errors:
            session.pop(KEPT_PASSWORD_KEY, None)
            return redirect(url_for("enroll.consent"))
    if form.is_submitted() and form.password_passed() and "csrf_token" not in form.errors:
        session[KEPT_PASSWORD_KEY] = enrollment.keep_password(invitation, form.password.data)
        db.session.commit()
        form.password_kept = True
    return render_template("enroll/account.html", form=form, patient=patient, saved=saved,
                           strength=form.strength_note() if form.is_submitted() else None)


def _keep_account(invitation, patient, form, kept_hash):
    """Keep the account step, committing it: a problem for the problem page, or None (a
    username taken in the same moment goes on its field). `kept_hash` is the kept password,
    when the boxes were left empty for it."""
    try:
        _, problem = enrollment.save_account(
            invitation, username=form.username.data, password=form.password.data,
            password_hash=kept_hash, question=form.question.data, answer=form.answer.data,
            email_to_confirm=form.address_to_confirm(), origin=login.origin())
        if problem:
            db.session.rollback()
            return problem
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        if account_for_patient(patient.id) is not None:
            return "used"
        form.username.errors = [*form.username.errors,
                                page_texts.USERNAME_JUST_TAKEN]
    return None


@bp.route("/enroll/consent", methods=["GET", "POST"])
def consent():
    """Step three: read and sign the portal consent. Signing opens the account and signs
    the patient in; a wrong name is shown on its field, and the password is never asked
    again."""
    invitation, refused = verified_invitation()
    if refused:
        return refused
    kept = enrollment.saved_account(invitation)
    if kept is None:
        return redirect(next_step(invitation))
    patient, version = invitations.invitation_patient(invitation), portal_consent_version()
    form, signing_problem = ConsentForm(patient=patient), None
    if form.validate_on_submit():
        try:
            return _finish(invitation, patient, kept, form, version)
        except signing.SigningError as error:
            db.session.rollback()
            signing_problem = error.message
    form.fresh_key()
    return render_template("enroll/consent.html", form=form, patient=patient, version=version,
                           blocks=blocks.body_blocks(version.body), problem=signing_problem,
                           ticked=form.ticked())


def _finish(invitation, patient, kept, form, version):
    """Sign the consent with the kept account, open it, and sign the patient in: one commit
    (login.begin makes the fresh session, as sign-in does). Raises signing.SigningError."""
    origin = login.origin()
    address, problem = enrollment.finish(invitation, kept, policy_text=version.body,
                                         origin=origin)
    if problem:
        db.session.rollback()
        return problem_page(problem, invitation)
    signing.sign_as_patient(patient, form.signing_input(version), account=kept, answers={},
                            practice=g.practice, origin=origin)
    if address:
        profile.request_email_change(kept, address, origin)
    signin.signed_in_by_enrollment(kept, origin)
    login.begin(kept)
    flash_message("enroll_finished")
    if address:
        flash_message("enroll_email_to_confirm", email=address)
    return redirect(url_for("patient.home"))
