"""Consent documents and health forms as data: versions, their text, their fields, and which
documents a patient is asked to sign.

Each document has numbered versions. The practice admin edits a draft; publishing fixes its
text (with a SHA-256 of it) and makes it current. Editing a published document starts a new
draft, so a signature always points at the exact text signed.

The portal ships two defaults written for it (portal/data/): the portal consent enrollment
signs, valid 12 months, and a medical-history questionnaire. They are made the first time a
page needs documents.
"""

import hashlib
import json
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation, localcontext
from importlib.resources import files

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..database import lock_for_write
from ..extensions import db
from ..models import Document, DocumentVersion, StaffUser
from ..models.documents import FIELD_TYPES, SIGNERS
from ..models.types import utcnow
from . import audit
from .access import LARGEST_ID
from .patients import age_on
from .records.categories import MAX_NUMBER_CHARS

ADULT_AGE = 18
PORTAL_CONSENT_MONTHS = 12
MAX_TEXT = 200  # a short text answer
MAX_LONG_TEXT = 4000  # a long text answer
MAX_NUMBER = Decimal("1000000")
CHOICE_FIELDS = {"single_choice", "multiple_choice"}
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


# --- The text: simple formatting ------------------------------------------------------------

def body_blocks(body):
    """The body as blocks to draw: ("h2"|"h3", text), ("p", text) or ("ul", [items]).

    "## " and "### " start headings ("# " is a second-level heading too: the page's own title
    is the first), "- " or "* " start list items, and a blank line ends a paragraph. Nothing
    else is markup, so no text can inject HTML: templates escape every block.
    """
    blocks, paragraph, items = [], [], []

    def close():
        if paragraph:
            blocks.append(("p", " ".join(paragraph)))
            paragraph.clear()
        if items:
            blocks.append(("ul", list(items)))
            items.clear()

    for raw in (body or "").replace("\r\n", "\n").split("\n"):
        line = raw.strip()
        if not line:
            close()
        elif line.startswith("### "):
            close()
            blocks.append(("h3", line[4:].strip()))
        elif line.startswith(("# ", "## ")):
            close()
            blocks.append(("h2", line.split(" ", 1)[1].strip()))
        elif line.startswith(("- ", "* ")):
            if paragraph:
                close()
            items.append(line[2:].strip())
        elif items:  # a wrapped list item
            items[-1] = f"{items[-1]} {line}"
        else:
            paragraph.append(line)
    close()
    return blocks


def content_digest(version):
    """SHA-256 of what a signer agrees to: title, body, terms, attestations and fields."""
    content = {
        "title": version.title, "body": version.body.replace("\r\n", "\n"),
        "required": version.required, "signers": version.signers,
        "validity_months": version.validity_months,
        "attestations": list(version.attestations or []), "fields": list(version.fields or []),
    }
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# --- Finding documents ----------------------------------------------------------------------

def current_version(document):
    """The document's published current version (None before its first publication)."""
    if document.current_version_id is None:
        return None
    return db.session.get(DocumentVersion, document.current_version_id)


def in_use_statement(kind=None):
    """A select of (document, current version) for the documents in use, consents first,
    then by title. Makes nothing: see published() for the page that may make the defaults."""
    statement = (select(Document, DocumentVersion)
                 .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
                 .where(Document.retired_at.is_(None))
                 .order_by(Document.kind, DocumentVersion.title, Document.id))
    if kind:
        statement = statement.where(Document.kind == kind)
    return statement


def published(kind=None):
    """(document, current version) pairs in use, the defaults made first if there are none."""
    ensure_defaults()
    return db.session.execute(in_use_statement(kind)).all()


def published_version(version_id, kind=None):
    """The current published version with this id (a form's hidden field), else None."""
    statement = (select(DocumentVersion).join(Document, Document.current_version_id == DocumentVersion.id)
                 .where(DocumentVersion.id == version_id, Document.retired_at.is_(None)))
    if kind:
        statement = statement.where(Document.kind == kind)
    return db.session.scalar(statement)


def portal_consent():
    """(document, current version) of the consent enrollment signs."""
    ensure_defaults()
    return db.session.execute(
        select(Document, DocumentVersion)
        .join(DocumentVersion, DocumentVersion.id == Document.current_version_id)
        .where(Document.is_portal_consent.is_(True), Document.retired_at.is_(None))
    ).first()


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


# --- Defaults -------------------------------------------------------------------------------

def _data(name):
    return files("portal").joinpath(f"data/{name}").read_text(encoding="utf-8")


