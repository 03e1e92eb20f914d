"""Secure messages: the rules for conversations between a patient and the care team.

A patient writes on a topic the practice offers; the topic routes the conversation to a staff
pool and sets how many business days the practice promises for a reply. Staff reply, add
internal notes, assign, close; they may also start a conversation with a patient.

Status, kept here and nowhere else:
- new: the patient wrote and no one on staff has acted yet;
- open: staff have acted (a note, an assignment) but the patient still waits for a reply,
  or the patient wrote again;
- waiting: staff replied last, the conversation waits on the patient;
- closed: staff closed it. A patient who writes again reopens it.

Rules every caller relies on:
- A patient sees only their own conversations, and never an internal note: every patient
  query here filters both (patient_messages, patient_conversation, patient_attachment).
- Messages are never edited or deleted. A patient archives a conversation (staff still see
  it); staff close one.
- Every read of a conversation by staff or patient is on the audit trail (record_read).
- The email a patient gets says only that a message is waiting, never its subject or text.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import undefer

from ..database import lock_for_write
from ..extensions import db
from ..models import (
    Conversation,
    Message,
    MessageAttachment,
    MessageTopic,
    OutboxEmail,
    Patient,
    PatientAccount,
    ReplyTemplate,
    StaffUser,
)
from ..models.messages import POOLS, STATUSES
from ..models.types import utcnow
from . import audit, permissions
from .access import LARGEST_ID
from .errors import FieldError
from .files import EXTENSIONS, FILE_KINDS, MAX_IMAGE_PIXELS, FileRefused, clean_upload, kind_of
from .mail import send_email
from .paging import Page, page_of
from .tokens import external_url

PAGE_SIZE = 25
OPEN_STATUSES = tuple(status for status in STATUSES if status != "closed")
SUBJECT_MAX = 120
BODY_MAX = 5000
NOTE_MAX = 2000
DETAIL_MAX = 200
MAX_FILES = 5

# The topics a new practice starts with: label, pool, form, business days to reply.
DEFAULT_TOPICS = (
    ("Appointment request", "front_desk", "appointment", 1),
    ("Prescription refill", "nurse", "refill", 2),
    ("Billing question", "billing", "plain", 3),
    ("Question for my care team", "nurse", "plain", 2),
    ("Test results", "provider", "plain", 2),
    ("Forms and records", "front_desk", "plain", 3),
    ("Update my details", "front_desk", "plain", 3),
)
# The extra fields of a topic's form: (key, label, required).
TOPIC_FIELDS = {
    "plain": (),
    "refill": (("medication", _l("Medication name"), True), ("dose", _l("Dose"), True),
               ("pharmacy", _l("Pharmacy (name and town)"), True)),
    "appointment": (("reason", _l("Reason for the visit"), True),
                    ("days", _l("Days that suit you"), True),
                    ("times", _l("Times that suit you"), True)),
}
# The staff pool each role works (admins see every pool): services/permissions.py.
ROLE_POOLS = permissions.ROLE_POOLS

class MessageError(FieldError):
    """Input a message cannot be sent with: `message` for the person, `field` for the form."""


# --- Topics and reply times -----------------------------------------------------------------

def ensure_topics():
    """Add the default topics to a practice that has none yet; True when it added them (the
    caller commits)."""
    if db.session.scalar(select(func.count()).select_from(MessageTopic)):
        return False
    for position, (label, pool, form, days) in enumerate(DEFAULT_TOPICS):
        db.session.add(MessageTopic(label=label, pool=pool, form=form, reply_business_days=days,
                                    position=position))
    db.session.flush()
    return True


def offered_topics():
    """The topics a patient may choose, in the practice's order."""
    return db.session.scalars(select(MessageTopic).where(MessageTopic.active)
                              .order_by(MessageTopic.position, MessageTopic.id)).all()


def all_topics():
    """Every topic, offered or turned off, in the practice's order (for staff and admin)."""
    return db.session.scalars(select(MessageTopic).order_by(MessageTopic.position,
                                                            MessageTopic.id)).all()


def topic_fields(topic):
    """The extra fields (key, label, required) a topic's form asks for."""
    return TOPIC_FIELDS.get(topic.form, ())


