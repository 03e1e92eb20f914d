"""Consent documents and health forms as data: their versions, the admin's edits, and which
documents in use apply to a patient.

Each document has numbered versions. The practice admin edits a draft; publishing fixes its
text (with a SHA-256 of it, blocks.content_digest) and makes it current. Editing a published
document starts a new draft, so a signature always points at the exact text signed.

Nothing here makes the default documents (defaults.py, run by `portal setup`): a getter
never writes, so a practice without documents simply has none.
"""

import functools

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...database import lock_for_write
from ...extensions import db
from ...models import Document, DocumentVersion, StaffUser
from ...models.consents import SIGNERS
from ...models.types import utcnow
from .. import audit
from ..access import LARGEST_ID
from ..patients import age_on
from .blocks import content_digest

ADULT_AGE = 18


def current_version(document):
    """The document's published current version (None before its first publication)."""
    if document.current_version_id is None:
        return None
    return db.session.get(DocumentVersion, document.current_version_id)


@functools.cache  # built once per kind: pages that list documents run it on every view
def in_use_statement(kind=None):
    """A select of (document, current version) for the documents in use, consents first,
    then by title."""
    statement = (select(Document, DocumentVersion)
                 .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
                 .where(Document.retired_at.is_(None))
                 .order_by(Document.kind, DocumentVersion.title, Document.id))
    if kind:
        statement = statement.where(Document.kind == kind)
    return statement


def published(kind=None):
    """(document, current version) pairs in use (none before `portal setup` made the defaults)."""
    return db.session.execute(in_use_statement(kind)).all()


def published_version(version_id, kind=None):
    """The current published version with this id (a form's hidden field), else None."""
    statement = (select(DocumentVersion).join(Document, Document.current_version_id == DocumentVersion.id)
                 .where(DocumentVersion.id == version_id, Document.retired_at.is_(None)))
    if kind:
        statement = statement.where(Document.kind == kind)
    return db.session.scalar(statement)


def published_version_of(document, version_id):
    """The published version `version_id` of this document (the version a signing page
    showed), else None."""
    version = db.session.get(DocumentVersion, version_id) if 0 < version_id <= LARGEST_ID else None
    if version is None or version.document_id != document.id or version.is_draft:
        return None
    return version


def portal_consent():
    """(document, current version) of the consent enrollment signs, else None (a practice
    whose defaults `portal setup` has not made yet)."""
    return db.session.execute(
        select(Document, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
        .where(Document.is_portal_consent.is_(True), Document.retired_at.is_(None))
    ).first()


def published_consents():
    """(document, current version) of every consent in use, by title (one query)."""
    return db.session.execute(in_use_statement("consent")).all()


def published_forms():
    """(document, current version) of every health form in use, by title (one query)."""
    return db.session.execute(in_use_statement("form")).all()


def published_consent(document_id):
    """(document, current version) of the consent in use with this id, else None."""
    return db.session.execute(in_use_statement().where(
        Document.kind == "consent", Document.id == document_id)).first()


def is_adult(patient, today):
    """Whether the patient is 18 or over today."""
    return age_on(patient.date_of_birth, today) >= ADULT_AGE


def adult_birthday_cutoff(today):
    """The latest date of birth of a patient who is an adult today."""
    try:
        return today.replace(year=today.year - ADULT_AGE)
    except ValueError:  # 29 February: the 18th birthday falls on 1 March
        return today.replace(year=today.year - ADULT_AGE, day=28)


def applies_to(version, patient, today):
    """Whether this consent is for this patient at all (whoever signs it)."""
    if version.signers == "adults":
        return is_adult(patient, today)
    if version.signers == "guardians_of_minors":
        return not is_adult(patient, today)
    return True


def patient_may_sign(version, patient, today):
    """Whether the patient signs this themselves. A consent for the guardians of minors is
    signed by a parent or guardian: on paper now, online once proxy access exists."""
    return applies_to(version, patient, today) and version.signers != "guardians_of_minors"


def new_document(kind, title, origin):
    """A new document with an empty first draft (the caller commits)."""
    document = Document(kind=kind)
    db.session.add(document)
    db.session.flush()
    version = DocumentVersion(document_id=document.id, number=1, title=title, body="",
                              attestations=[], fields=[])
    db.session.add(version)
    db.session.flush()
    audit.record("document.created", origin, object_type="document", object_id=document.id,
                 detail=f"{kind}: {title}")
    return version


def draft_of(document):
    """The document's unpublished draft, if one is open."""
    return db.session.scalar(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id, DocumentVersion.published_at.is_(None)))


def versions_of(document):
    """Every version of the document, newest first (the open draft too)."""
    return db.session.scalars(select(DocumentVersion).where(
        DocumentVersion.document_id == document.id).order_by(DocumentVersion.number.desc())).all()


