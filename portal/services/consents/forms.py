"""Health forms a patient fills in: the forms offered to them, their saved drafts, and on the
staff side the review list and assigning a form to a patient."""

from dataclasses import dataclass

from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import Document, DocumentVersion, FormAssignment, FormDraft, Patient, Signature, StaffUser
from ...models.types import utcnow
from .. import audit, patient_notices, permissions
from ..paging import page_of
from . import documents, reports


@dataclass(frozen=True)
class OfferedForm:
    """A health form offered to a patient, with their saved draft and whether staff asked."""

    document: Document
    version: DocumentVersion
    draft: FormDraft | None
    assigned: bool


def forms_offered(patient_id):
    """Health forms this patient may fill in: those for everyone and those staff assigned
    them, with any saved draft (three queries, whatever the number of forms)."""
    assigned = set(db.session.scalars(select(FormAssignment.document_id).where(
        FormAssignment.patient_id == patient_id, FormAssignment.completed_at.is_(None))))
    drafts = {draft.document_id: draft for draft in db.session.scalars(
        select(FormDraft).where(FormDraft.patient_id == patient_id))}
    return [OfferedForm(document, version, drafts.get(document.id), document.id in assigned)
            for document, version in documents.published("form")
            if document.available_to_all or document.id in assigned]


def offered_form(patient_id, document_id):
    """The offered health form with this id, else None (not offered is not found)."""
    for offered in forms_offered(patient_id):
        if offered.document.id == document_id:
            return offered
    return None


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