def add_business_days(moment, days, zone):
    """`moment` plus `days` business days (Monday to Friday) in the practice's zone: a
    message sent on Saturday with one day to reply is due by the end of Monday."""
    local = moment.astimezone(zone)
    day = local.date()
    while day.weekday() >= 5:  # a weekend message counts from Monday
        day += timedelta(days=1)
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime.combine(day, time(23, 59, 59), zone).astimezone(UTC)


def reply_due(conversation, practice):
    """When the practice promised to answer what waits (None when nothing waits).
    `conversation`: a Conversation, or a staff inbox row (QUEUE_COLUMNS)."""
    if conversation.waiting_since is None:
        return None
    return add_business_days(conversation.waiting_since, conversation.reply_business_days,
                             ZoneInfo(practice.time_zone))


# --- Attachments ----------------------------------------------------------------------------

@dataclass
class Upload:
    """A file as the browser sent it."""

    filename: str
    data: bytes


@dataclass
class CheckedFile:
    """A file that passed the practice's policy: a clean name, its type read from its bytes,
    and the bytes to store (images re-encoded)."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


def allowed_kinds(practice):
    """{ending: (content type, magic)} the practice accepts."""
    endings = [part.strip().lstrip(".").lower() for part in practice.attachment_types.split(",")]
    return {ending: FILE_KINDS[ending] for ending in endings if ending in FILE_KINDS}


def allowed_description(practice):
    """The accepted types for people: "PDF, JPG, PNG"."""
    return ", ".join(ending.upper() for ending in allowed_kinds(practice) if ending != "jpeg")


def _clean_filename(name):
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>|:*?')
    return name.strip()[:120] or "attachment"


def check_files(uploads, practice):
    """The files checked against the practice's policy, by their bytes; MessageError (field
    "attachments") naming the first file refused and why."""
    uploads = [upload for upload in uploads if upload.data or upload.filename]
    if not uploads:
        return []
    if not practice.attachments_allowed:
        raise MessageError(_l("This practice does not accept attachments in messages. Remove "
                              "the file, or bring it to your next visit."), "attachments")
    if len(uploads) > MAX_FILES:
        raise MessageError(_l("Attach at most %(count)d files to one message.", count=MAX_FILES),
                           "attachments")
    kinds, per_file = allowed_kinds(practice), practice.attachment_max_mb * 1024 * 1024
    checked, total = [], 0
    for upload in uploads:
        name = _clean_filename(upload.filename)
        if not upload.data:
            raise MessageError(_("%(name)s is empty. Choose the file again.", name=name),
                               "attachments")
        if len(upload.data) > per_file:
            raise MessageError(_("%(name)s is larger than %(size)d MB. Send a smaller file.",
                                  name=name, size=practice.attachment_max_mb), "attachments")
        content_type = kind_of(upload.data, kinds)
        if content_type is None:
            raise MessageError(_("%(name)s is not a file type this practice accepts (%(types)s). "
                                  "The type is read from the file itself, not its name.",
                                  name=name, types=allowed_description(practice)), "attachments")
        try:
            data = clean_upload(upload.data, content_type)
        except FileRefused as refused:
            raise MessageError(_refusal(refused.reason, name), "attachments") from None
        total += len(data)
        checked.append(CheckedFile(name, content_type, data))
    if total > practice.attachment_message_max_mb * 1024 * 1024:
        raise MessageError(_l("These files come to more than %(size)d MB together. Send some of "
                              "them in another message.", size=practice.attachment_message_max_mb),
                           "attachments")
    return checked


def _refusal(reason, name):
    """What a patient or staff member reads when files.clean_upload refuses a file."""
    if reason == "too_large":
        return _("%(name)s is too large a picture (more than %(megapixels)d megapixels). Save a "
                 "smaller copy and attach it.", name=name,
                 megapixels=MAX_IMAGE_PIXELS // 1_000_000)
    if reason == "unreadable_pdf":
        return _("%(name)s could not be read as a PDF. Save it again, without a password, and "
                 "attach the new copy.", name=name)
    return _("%(name)s could not be read as an image. Save it again and attach the new copy.",
             name=name)


def _attach(message, files):
    for file in files:
        db.session.add(MessageAttachment(
            message_id=message.id, filename=file.filename, content_type=file.content_type,
            size=len(file.data), sha256=hashlib.sha256(file.data).hexdigest(), data=file.data))


def download_name(attachment):
    """A neutral file name: never the sender's, which may name a person or a condition."""
    return f"attachment-{attachment.id}.{EXTENSIONS.get(attachment.content_type, 'bin')}"


