"""Health forms a patient fills in: the forms offered to them, their saved drafts, and on the
staff side the review list and assigning a form to a patient."""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from ...database import lock_for_write
from ...extensions import db
from ...models import Document, DocumentVersion, FormAssignment, FormDraft, Patient, Signature, StaffUser
from ...models.types import utcnow
from .. import audit, patient_notices, permissions
from ..paging import page_of
from . import documents, reports


@dataclass(frozen=True)
class OfferedForm:
    """A health form shown to a patient: their saved draft, whether staff asked for it (an
    open assignment), and their latest submitted copy, if any."""

    document: Document
    version: DocumentVersion
    draft: FormDraft | None
    assigned: bool
    submitted: Signature | None = None

    @property
    def to_fill_in(self):
        """Whether the patient may fill it in now (see may_fill_in)."""
        return may_fill_in(self.document, self.assigned, self.submitted)


def may_fill_in(document, assigned, submitted):
    """The one rule of a new copy: a form staff asked for (an open assignment: submitting
    closes every open one, so it always came after the last copy), or a form for everyone
    that the patient has not submitted yet. A submitted form is otherwise done."""
    return assigned or (document.available_to_all and submitted is None)


# The consents and forms pages run these on every view: each built once, the patient a
# parameter.
_SUBMISSIONS = (select(Signature).where(Signature.patient_id == bindparam("patient_id"),
                                        Signature.kind == "form")
                .order_by(Signature.signed_at, Signature.id))
_OPEN_ASSIGNMENTS = select(FormAssignment.document_id).where(
    FormAssignment.patient_id == bindparam("patient_id"), FormAssignment.completed_at.is_(None))
_DRAFTS = select(FormDraft).where(FormDraft.patient_id == bindparam("patient_id"))


def latest_submissions(patient_id):
    """{document id: the patient's latest submitted copy} of every health form (one query)."""
    rows = db.session.scalars(_SUBMISSIONS, {"patient_id": patient_id})
    return {row.document_id: row for row in rows}


def _open_assignments(patient_id):
    return set(db.session.scalars(_OPEN_ASSIGNMENTS, {"patient_id": patient_id}))


def health_forms(patient_id, signatures=None, in_use=None):
    """Every health form in use that concerns this patient: for everyone, assigned to them,
    or submitted by them, with its draft and latest copy (four queries, whatever the number
    of forms; two when the page has read the patient's signatures, newest first with their
    versions, and the documents in use already)."""
    assigned = _open_assignments(patient_id)
    drafts = {draft.document_id: draft
              for draft in db.session.scalars(_DRAFTS, {"patient_id": patient_id})}
    if signatures is None:
        submitted = latest_submissions(patient_id)
    else:
        submitted = {}
        for signature, _version in signatures:
            if signature.kind == "form":
                submitted.setdefault(signature.document_id, signature)
    return [OfferedForm(document, version, drafts.get(document.id), document.id in assigned,
                        submitted.get(document.id))
            for document, version in (documents.published("form") if in_use is None else in_use)
            if document.kind == "form" and (document.available_to_all or document.id in assigned
                                            or document.id in submitted)]


def forms_offered(patient_id):
    """The health forms this patient may fill in now (see may_fill_in), with any saved draft."""
    return [offered for offered in health_forms(patient_id) if offered.to_fill_in]


def offered_form(patient_id, document_id):
    """The health form with this id as health_forms shows it (to fill in, or submitted),
    else None: a form that does not concern the patient is not found."""
    for offered in health_forms(patient_id):
        if offered.document.id == document_id:
            return offered
    return None


def may_submit(patient_id, document):
    """(may submit a new copy, the latest submitted copy or None), by may_fill_in."""
    submitted = db.session.scalar(select(Signature).where(
        Signature.patient_id == patient_id, Signature.document_id == document.id)
        .order_by(Signature.signed_at.desc(), Signature.id.desc()).limit(1))
    assigned = document.id in _open_assignments(patient_id)
    return may_fill_in(document, assigned, submitted), submitted


def already_submitted(version):
    """Why a submitted form is not filled in again (plain text: the title is the practice's)."""
    return _("You already submitted “%(title)s”. You can fill it in again when your care "
             "team asks you to.", title=version.title)


def save_draft(patient_id, version, answers):
    """Keep a health form's answers to finish later (the caller commits)."""
    draft = db.session.scalar(select(FormDraft).where(
        FormDraft.patient_id == patient_id, FormDraft.document_id == version.document_id))
    if draft is None:
        draft = FormDraft(patient_id=patient_id, document_id=version.document_id)
        db.session.add(draft)
    draft.version_id, draft.values = version.id, dict(answers)
    db.session.flush()
    return draft


def close_form_work(patient_id, document_id, signature):
    """A submitted health form ends its draft and any open assignment."""
    db.session.execute(FormDraft.__table__.delete().where(
        FormDraft.patient_id == patient_id, FormDraft.document_id == document_id))
    for assignment in db.session.scalars(select(FormAssignment).where(
            FormAssignment.patient_id == patient_id, FormAssignment.document_id == document_id,
            FormAssignment.completed_at.is_(None))):
        assignment.completed_at, assignment.signature_id = utcnow(), signature.id


def forms_for_review(reviewed, page):
    """A Page of submitted health forms as (signature, patient, version, reviewer or None):
    waiting ones oldest first, or reviewed ones most recently reviewed first."""
    statement = (select(Signature, Patient, DocumentVersion, StaffUser)
                 .join(Patient, Patient.id == Signature.patient_id)
                 .join(DocumentVersion, DocumentVersion.id == Signature.version_id)
                 .outerjoin(StaffUser, StaffUser.id == Signature.reviewed_by_id)
                 .where(Signature.kind == "form"))
    if reviewed:
        statement = statement.where(Signature.reviewed_at.is_not(None)).order_by(
            Signature.reviewed_at.desc(), Signature.id.desc())
    else:
        statement = statement.where(Signature.reviewed_at.is_(None)).order_by(
            Signature.signed_at, Signature.id)
    return page_of(statement, page, reports.PAGE_SIZE)


def form_of_patient(patient_id, signature_id):
    """One submitted health form of this patient, else None."""
    signature = reports.signature_of_patient(patient_id, signature_id)
    return signature if signature is not None and signature.kind == "form" else None


def mark_reviewed(signature, staff, origin):
    """Mark a submitted health form reviewed by `staff`; False when it already was. Raises
    permissions.Refused for a role that may not review health forms."""
    permissions.require(staff, "review_forms")
    if signature.reviewed_at is not None:
        return False
    signature.reviewed_at, signature.reviewed_by_id = utcnow(), staff.id
    audit.record("form.reviewed", origin, patient_id=signature.patient_id,
                 object_type="signature", object_id=signature.id)
    return True


def assign_form(patient, document_id, staff, origin):
    """Ask the patient to fill in a health form in use: (assignment, created). An open
    assignment of the same form is returned as it is (created False). The caller commits."""
    lock_for_write(db.session, f"form-assignment:{patient.id}:{document_id}")
    open_one = db.session.scalar(select(FormAssignment).where(
        FormAssignment.patient_id == patient.id, FormAssignment.document_id == document_id,
        FormAssignment.completed_at.is_(None)))
    if open_one is not None:
        return open_one, False
    assignment = FormAssignment(patient_id=patient.id, document_id=document_id,
                                assigned_by_id=staff.id)
    db.session.add(assignment)
    db.session.flush()
    audit.record("form.assigned", origin, patient_id=patient.id, object_type="document",
                 object_id=document_id)
    patient_notices.form_assigned(patient.id)
    return assignment, True
