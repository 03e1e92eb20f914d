"""The patient's consents: the consents to sign, the health forms to fill in, and every signed
copy to download. Signing works without JavaScript; the drawing pad is extra.
The pages moved from /documents and /forms to /consents: moved.py keeps the old addresses."""

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...models.types import utcnow
from ...services import clock
from ...services.consents import blocks, documents, forms, gate, reports, signing
from ...web import kept_drafts, login
from ...web.downloads import audited
from ...web.guards import patient_required
from . import bp
from .forms import DraftForm, SignForm


def _sign(form, version, answers):
    """Sign once the form is valid: (signature, None), or (None, the problem for the error
    summary; a name problem is also put on the name field). A second copy of what the
    patient already holds is refused (see signing.sign_as_patient)."""
    try:
        signature, _created = signing.sign_as_patient(
            g.patient, form.signing_input(version), account=current_user, answers=answers,
            practice=g.practice, origin=login.origin(), only_when_due=True,
            role=None if g.chart.own else g.chart.grant.kind)
    except signing.SigningError as problem:
        db.session.rollback()
        if problem.field == "legal_name":
            form.legal_name.errors = [*form.legal_name.errors, problem.message]
            return None, None  # the summary links to the field
        return None, problem.message
    return signature, None


def _version_posted(document):
    """The version the page showed: 404 unless it is one of this document's versions."""
    version_id = request.form.get("version_id", type=int) or 0
    return documents.published_version_of(document, version_id) or abort(404)


@bp.route("/consents")
@patient_required
def index():
    patient, now = g.patient, utcnow()
    today = clock.today(now, g.practice)
    # Four queries for the page: the patient's signatures and the documents in use, read
    # once and shared by every section, then the forms' assignments and drafts.
    signed, in_use = reports.signatures_of(patient.id), documents.published()
    current = gate.current_of(signed, now)
    consents = [(document, version, current.get(document.id),
                 document.id in current and gate.in_renewal_window(current[document.id], now))
                for document, version in in_use
                if document.kind == "consent" and documents.patient_may_sign(version, patient, today)]
    return render_template(
        "consents/index.html", consents=consents,
        health_forms=forms.health_forms(patient.id, signed, in_use),
        signed=signed, renewal=gate.renewal_of(signed, now))


def _consent_to_sign(document_id, now):
    """(document, current version) of a consent in use this patient signs, else 404."""
    document = documents.document_by_id(document_id)
    if document is None or document.kind != "consent" or document.retired_at is not None:
        abort(404)
    version = documents.current_version(document)
    if version is None or not documents.patient_may_sign(version, g.patient,
                                                         clock.today(now, g.practice)):
        abort(404)
    return document, version


@bp.route("/consents/<int:document_id>/sign", methods=["GET", "POST"])
@patient_required
def sign(document_id):
    """Read and sign a consent: the page the gate sends a patient to. A consent that is
    current (and not yet in its renewal window) shows its signed copy and end date instead."""
    now = utcnow()
    document, version = _consent_to_sign(document_id, now)
    may_sign, current = gate.may_sign_consent(g.patient.id, document.id, now)
    form, changed, problem = SignForm(), False, None
    if request.method == "POST":
        if _version_posted(document).id != version.id:
            changed = True  # a new version was published while the page was open
        elif may_sign or signing.signature_for_key(form.submission_key.data or "") is not None:
            if form.validate_on_submit():
                signature, problem = _sign(form, version, answers={})
                if signature is not None:
                    db.session.commit()
                    flash_message("consent_signed", title=version.title)
                    return redirect(url_for("consents.index", signed=signature.id))
                may_sign, current = gate.may_sign_consent(g.patient.id, document.id, now)
        else:
            problem = signing.already_signed(version, current, g.practice)
    form.fresh_key()
    return render_template("consents/sign.html", form=form, document=document, version=version,
                           blocks=blocks.body_blocks(version.body), current=current,
                           may_sign=may_sign, renewal_days=gate.RENEWAL_NOTICE_DAYS,
                           renewal=gate.renewal_due(g.patient.id, now),
                           changed=changed, problem=problem,
                           gated=request.args.get("required") == "1", ticked=form.ticked())


def _save_draft(posted, version):
    """Keep the answers for later: the redirect when saved, else the answers' errors."""
    answers, errors = posted.answers.read(version, check_required=False)
    if errors:
        return None, errors
    forms.save_draft(g.patient.id, version, answers)
    db.session.commit()
    flash_message("form_draft_saved", title=version.title)
    return redirect(url_for("consents.index")), {}


def _kept_answers(document_id):
    """On the form's page (GET), the answers the idle sign-out interrupted, once (their kept
    row is deleted and committed), else None: the form then reads the request as usual."""
    if request.method != "GET":
        return None
    kept = kept_drafts.restored(login.current_session_token(), "health_form", document_id)
    if kept is not None:
        db.session.commit()
    return kept


@bp.route("/consents/forms/<int:document_id>", methods=["GET", "POST"])
@patient_required
def fill_in(document_id):
    """Fill in a health form: save a draft to come back to, or submit and sign it."""
    offered = forms.offered_form(g.patient.id, document_id) or abort(404)
    if not offered.to_fill_in:
        return _submitted(offered)
    version = offered.version
    kept = _kept_answers(document_id)
    posted = form = SignForm() if kept is None else SignForm(formdata=kept)
    errors, changed, problem = {}, False, None
    if request.method == "POST":
        if _version_posted(offered.document).id != version.id:
            changed = True
        elif request.form.get("action") == "save":
            if DraftForm().validate_on_submit():
                saved, errors = _save_draft(posted, version)
                if saved is not None:
                    return saved
            form = SignForm(formdata=None, submission_key=posted.submission_key.data)
        else:
            answers, errors = posted.answers.read(version, check_required=True)
            if form.validate_on_submit() and not errors:
                signature, problem = _sign(form, version, answers)
                if signature is not None:
                    db.session.commit()
                    flash_message("form_submitted", title=version.title)
                    return redirect(url_for("consents.index", signed=signature.id))
    form.fresh_key()
    saved = offered.draft.values if offered.draft is not None else {}
    return render_template("consents/form.html", form=form, document=offered.document,
                           version=version, blocks=blocks.body_blocks(version.body),
                           answers=posted.answers.shown(version, saved), errors=errors,
                           changed=changed, problem=problem, ticked=set())


def _submitted(offered):
    """A submitted form the practice has not asked for again: its status and signed copy,
    not a blank form. A post of it signs nothing (a second submit of the page that sent it
    lands where the first did)."""
    problem = None
    if request.method == "POST":
        done = signing.signature_for_key(request.form.get("submission_key", ""))
        if done is not None and done.patient_id == g.patient.id:
            return redirect(url_for("consents.index", signed=done.id))
        problem = forms.already_submitted(offered.version)
    return render_template("consents/form_submitted.html", document=offered.document,
                           version=offered.version, submitted=offered.submitted,
                           form=DraftForm(formdata=None), problem=problem)


@bp.route("/consents/signed/<int:signature_id>.pdf")
@patient_required
def signed_pdf(signature_id):
    """A signed copy, as stored at signing. Another patient's number is simply not found."""
    signature = reports.signature_of_patient(g.patient.id, signature_id) or abort(404)
    pdf = reports.signature_pdf(signature.id)
    return audited(pdf, reports.file_name(signature), "application/pdf", login.origin(),
                   "signature", signature.id, patient_id=signature.patient_id)