def attachment_bytes(attachment):
    """The stored bytes, or None when they no longer match their SHA-256 (the caller logs
    and refuses)."""
    if hashlib.sha256(attachment.data).hexdigest() != attachment.sha256:
        return None
    return attachment.data


# --- Writing --------------------------------------------------------------------------------

def new_submission_key():
    """The one-time key a compose or reply page carries: sending it twice sends once."""
    return secrets.token_urlsafe(24)


def sent_with_key(submission_key):
    """The message a page's one-time key already sent, if any."""
    if not submission_key:
        return None
    return db.session.scalar(select(Message).where(Message.submission_key == submission_key))


def _sent_before(submission_key):
    """The message this page already sent, checked under a lock on its key (so two submits
    at once cannot both send), else None."""
    if not submission_key:
        return None
    lock_for_write(db.session, f"message:{submission_key}")
    return sent_with_key(submission_key)


def _text(value, limit, empty_message, field_name):
    value = (value or "").strip()
    if not value:
        raise MessageError(empty_message, field_name)
    if len(value) > limit:
        raise MessageError(_l("Shorten this to %(limit)d characters or fewer (it has %(count)d).",
                              limit=limit, count=len(value)), field_name)
    return value


def clean_details(topic, values):
    """The topic's own fields as [[label, value]] (stored with the first message)."""
    details = []
    for key, label, required in topic_fields(topic):
        value = (values.get(key) or "").strip()
        if required and not value:
            raise MessageError(_("Enter %(label)s.", label=str(label).lower()), key)
        if len(value) > DETAIL_MAX:
            raise MessageError(_l("Shorten this to %(limit)d characters or fewer.", limit=DETAIL_MAX), key)
        if value:
            details.append([str(label), value])
    return details


def _add_message(conversation, *, body, account=None, staff=None, internal=False, details=(),
                 files=(), submission_key=None, now):
    message = Message(conversation_id=conversation.id, body=body, internal=internal,
                      details=list(details), created_at=now, submission_key=submission_key or None,
                      patient_account_id=account.id if account is not None else None,
                      staff_id=staff.id if staff is not None else None)
    db.session.add(message)
    db.session.flush()
    _attach(message, files)
    return message


def start_conversation(account, topic, *, subject, body, details=None, files=(),
                       submission_key=None, origin):
    """A patient's new conversation on `topic`; returns it (the caller commits). Checks
    every part first: nothing is saved unless all of it is."""
    if topic is None or not topic.active:
        raise MessageError(_l("Choose a topic from the list."), "topic")
    subject = _text(subject, SUBJECT_MAX, _l("Enter a subject."), "subject")
    body = _text(body, BODY_MAX, _l("Enter your message."), "body")
    details = clean_details(topic, details or {})
    earlier = _sent_before(submission_key)
    if earlier is not None:
        return db.session.get(Conversation, earlier.conversation_id)
    now = utcnow()
    conversation = Conversation(
        patient_id=account.patient_id, topic_id=topic.id, pool=topic.pool, subject=subject,
        status="new", created_at=now, last_message_at=now, waiting_since=now,
        patient_read_at=now)
    db.session.add(conversation)
    db.session.flush()
    message = _add_message(conversation, body=body, account=account, details=details, files=files,
                           submission_key=submission_key, now=now)
    audit.record("message.sent", origin, patient_id=account.patient_id, object_type="conversation",
                 object_id=conversation.id, detail=f"message {message.id}; files: {len(files)}")
    return conversation


