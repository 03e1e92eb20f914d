"""Consents and health forms on the staff side: a chart's signed PDFs and scans, printing a
consent for a wet signature and recording it, assigning and reviewing health forms, the
practice-wide consent lists, the batch print and the verification of a code or a PDF.

A blueprint nested in the staff one ("staff.consents.*", URLs under /staff), so the nav can
tell these pages from the patient list.
"""

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm
from ...models.consents import SIGNER_ROLES
from ...models.types import utcnow
from ...services import clock
from ...services.consents import batch as consent_batch
from ...services.consents import blocks, documents, forms, reports, signing, verification
from ...services.pdf import render_pdf
from ...web import login
from ...web.downloads import attachment, audited
from ...web.filters import practice_zone
from ...web.guards import chart_or_404, staff_required
from ...web.paging import requested_page
from . import bp
from .consent_forms import AssignFormForm, BatchPrintForm, PaperSignatureForm, VerifyForm

consents_bp = Blueprint("consents", __name__)
SCAN_SUFFIXES = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


def _to_chart(patient_id):
    return redirect(url_for("staff.chart_consents", patient_id=patient_id))


def _signature_or_404(patient_id, signature_id):
    """A signature of a chart the staff member may see; another patient's id is 404."""
    patient = chart_or_404(patient_id)
    return reports.signature_of_patient(patient.id, signature_id) or abort(404)


def _consent_or_404(patient_id, document_id):
    """(patient, document, version) of a consent in use that is for this patient, else 404."""
    patient = chart_or_404(patient_id)
    found = documents.published_consent(document_id)
    today = clock.today(practice=g.practice)
    if found is None or not documents.applies_to(found[1], patient, today):
        abort(404)
    return patient, *found


# --- One chart: files, wet signatures, health forms -----------------------------------------

@consents_bp.route("/patients/<int:patient_id>/signatures/<int:signature_id>.pdf")
@staff_required()
def signature_pdf(patient_id, signature_id):
    """The stored PDF of a signature, checked against its SHA-256, as a download."""
    signature = _signature_or_404(patient_id, signature_id)
    try:
        pdf = reports.stored_pdf(signature, login.origin())
    except reports.StoredFileDamaged:
        db.session.commit()
        flash_message("signature_damaged")
        return _to_chart(patient_id)
    return audited(pdf, reports.file_name(signature), "application/pdf", login.origin(),
                   "signature", signature.id, patient_id=signature.patient_id)


@consents_bp.route("/patients/<int:patient_id>/signatures/<int:signature_id>/scan/download")
@staff_required()
def signature_scan(patient_id, signature_id):
    """The scan attached to a paper signature, as a download."""
    signature = _signature_or_404(patient_id, signature_id)
    data, content_type = reports.stored_scan(signature) or abort(404)
    name = reports.file_name(signature, f"scan.{SCAN_SUFFIXES.get(content_type, 'bin')}")
    return audited(data, name, content_type, login.origin(), "signature_scan", signature.id,
                   patient_id=signature.patient_id, file_format=content_type)


@consents_bp.route("/patients/<int:patient_id>/consents/<int:document_id>/wet-signature.pdf")
@staff_required()
def wet_signature_pdf(patient_id, document_id):
    """The consent to print and sign by hand, with the patient's details filled in."""
    patient, _document, version = _consent_or_404(patient_id, document_id)
    pdf = render_pdf("wet_signature", title=version.title, practice=g.practice,
                     footer=f"{patient.full_name} · {patient.account_number} · "
                            f"{_('Version')} {version.number}",
                     subject=f"{version.title}, version {version.number}",
                     patient=patient, version=version, blocks=blocks.body_blocks(version.body),
                     signer_roles=[str(label) for label in SIGNER_ROLES.values()])
    return audited(pdf, reports.wet_form_file_name(patient, g.practice), "application/pdf",
                   login.origin(), "wet_signature_form", version.id, patient_id=patient.id)


@consents_bp.route("/patients/<int:patient_id>/consents/<int:document_id>/paper",
                   methods=["GET", "POST"])
@staff_required()
def paper_signature(patient_id, document_id):
    """Record a consent signed on paper, with its scan if there is one."""
    patient, document, version = _consent_or_404(patient_id, document_id)
    today = clock.today(practice=g.practice)
    # A minor's consent is usually signed by a parent: then the name is theirs to type.
    for_minor = not documents.is_adult(patient, today) or version.signers == "guardians_of_minors"
    form = PaperSignatureForm(signer_name="" if for_minor else patient.full_name,
                              signer_role="guardian" if for_minor else "patient",
                              version_id=str(version.id))
    form.today = today
    problem = None
    if form.validate_on_submit():
        recorded, problem = _record_paper(form, patient, version)
        if recorded:
            db.session.commit()
            flash_message("paper_signature_recorded", title=version.title)
            return _to_chart(patient.id)
        db.session.rollback()
    return render_template("staff/consents/paper.html", form=form, patient=patient,
                           document=document, version=version, problem=problem)


def _record_paper(form, patient, version):
    """Check the scan and record the signature, not committed: (recorded, problem). A scan
    refused is an error on its field; anything else is a problem for the summary."""
    if form.version_id.data != str(version.id):
        form.version_id.data = str(version.id)
        return False, _("A new version of this consent was published since this page was "
                        "opened. Check that the paper is version %(number)d.", number=version.number)
    upload = form.scan.data
    try:
        scan, scan_type = signing.check_scan(upload.read() if upload else b"",
                                             upload.filename if upload else "")
    except signing.SigningError as error:
        form.scan.errors = [str(error)]
        return False, None
    try:
        signing.record_paper(patient, version,
                             signer=signing.Signer(form.signer_name.data, form.signer_role.data),
                             signed_on=form.signed_on.data, scan=scan, scan_type=scan_type,
                             practice=g.practice, origin=login.origin())
    except signing.SigningError as error:
        return False, str(error)
    return True, None