def ensure_defaults(origin=audit.SYSTEM):
    """Make the two default documents the first time the practice has none (the caller
    commits). Returns whether it made them.

    The portal consent keeps a policy the practice wrote in its settings before documents
    existed, in place of ours.
    """
    if db.session.scalar(select(Document.id).limit(1)) is not None:
        return False
    lock_for_write(db.session, "documents:defaults")
    if db.session.scalar(select(Document.id).limit(1)) is not None:
        return False
    from .practice import get_practice

    body = _data("portal_consent.md")
    own_policy = (get_practice().portal_policy or "").strip()
    if own_policy and own_policy != _data("portal_policy.txt").strip():
        body = body.split("## Portal policy and procedures")[0] + (
            "## Portal policy and procedures\n\n" + own_policy)
    consent = Document(kind="consent", is_portal_consent=True)
    _publish_new(consent, origin, title="Patient portal consent", body=body, required=True,
                 signers="all", validity_months=PORTAL_CONSENT_MONTHS)
    history = json.loads(_data("medical_history_form.json"))
    form = Document(kind="form", available_to_all=True)
    _publish_new(form, origin, title=history["title"], body=history["body"],
                 fields=history["fields"])
    return True


def _publish_new(document, origin, **content):
    db.session.add(document)
    db.session.flush()
    version = DocumentVersion(document_id=document.id, number=1, **{
        "required": False, "signers": "all", "validity_months": 0, "attestations": [],
        "fields": [], **content})
    db.session.add(version)
    publish(version, origin)
    return version


# --- The admin's edits ----------------------------------------------------------------------

def new_document(kind, title, origin):
    """A new document with an empty first draft (the caller commits).

    The defaults are made first: ensure_defaults fills only an empty table, so a practice's
    first own document would otherwise leave it without the portal consent.
    """
    ensure_defaults()
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


def field_named(version, name):
    """The question with this internal name on the version, or None."""
    return next((field for field in version.fields or [] if field["name"] == name), None)


# Names a question may not take: the admin's page that adds a question is .../fields/new.
RESERVED_FIELD_NAMES = frozenset({"new"})


def field_name_for(label, others=()):
    """An internal name made from a question: lower-case letters, digits and underscores,
    starting with a letter, and not used by `others`."""
    text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "_", text).strip("_")[:32].strip("_") or "question"
    if not base[0].isalpha():
        base = f"q_{base}"[:32].strip("_")
    taken = {field["name"] for field in others} | RESERVED_FIELD_NAMES
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    return name


def save_field(version, field, origin, replacing=None):
    """Add a question to a draft health form, or put it in place of the question named
    `replacing`; returns the saved question (the caller commits).

    A blank internal name is made from the question. Choices are kept for choice questions
    only. A definition field_problem refuses raises DocumentError with its message.
    """
    fields = list(version.fields or [])
    if replacing is not None and field_named(version, replacing) is None:
        raise DocumentError(_l("That question is no longer on the draft."))
    others = [other for other in fields if other["name"] != replacing]
    field = {"name": "", "label": "", "type": "", "required": False, "help": "", "choices": [],
             **field}
    field["name"] = field["name"] or field_name_for(field["label"], others)
    field["choices"] = list(field["choices"]) if field["type"] in CHOICE_FIELDS else []
    problem = field_problem(field, others)
    if problem:
        raise DocumentError(problem)
    if replacing is None:
        fields.append(field)
    else:
        fields = [field if other["name"] == replacing else other for other in fields]
    update_draft(version, fields=fields)  # a new list: the JSON column sees the change
    audit.record("document.field_added" if replacing is None else "document.field_changed",
                 origin, object_type="document", object_id=version.document_id,
                 detail=f"version {version.number}; question {field['name']}")
    return field


def remove_field(version, name, origin):
    """Take the named question off a draft health form (the caller commits)."""
    if field_named(version, name) is None:
        raise DocumentError(_l("That question is no longer on the draft."))
    update_draft(version, fields=[field for field in version.fields if field["name"] != name])
    audit.record("document.field_removed", origin, object_type="document",
                 object_id=version.document_id, detail=f"version {version.number}; question {name}")


def move_field(version, name, step, origin):
    """Move the named question `step` places (-1 up, 1 down) on a draft health form; returns
    whether it moved (the first cannot go up, the last cannot go down). The caller commits."""
    fields = list(version.fields or [])
    names = [field["name"] for field in fields]
    if name not in names:
        raise DocumentError(_l("That question is no longer on the draft."))
    index = names.index(name)
    target = index + step
    if not 0 <= target < len(fields):
        return False
    fields[index], fields[target] = fields[target], fields[index]
    update_draft(version, fields=fields)
    audit.record("document.field_moved", origin, object_type="document",
                 object_id=version.document_id,
                 detail=f"version {version.number}; question {name} to place {target + 1}")
    return True