def patient_reply(account, conversation, *, body, files=(), submission_key=None, origin):
    """The patient writes again in their conversation (reopening it when closed)."""
    body = _text(body, BODY_MAX, _l("Enter your message."), "body")
    if _sent_before(submission_key) is not None:
        return None
    now = utcnow()
    message = _add_message(conversation, body=body, account=account, files=files,
                           submission_key=submission_key, now=now)
    conversation.last_message_at = now
    conversation.patient_read_at = now
    conversation.patient_archived = False
    if conversation.waiting_since is None:
        conversation.waiting_since = now
    if conversation.status in ("waiting", "closed"):
        conversation.status, conversation.closed_at = "open", None
    audit.record("message.sent", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id,
                 detail=f"message {message.id}; files: {len(files)}")
    return message


def _notify_patient(conversation):
    """One email to the patient, if they want it: no subject, no text, only that a message
    waits, the practice's name and a sign-in link."""
    account = db.session.scalar(select(PatientAccount).where(
        PatientAccount.patient_id == conversation.patient_id))
    if account is None or not account.notify_messages or not account.email \
            or account.status != "active":
        return None
    email = send_email(account.email, _l("You have a new message in your patient portal"),
                       "new_message", link=external_url("/sign-in"))
    email.patient_id = conversation.patient_id
    return email


def staff_reply(staff, conversation, *, body, files=(), submission_key=None, origin):
    """A staff reply: the conversation now waits on the patient, who is told by email."""
    permissions.require_conversation(staff, conversation)
    body = _text(body, BODY_MAX, _l("Enter your reply."), "body")
    if _sent_before(submission_key) is not None:
        return None
    now = utcnow()
    message = _add_message(conversation, body=body, staff=staff, files=files,
                           submission_key=submission_key, now=now)
    conversation.last_message_at = conversation.last_staff_message_at = now
    conversation.waiting_since = None
    conversation.status, conversation.closed_at = "waiting", None
    conversation.patient_archived = False
    if conversation.assigned_to_id is None:
        conversation.assigned_to_id = staff.id
    _notify_patient(conversation)
    audit.record("message.replied", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id,
                 detail=f"message {message.id}; files: {len(files)}")
    return message


def add_note(staff, conversation, *, body, origin):
    """An internal note: for staff only, never shown to the patient or emailed."""
    permissions.require_conversation(staff, conversation)
    body = _text(body, NOTE_MAX, _l("Enter the note."), "note")
    message = _add_message(conversation, body=body, staff=staff, internal=True, now=utcnow())
    if conversation.status == "new":
        conversation.status = "open"
    audit.record("message.note_added", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id, detail=f"note {message.id}")
    return message


def staff_start(staff, patient, topic, *, subject, body, files=(), submission_key=None, origin):
    """A conversation staff begin with a patient: it waits on the patient from the start."""
    if topic is None:
        raise MessageError(_l("Choose a topic from the list."), "topic")
    subject = _text(subject, SUBJECT_MAX, _l("Enter a subject."), "subject")
    body = _text(body, BODY_MAX, _l("Enter the message."), "body")
    earlier = _sent_before(submission_key)
    if earlier is not None:
        return db.session.get(Conversation, earlier.conversation_id)
    now = utcnow()
    conversation = Conversation(
        patient_id=patient.id, topic_id=topic.id, pool=topic.pool, subject=subject,
        status="waiting", assigned_to_id=staff.id, started_by_staff_id=staff.id, created_at=now,
        last_message_at=now, last_staff_message_at=now)
    db.session.add(conversation)
    db.session.flush()
    message = _add_message(conversation, body=body, staff=staff, files=files,
                           submission_key=submission_key, now=now)
    _notify_patient(conversation)
    audit.record("message.started_by_staff", origin, patient_id=patient.id,
                 object_type="conversation", object_id=conversation.id, detail=f"message {message.id}")
    return conversation


def assign(staff, conversation, assignee, *, origin):
    """Give the conversation to `assignee` (a staff member, or None for the pool)."""
    permissions.require_conversation(staff, conversation)
    conversation.assigned_to_id = assignee.id if assignee is not None else None
    if conversation.status == "new":
        conversation.status = "open"
    audit.record("message.assigned", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id,
                 detail=f"to: {assignee.email if assignee is not None else 'the pool'}")