@consents_bp.route("/patients/<int:patient_id>/forms/assign", methods=["POST"])
@staff_required()
def assign_form(patient_id):
    """Ask the patient to fill in a health form (once: an open assignment is not repeated)."""
    patient = chart_or_404(patient_id)
    form = AssignFormForm()
    form.document_id.choices = [(document.id, version.title)
                                for document, version in documents.published_forms()]
    if not form.validate_on_submit():
        flash_message("form_assign_choose")
        return _to_chart(patient.id)
    _assignment, created = forms.assign_form(patient, form.document_id.data,
                                                       current_user, login.origin())
    db.session.commit()
    flash_message("form_assigned" if created else "form_already_assigned")
    return _to_chart(patient.id)


# --- The practice: lists, batch print, verification ----------------------------------------

@consents_bp.route("/consents")
@staff_required()
def overview():
    """Every consent in use: signed, missing and ending soon; then the latest signatures."""
    summary = reports.consent_summary()
    soon = reports.expiring()
    recent = reports.recent_signatures(requested_page())
    shown = dict.fromkeys([patient.id for _s, patient, _v in soon] +
                          [patient.id for _s, patient, _v in recent.items])
    reports.record_listed("consent.report_viewed", shown, recent.page, login.origin())
    # Drawn before the commit, which would expire the rows and reload each one (N+1).
    body = render_template("staff/consents/overview.html", summary=summary, soon=soon,
                           recent=recent, now=utcnow(), zone=practice_zone(),
                           days_left=reports.days_left,
                           notice_days=reports.NOTICE_DAYS)
    db.session.commit()
    return body


@consents_bp.route("/consents/<int:document_id>/missing")
@staff_required()
def missing(document_id):
    """The active patients a consent is for who have not signed it (or whose signature ended)."""
    found = documents.published_consent(document_id) or abort(404)
    page = reports.missing_patients(found[1], requested_page())
    reports.record_listed("consent.missing_viewed", [p.id for p in page.items],
                                  page.page, login.origin(), object_id=document_id)
    body = render_template("staff/consents/missing.html", document=found[0], version=found[1],
                           page=page)
    db.session.commit()
    return body


@consents_bp.route("/consents/batch", methods=["GET", "POST"])
@staff_required()
def batch():
    """One PDF of every consent signed on the chosen days, for the paper charts (a POST: it is
    an export on the audit trail, and the answer is the file itself). The days start as
    today in the practice's zone."""
    today = clock.today(practice=g.practice)
    form = BatchPrintForm(first=today, last=today)
    problem = None
    if form.validate_on_submit():
        pdf, count = consent_batch.batch_pdf(form.first.data, form.last.data, g.practice,
                                             login.origin())
        if pdf is not None:
            db.session.commit()
            name = f"consents-{form.first.data.isoformat()}-to-{form.last.data.isoformat()}.pdf"
            return attachment(pdf, name, "application/pdf")
        problem = (_("No consents were signed on those days, so there is nothing to print.")
                   if count == 0 else
                   _("%(count)d consents were signed on those days; print at most %(most)d at a "
                     "time. Choose fewer days.", count=count, most=consent_batch.MAX_BATCH))
    return render_template("staff/consents/batch.html", form=form, problem=problem)


@consents_bp.route("/consents/verify", methods=["GET", "POST"])
@staff_required()
def verify():
    """What a verification code, or an uploaded PDF, proves about a signed document."""
    form = VerifyForm()
    found = checked = None
    if form.validate_on_submit():
        if form.upload.data:
            checked = verification.check_upload(form.upload.data.read())
            found = checked.found
            verification.record_verified(
                login.origin(), found, "upload",
                f"result: {checked.problem or ('identical' if checked.identical else 'different')}"
                f"; seal: {'intact' if checked.seal_intact else 'not intact'}")
        else:
            found = verification.find_by_code(form.code.data)
            verification.record_verified(login.origin(), found, "code",
                                            "" if found else "result: unknown_code")
        body = render_template("staff/consents/verify.html", form=form, found=found,
                               checked=checked, searched=True,
                               show_code=signing.show_code)
        db.session.commit()
        return body
    return render_template("staff/consents/verify.html", form=form, found=None, checked=None,
                           searched=False, show_code=signing.show_code)


# --- Health form review ---------------------------------------------------------------------

@consents_bp.route("/forms/review")
@staff_required()
def review_forms():
    """Submitted health forms waiting for review, oldest first (or, ?show=reviewed, those
    already reviewed)."""
    reviewed = request.args.get("show") == "reviewed"
    page = forms.forms_for_review(reviewed, requested_page())
    reports.record_listed("form.review_list_viewed",
                                  dict.fromkeys(p.id for _s, p, _v, _r in page.items),
                                  page.page, login.origin())
    body = render_template("staff/consents/review.html", page=page, reviewed=reviewed)
    db.session.commit()
    return body


@consents_bp.route("/patients/<int:patient_id>/forms/<int:signature_id>/reviewed",
                   methods=["POST"])
@staff_required()
def mark_reviewed(patient_id, signature_id):
    """Mark one submitted health form reviewed by the signed-in staff member."""
    patient = chart_or_404(patient_id)
    signature = forms.form_of_patient(patient.id, signature_id) or abort(404)
    if not ButtonForm().validate_on_submit():
        abort(400)
    done = forms.mark_reviewed(signature, current_user, login.origin())
    db.session.commit()
    flash_message("form_reviewed" if done else "form_already_reviewed")
    return redirect(url_for("staff.consents.review_forms"))


bp.register_blueprint(consents_bp)