# --- Health form fields and answers ---------------------------------------------------------

def field_problem(field, others=()):
    """Why a field definition cannot be saved, or None."""
    if not FIELD_NAME.match(field.get("name", "")):
        return _l("Internal names use lower-case letters, digits and underscores.")
    if any(other["name"] == field["name"] for other in others):
        return _l("Another question has that internal name.")
    if not field.get("label", "").strip():
        return _l("Write the question.")
    if field.get("type") not in FIELD_TYPES:
        return _l("Choose a kind of answer.")
    if field["type"] in CHOICE_FIELDS and len(field.get("choices") or []) < 2:
        return _l("A choice question needs at least two choices, one per line.")
    return None


def _date_parts(form, key):
    return [(form.get(f"{key}_{part}") or "").strip() for part in ("month", "day", "year")]


def read_answers(version, form, *, check_required):
    """Answers to a health form from a submitted form (a MultiDict): (answers, errors).

    Inputs are named f_<field>; a date is three inputs (_month, _day, _year). Every answer
    is checked for its type. Required questions are checked only when the form is submitted,
    not when a draft is saved. errors maps a field name to a message.
    """
    answers, errors = {}, {}
    for field in version.fields or []:
        name, kind, key = field["name"], field["type"], f"f_{field['name']}"
        value, problem = _read_one(field, kind, form, key)
        if problem:
            errors[name] = problem
        elif value in ("", [], None):
            if check_required and field.get("required"):
                errors[name] = _("Answer this question: %(label)s", label=field["label"])
        else:
            answers[name] = value
    return answers, errors


def _read_one(field, kind, form, key):
    """(value, problem) for one field; value "" when left blank."""
    if kind == "multiple_choice":
        picked = [choice for choice in form.getlist(key) if choice in field["choices"]]
        if len(picked) != len(form.getlist(key)):
            return None, _l("Choose from the list.")
        return picked, None
    if kind == "date":
        month, day, year = _date_parts(form, key)
        if not (month or day or year):
            return "", None
        try:
            return date(int(year), int(month), int(day)).isoformat(), None
        except (ValueError, OverflowError):  # a year of 30 digits overflows, it is no date
            return None, _l("Enter a real date: month, day and a four-digit year.")
    raw = (form.get(key) or "").strip()
    if not raw:
        return "", None
    if kind == "text" and len(raw) > MAX_TEXT:
        return None, _l("Use %(limit)d characters or fewer.", limit=MAX_TEXT)
    if kind == "long_text" and len(raw) > MAX_LONG_TEXT:
        return None, _l("Use %(limit)d characters or fewer.", limit=MAX_LONG_TEXT)
    if kind == "yes_no" and raw not in ("yes", "no"):
        return None, _l("Choose yes or no.")
    if kind == "single_choice" and raw not in field["choices"]:
        return None, _l("Choose from the list.")
    if kind == "number":
        return _number(raw)
    return raw, None


def _number(raw):
    """(the number as stored text, None) or (None, the message). Written out in full it is at
    most MAX_NUMBER_CHARS characters: 1e-999999 or 300 digits are no answer to store."""
    refused = None, _l("Enter a number, such as 3 or 2.5.")
    cleaned = raw.replace(",", "")
    if len(cleaned) > MAX_NUMBER_CHARS:
        return refused
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return refused
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        return refused
    if number and number.adjusted() < -MAX_NUMBER_CHARS:
        return refused  # written out, its zeros alone would be too long
    with localcontext(prec=2 * MAX_NUMBER_CHARS):  # exact: no digit is rounded away
        shown = format(number.normalize(), "f")
    return (shown, None) if len(shown) <= MAX_NUMBER_CHARS else refused


def answer_lines(version, answers):
    """(question, answer as words) for every field, in order, for pages and PDFs."""
    lines = []
    for field in version.fields or []:
        value = answers.get(field["name"])
        if value in (None, "", []):
            shown = str(_l("Not answered"))
        elif field["type"] == "yes_no":
            shown = str(_l("Yes")) if value == "yes" else str(_l("No"))
        elif field["type"] == "multiple_choice":
            shown = "; ".join(value)
        elif field["type"] == "date":
            shown = date.fromisoformat(value).strftime("%B %-d, %Y")
        else:
            shown = str(value)
        lines.append((field["label"], shown))
    return lines