def move_to_pool(staff, conversation, pool, *, origin):
    """Send the conversation to another staff pool."""
    permissions.require_conversation(staff, conversation)
    if pool not in POOLS:
        raise MessageError(_l("Choose a pool from the list."), "pool")
    conversation.pool = pool
    audit.record("message.moved", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id, detail=f"pool: {pool}")


def close(staff, conversation, *, origin):
    """Close the conversation: nothing waits any more (a patient reply reopens it)."""
    permissions.require_conversation(staff, conversation)
    conversation.status, conversation.closed_at = "closed", utcnow()
    conversation.waiting_since = None
    audit.record("message.closed", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id)


def archive(account, conversation, archived=True):
    """The patient files a conversation away (or back): staff still see it, nothing is lost."""
    conversation.patient_archived = archived


# --- Reading --------------------------------------------------------------------------------

def record_read(origin, conversation, messages):
    """Every read of a conversation's messages, by staff or patient, goes on the record."""
    ids = [message.id for message in messages]
    audit.record("message.read", origin, patient_id=conversation.patient_id,
                 object_type="conversation", object_id=conversation.id,
                 detail=f"messages: {', '.join(map(str, ids))}"[:2000])


def patient_inbox(patient_id, page=1, archived=False):
    """A Page of the patient's conversations, newest first (a count and one query)."""
    statement = (select(Conversation)
                 .where(Conversation.patient_id == patient_id,
                        Conversation.patient_archived.is_(archived))
                 .order_by(Conversation.last_message_at.desc(), Conversation.id.desc()))
    return page_of(statement, page, PAGE_SIZE, scalars=True)


def patient_sent(patient_id, page=1):
    """A Page of (message, conversation): what was sent from the patient's side, newest
    first (a count and one query, and one for the attachments)."""
    statement = (select(Message, Conversation)
                 .join(Conversation, Conversation.id == Message.conversation_id)
                 .where(Conversation.patient_id == patient_id, Message.patient_account_id.is_not(None))
                 .order_by(Message.id.desc()))
    return page_of(statement, page, PAGE_SIZE)


def unread_count(patient_id):
    """How many of the patient's conversations have a reply they have not opened."""
    return db.session.scalar(select(func.count()).select_from(Conversation).where(
        Conversation.patient_id == patient_id,
        Conversation.last_staff_message_at.is_not(None),
        or_(Conversation.patient_read_at.is_(None),
            Conversation.last_staff_message_at > Conversation.patient_read_at)))


def patient_conversation(patient_id, conversation_id):
    """The patient's own conversation, else None (the caller answers 404)."""
    conversation = staff_conversation(conversation_id)  # any conversation; then, theirs only
    if conversation is None or conversation.patient_id != patient_id:
        return None
    return conversation


def patient_messages(conversation):
    """What the patient may read of a conversation, oldest first: never an internal note."""
    return db.session.scalars(select(Message).where(
        Message.conversation_id == conversation.id, Message.internal.is_(False))
        .order_by(Message.id)).all()


def mark_read(conversation):
    """The patient has now seen every reply in the conversation."""
    conversation.patient_read_at = utcnow()


def patient_attachment(patient_id, attachment_id):
    """An attachment the patient may download (their conversation, not a note), with its
    bytes loaded; else None."""
    if not 0 < attachment_id <= LARGEST_ID:
        return None
    row = db.session.execute(
        select(MessageAttachment, Conversation)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageAttachment.id == attachment_id, Conversation.patient_id == patient_id,
               Message.internal.is_(False))
        .options(undefer(MessageAttachment.data))).first()
    return row[0] if row else None


def staff_attachment(attachment_id, staff=None):
    """(attachment with its bytes, conversation) for staff, else None. With `staff`, raises
    permissions.Refused for a conversation outside what their role may read."""
    if not 0 < attachment_id <= LARGEST_ID:
        return None
    row = db.session.execute(
        select(MessageAttachment, Conversation)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageAttachment.id == attachment_id)
        .options(undefer(MessageAttachment.data))).first()
    if row and staff is not None:
        permissions.require_conversation(staff, row[1])
    return (row[0], row[1]) if row else None


def staff_conversation(conversation_id, staff=None):
    """A conversation for staff, else None. With `staff`, raises permissions.Refused for one
    outside what their role may read (every pool, or their own pool only)."""
    if not 0 < conversation_id <= LARGEST_ID:
        return None
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is not None and staff is not None:
        permissions.require_conversation(staff, conversation)
    return conversation