def start_draft(document, origin):
    """The draft to edit: the open one, else a copy of the current version as the next number."""
    draft = draft_of(document)
    if draft is not None:
        return draft
    lock_for_write(db.session, f"document:{document.id}")
    draft = draft_of(document)  # another admin may have started one while we waited
    if draft is not None:
        return draft
    current = current_version(document)
    if current is None or document.retired_at is not None:
        raise DocumentError(_l("This document cannot be edited."))
    number = (db.session.scalar(select(func.max(DocumentVersion.number)).where(
        DocumentVersion.document_id == document.id)) or 0) + 1
    draft = DocumentVersion(
        document_id=document.id, number=number, title=current.title, body=current.body,
        required=current.required, signers=current.signers,
        validity_months=current.validity_months, attestations=list(current.attestations),
        fields=[dict(field) for field in current.fields])
    db.session.add(draft)
    db.session.flush()
    audit.record("document.draft_started", origin, object_type="document",
                 object_id=document.id, detail=f"version {number}")
    return draft


class DocumentError(ValueError):
    """An edit the document cannot take; the message says why, for the admin."""


def update_draft(version, **content):
    """Change a draft's text or terms. A published version never changes."""
    if not version.is_draft:
        raise DocumentError(_l("A published version cannot be changed. Edit the document to "
                               "start a new version."))
    for key, value in content.items():
        setattr(version, key, value)


def publication_problems(version):
    """Why this draft cannot be published yet: a list of messages, empty when it can."""
    problems = []
    if not version.title.strip():
        problems.append(_l("Give the document a title."))
    document = db.session.get(Document, version.document_id)
    if document.kind == "consent" and not version.body.strip():
        problems.append(_l("A consent needs its text."))
    if document.kind == "form" and not version.fields:
        problems.append(_l("A health form needs at least one question."))
    if version.signers not in SIGNERS:
        problems.append(_l("Choose who signs."))
    return problems


def publish(version, origin):
    """Fix the draft's text and make it the document's current version (the caller commits)."""
    problems = publication_problems(version)
    if problems:
        raise DocumentError(problems[0])
    db.session.flush()  # a new version gets its id
    version.sha256 = content_digest(version)
    version.published_at = utcnow()
    actor = origin.account
    if actor is not None and getattr(actor, "kind", "") == "staff":
        version.published_by_id = actor.id
    document = db.session.get(Document, version.document_id)
    document.current_version_id = version.id
    audit.record("document.published", origin, object_type="document", object_id=document.id,
                 detail=f"version {version.number} sha256 {version.sha256}")


def retire(document, origin):
    """Stop offering and requiring the document; its signatures stand (the caller commits)."""
    document.retired_at = utcnow()
    audit.record("document.retired", origin, object_type="document", object_id=document.id)


def document_by_id(document_id):
    """The document with this id, or None (ids beyond the column's range name none)."""
    if not 0 < document_id <= LARGEST_ID:
        return None
    return db.session.get(Document, document_id)


def retire_problem(document):
    """Why the document cannot be retired, or None."""
    if document.retired_at is not None:
        return _l("This document is already retired.")
    if document.is_portal_consent:
        return _l("Patients sign this consent when they join the portal, so it cannot be "
                  "retired. Edit it to publish a new version instead.")
    return None


def for_admin():
    """(document, current version or None, open draft or None) for every document, in two
    queries: consents first, then health forms, each by title."""
    documents = db.session.scalars(select(Document)).all()
    versions = {version.id: version for version in db.session.scalars(
        select(DocumentVersion).join(Document, DocumentVersion.document_id == Document.id)
        .where((DocumentVersion.id == Document.current_version_id)
               | DocumentVersion.published_at.is_(None)))}
    drafts = {version.document_id: version for version in versions.values() if version.is_draft}
    rows = [(document, versions.get(document.current_version_id), drafts.get(document.id))
            for document in documents]
    return sorted(rows, key=lambda row: (row[0].kind != "consent",
                                         (row[1] or row[2]).title.lower() if row[1] or row[2]
                                         else "", row[0].id))


def history_of(document):
    """(version, name of the staff member who published it, or "") for every version,
    newest first."""
    return db.session.execute(
        select(DocumentVersion, func.coalesce(StaffUser.name, ""))
        .outerjoin(StaffUser, StaffUser.id == DocumentVersion.published_by_id)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.number.desc())).all()


def edit_draft(version, origin, **content):
    """Change a draft's text or terms and audit which changed; returns their names (the caller
    commits). A published version is refused, as update_draft refuses it."""
    changed = [key for key, value in content.items() if getattr(version, key) != value]
    update_draft(version, **{key: content[key] for key in changed})
    if changed:
        audit.record("document.draft_saved", origin, object_type="document",
                     object_id=version.document_id,
                     detail=f"version {version.number}; changed: {', '.join(changed)}")
    return changed


def set_available_to_all(document, available, origin):
    """Offer a health form to every patient, or only to those staff assign it to. Returns
    whether anything changed (the caller commits)."""
    if document.kind != "form":
        raise DocumentError(_l("Only a health form can be offered to all patients."))
    if document.available_to_all == available:
        return False
    document.available_to_all = available
    audit.record("document.availability_changed", origin, object_type="document",
                 object_id=document.id, detail=f"available to all: {'yes' if available else 'no'}")
    return True
