"""The patient's documents: the consents to sign, the health forms to fill in, and every
signed copy to download. Signing works without JavaScript; the drawing pad is extra."""

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...models import Document, DocumentVersion
from ...models.types import utcnow
from ...services import audit, documents, signing
from ...web import login
from ...web.downloads import attachment
from ...web.guards import patient_required
from . import bp
from .forms import DraftForm, SignForm


def _signer():
    return signing.Signer(name=request.form.get("legal_name", ""), role="patient", account=current_user)


def _sign(form, patient, version, answers):
    """Sign once the form is valid: (signature, None), or (None, the problem for the error
    summary; a name problem is also put on the name field)."""
    try:
        drawing = signing.clean_drawing(form.drawing.data)
        signature, _created = signing.sign(
            patient, version, signer=_signer(), answers=answers, attestations=form.ticked_statements(version),
            drawing=drawing, submission_key=form.submission_key.data, practice=g.practice,
            origin=login.origin())
    except signing.SigningError as problem:
        if problem.field == "legal_name":
            form.legal_name.errors = [*form.legal_name.errors, problem.message]
            return None, None  # the summary links to the field
        return None, problem.message
    return signature, None


def _fresh_key(form):
    if not form.submission_key.data:
        form.submission_key.data = signing.new_submission_key()


def _version_posted(document):
    """The version the page showed: 404 unless it is one of this document's versions."""
    version = db.session.get(DocumentVersion, request.form.get("version_id", type=int) or 0)
    if version is None or version.document_id != document.id or version.is_draft:
        abort(404)
    return version


@bp.route("/documents")
@patient_required
def index():
    patient, now = current_user.patient, utcnow()
    today = signing.local_today(now)
    current = signing.current_signatures(patient.id, now)
    consents = [(document, version, current.get(document.id))
                for document, version in documents.published("consent")
                if documents.patient_may_sign(version, patient, today)]
    return render_template(
        "documents/index.html", consents=consents, health_forms=signing.forms_offered(patient.id),
        signed=signing.signatures_of(patient.id), renewal=signing.renewal_due(patient.id, now))


@bp.route("/documents/<int:document_id>/sign", methods=["GET", "POST"])
@patient_required
def sign(document_id):
    """Read and sign a consent: the page the gate sends a patient to."""
    patient, now = current_user.patient, utcnow()
    document = db.session.get(Document, document_id)
    if document is None or document.kind != "consent" or document.retired_at is not None:
        abort(404)
    version = documents.current_version(document)
    if version is None or not documents.patient_may_sign(version, patient,
                                                         signing.local_today(now)):
        abort(404)
    form, changed, problem = SignForm(), False, None
    if request.method == "POST":
        if _version_posted(document).id != version.id:
            changed = True  # a new version was published while the page was open
        elif form.validate_on_submit():
            signature, problem = _sign(form, patient, version, answers={})
            if signature is not None:
                db.session.commit()
                flash_message("consent_signed", title=version.title)
                return redirect(url_for("documents.index", signed=signature.id))
    _fresh_key(form)
    current = signing.current_signatures(patient.id, now).get(document.id)
    return render_template("documents/sign.html", form=form, document=document, version=version,
                           blocks=documents.body_blocks(version.body), current=current,
                           renewal=signing.renewal_due(patient.id, now), changed=changed,
                           problem=problem,
                           gated=request.args.get("required") == "1",
                           ticked=form.ticked())


@bp.route("/forms/<int:document_id>", methods=["GET", "POST"])
@patient_required
def fill_in(document_id):
    """Fill in a health form: save a draft to come back to, or submit and sign it."""
    patient = current_user.patient
    offered = signing.offered_form(patient.id, document_id)
    if offered is None:
        abort(404)
    version = offered.version
    answers = offered.draft.values if offered.draft is not None else {}
    form, errors, changed, problem = SignForm(), {}, False, None
    if request.method == "POST":
        if _version_posted(offered.document).id != version.id:
            changed = True
        elif request.form.get("action") == "save":
            if DraftForm().validate_on_submit():
                answers, errors = documents.read_answers(version, request.form, check_required=False)
                if not errors:
                    signing.save_draft(patient.id, version, answers)
                    db.session.commit()
                    flash_message("form_draft_saved", title=version.title)
                    return redirect(url_for("documents.index"))
            form = SignForm(formdata=None, submission_key=request.form.get("submission_key"))
        else:
            answers, errors = documents.read_answers(version, request.form, check_required=True)
            if form.validate_on_submit() and not errors:
                signature, problem = _sign(form, patient, version, answers)
                if signature is not None:
                    db.session.commit()
                    flash_message("form_submitted", title=version.title)
                    return redirect(url_for("documents.index", signed=signature.id))
    _fresh_key(form)
    return render_template("documents/form.html", form=form, document=offered.document,
                           version=version, blocks=documents.body_blocks(version.body),
                           answers=_shown_answers(version, answers), errors=errors, changed=changed,
                           problem=problem, ticked=set())


def _shown_answers(version, answers):
    """What the inputs show: the typed values again after a refused submit, else the draft.
    A date is shown as its three parts."""
    shown = {}
    for field in version.fields:
        name, key = field["name"], f"f_{field['name']}"
        if request.method != "POST":
            value = answers.get(name, [] if field["type"] == "multiple_choice" else "")
            if field["type"] == "date":
                year, month, day = value.split("-") if value else ("", "", "")
                value = {"month": month, "day": day, "year": year}
            shown[name] = value
        elif field["type"] == "multiple_choice":
            shown[name] = request.form.getlist(key)
        elif field["type"] == "date":
            shown[name] = {part: request.form.get(f"{key}_{part}", "")
                           for part in ("month", "day", "year")}
        else:
            shown[name] = request.form.get(key, "")
    return shown


@bp.route("/documents/signed/<int:signature_id>.pdf")
@patient_required
def signed_pdf(signature_id):
    """A signed copy, as stored at signing. Another patient's number is simply not found."""
    signature = signing.signature_of_patient(current_user.patient_id, signature_id)
    if signature is None:
        abort(404)
    pdf = signing.signature_pdf(signature.id)
    audit.record_export(login.origin(), "signature", signature.id,
                        patient_id=signature.patient_id, file_format="pdf", byte_count=len(pdf))
    db.session.commit()
    return attachment(pdf, f"{signature.kind}-{signature.verification_code}.pdf", "application/pdf")