def staff_messages(conversation):
    """Every message of a conversation, notes included, oldest first, with their authors."""
    return db.session.scalars(select(Message).where(Message.conversation_id == conversation.id)
                              .order_by(Message.id)).all()


@dataclass
class QueueFilter:
    """The staff inbox's filters, as the page's GET form gives them."""

    pool: str = ""        # "" for every pool
    status: str = "active"  # new, open, waiting, closed, or active (new and open)
    assigned: str = ""    # "", "me", "unassigned"


def readable_pools(staff):
    """The pools whose conversations `staff` may read: every one, or their role's own."""
    if permissions.allows(staff, "read_all_conversations"):
        return list(POOLS)
    return [pool for pool in (ROLE_POOLS.get(staff.role),) if pool]


def default_pool(staff):
    """The pool a staff member's inbox opens on: their role's, or every pool for admins."""
    return ROLE_POOLS.get(staff.role, "")


# What a row of the staff inbox shows: columns, not whole rows of four tables (reading them
# into objects was a fifth of the page's time).
QUEUE_COLUMNS = (
    Conversation.id, Conversation.subject, Conversation.pool, Conversation.status,
    Conversation.waiting_since, Conversation.last_message_at, MessageTopic.label.label("topic"),
    MessageTopic.reply_business_days, Patient.last_name, Patient.first_name,
    Patient.account_number, StaffUser.name.label("assignee"))


def staff_queue(staff, filters, page=1):
    """A Page of rows of QUEUE_COLUMNS: the waiting ones oldest first, the rest newest first.
    A count and one query, whatever the page size. A role that may not read every
    conversation sees its own pool's only, whatever the filter asks."""
    conditions = []
    if not permissions.allows(staff, "read_all_conversations"):
        conditions.append(Conversation.pool == ROLE_POOLS.get(staff.role, ""))
    if filters.status == "active":
        conditions.append(Conversation.status.in_(("new", "open")))
    elif filters.status in STATUSES:
        conditions.append(Conversation.status == filters.status)
    if filters.pool in POOLS:
        conditions.append(Conversation.pool == filters.pool)
    if filters.assigned == "me":
        conditions.append(Conversation.assigned_to_id == staff.id)
    elif filters.assigned == "unassigned":
        conditions.append(Conversation.assigned_to_id.is_(None))
    if filters.status in ("active", "new", "open"):
        order = (Conversation.waiting_since, Conversation.id)
    else:
        order = (Conversation.last_message_at.desc(), Conversation.id.desc())
    page = max(1, page or 1)
    # The page's conversations are chosen on their own table first, and only those 25 joined
    # to their patients: joined first, every matching row is joined, then sorted (8x slower).
    shown = (select(Conversation.id).where(*conditions).order_by(*order)
             .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE).subquery())
    rows = db.session.execute(
        select(*QUEUE_COLUMNS)
        .join(shown, shown.c.id == Conversation.id)
        .join(MessageTopic, MessageTopic.id == Conversation.topic_id)
        .join(Patient, Patient.id == Conversation.patient_id)
        .outerjoin(StaffUser, StaffUser.id == Conversation.assigned_to_id)
        .order_by(*order)).all()
    total = db.session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
    return Page(rows, page, PAGE_SIZE, total)


def queue_counts(staff=None):
    """{(pool, status): count} of every conversation not closed (one query); with `staff`
    whose role reads only its own pool, that pool's only."""
    mine = () if staff is None or permissions.allows(staff, "read_all_conversations") else (
        Conversation.pool == ROLE_POOLS.get(staff.role, ""),)
    rows = db.session.execute(
        select(Conversation.pool, Conversation.status, func.count())
        .where(Conversation.status.in_(OPEN_STATUSES), *mine)  # in, not !=: reads the index
        .group_by(Conversation.pool, Conversation.status)).all()
    return {(pool, status): count for pool, status, count in rows}


def chart_conversations(patient_id, limit=10, staff=None):
    """The chart's latest conversations, newest first; with `staff` whose role reads only its
    own pool, that pool's only (the chart never links to one they may not open)."""
    mine = () if staff is None or permissions.allows(staff, "read_all_conversations") else (
        Conversation.pool == ROLE_POOLS.get(staff.role, ""),)
    return db.session.scalars(select(Conversation).where(Conversation.patient_id == patient_id,
                                                         *mine)
                              .order_by(Conversation.last_message_at.desc()).limit(limit)).all()


def undelivered_notices(patient_id):
    """Emails about this chart the outbox could not deliver (gave up, or failing now)."""
    return db.session.scalars(select(OutboxEmail).where(
        OutboxEmail.patient_id == patient_id, OutboxEmail.sent_at.is_(None),
        or_(OutboxEmail.gave_up_at.is_not(None), and_(OutboxEmail.attempts > 0,
                                                      OutboxEmail.last_error != "")))
        .order_by(OutboxEmail.created_at.desc())).all()


def staff_members():
    """Active staff who may be assigned a conversation, by name."""
    return db.session.scalars(select(StaffUser).where(StaffUser.active)
                              .order_by(StaffUser.name)).all()


def reply_templates(active_only=True):
    """The saved replies by title (with `active_only`, only those staff may pick)."""
    statement = select(ReplyTemplate).order_by(ReplyTemplate.title)
    if active_only:
        statement = statement.where(ReplyTemplate.active)
    return db.session.scalars(statement).all()


# --- Staff side: the inbox on the record, undelivered notices in plain words ----------------

def record_queue_viewed(origin, filters, page):
    """Put a page of the shared inbox on the audit trail: the filters and the conversation ids
    it showed (never names or subjects)."""
    shown = ", ".join(str(row.id) for row in page.items) or "none"
    audit.record("message.queue_viewed", origin, object_type="conversation",
                 detail=f"pool: {filters.pool or 'all'}; status: {filters.status}; "
                        f"assigned: {filters.assigned or 'anyone'}; page: {page.page}; "
                        f"shown: {shown}")


# What went wrong with an email, for the chart, by the exception the mail worker recorded.
DELIVERY_PROBLEMS = (
    (("SMTPRecipientsRefused",),
     _l("The patient's email server refused the address. It may be mistyped or no longer in "
        "use: check it with the patient.")),
    (("SMTPAuthenticationError", "SMTPSenderRefused", "SMTPNotSupportedError", "SMTPHeloError"),
     _l("The practice's mail server refused to send it. The practice admin should check the "
        "mail settings.")),
    (("SMTPConnectError", "SMTPServerDisconnected", "ConnectionRefusedError", "TimeoutError",
      "gaierror", "SSLError", "SSLCertVerificationError", "OSError"),
     _l("The practice's mail server could not be reached.")),
    (("SMTPDataError", "SMTPResponseException"),
     _l("The receiving mail server turned the email away.")),
)


def delivery_problem(email):
    """Why an outbox email was not delivered, in words staff can act on (never its text)."""
    kind = (email.last_error or "").split(":", 1)[0].strip()
    for kinds, words in DELIVERY_PROBLEMS:
        if kind in kinds:
            return words
    return _l("The email could not be sent.")


# --- Conversations another part of the portal starts for a patient -------------------------
# (a record correction request: services/record_corrections.py words it and picks the pool)

def start_in_pool(account, pool, *, subject, body, submission_key=None, origin):
    """A patient's new conversation that another part of the portal words and routes to
    `pool` (one of POOLS). It is filed under the practice's first offered topic of that pool
    that asks no questions of its own (else the first such topic of any pool, still routed to
    `pool`), which sets the reply time; every other rule is start_conversation's. The caller
    commits."""
    if pool not in POOLS:
        raise ValueError(f"unknown pool: {pool}")
    ensure_topics()
    plain = [topic for topic in offered_topics() if not topic_fields(topic)]
    topic = next((topic for topic in plain if topic.pool == pool), plain[0] if plain else None)
    if topic is None:
        raise MessageError(_l("The practice does not take messages in the portal at the moment. "
                              "Please phone the practice."))
    conversation = start_conversation(account, topic, subject=subject, body=body,
                                      submission_key=submission_key, origin=origin)
    conversation.pool = pool
    return conversation
