"""Writing messages: a patient starts a conversation or replies; staff reply, add internal
notes, assign, move to another pool, close, or start a conversation with a patient.

Status, kept here and nowhere else:
- new: the patient wrote and no one on staff has acted yet;
- open: staff have acted (a note, an assignment) but the patient still waits for a reply,
  or the patient wrote again;
- waiting: staff replied last, the conversation waits on the patient;
- closed: staff closed it. A patient who writes again reopens it.

Messages are never edited or deleted: a patient archives a conversation (staff still see it),
staff close one. A page carries a one-time submission key, so sending it twice sends once.
The email a patient gets says only that a message is waiting, never its subject or text.
Every function adds and flushes; the caller commits.
"""

import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...database import lock_for_write
from ...extensions import db
from ...models import Conversation, Message, PatientAccount
from ...models.messages import POOLS
from ...models.types import utcnow
from .. import audit, permissions
from ..mail import send_email
from ..tokens import external_url
from . import attachments
from .limits import BODY_MAX, NOTE_MAX, SUBJECT_MAX, MessageError, checked_text
from .topics import clean_details, offered_topics, topic_fields


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


def _add_message(conversation, *, body, account=None, staff=None, internal=False, details=(),
                 files=(), submission_key=None, now):
    message = Message(conversation_id=conversation.id, body=body, internal=internal,
                      details=list(details), created_at=now, submission_key=submission_key or None,
                      patient_account_id=account.id if account is not None else None,
                      staff_id=staff.id if staff is not None else None)
    db.session.add(message)
    db.session.flush()
    attachments.store(message, files)
    return message


def start_conversation(account, topic, *, subject, body, details=None, files=(),
                       submission_key=None, origin, patient_id=None):
    """A new conversation on `topic` about the account's own chart, or `patient_id`'s (a
    guardian writing for their child); returns it (the caller commits). Checks every part
    first: nothing is saved unless all of it is."""
    if topic is None or not topic.active:
        raise MessageError(_l("Choose a topic from the list."), "topic")
    subject = checked_text(subject, SUBJECT_MAX, _l("Enter a subject."), "subject")
    body = checked_text(body, BODY_MAX, _l("Enter your message."), "body")
    details = clean_details(topic, details or {})
    earlier = _sent_before(submission_key)
    if earlier is not None:
        return db.session.get(Conversation, earlier.conversation_id)
    now = utcnow()
    patient_id = patient_id or account.patient_id
    conversation = Conversation(
        patient_id=patient_id, topic_id=topic.id, pool=topic.pool, subject=subject,
        status="new", created_at=now, last_message_at=now, waiting_since=now,
        patient_read_at=now)
    db.session.add(conversation)
    db.session.flush()
    message = _add_message(conversation, body=body, account=account, details=details, files=files,
                           submission_key=submission_key, now=now)
    audit.record("message.sent", origin, patient_id=patient_id, object_type="conversation",
                 object_id=conversation.id, detail=f"message {message.id}; files: {len(files)}")
    return conversation


def patient_reply(account, conversation, *, body, files=(), submission_key=None, origin):
    """The patient writes again in their conversation (reopening it when closed)."""
    body = checked_text(body, BODY_MAX, _l("Enter your message."), "body")
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
    body = checked_text(body, BODY_MAX, _l("Enter your reply."), "body")
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
    body = checked_text(body, NOTE_MAX, _l("Enter the note."), "note")
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
    subject = checked_text(subject, SUBJECT_MAX, _l("Enter a subject."), "subject")
    body = checked_text(body, BODY_MAX, _l("Enter the message."), "body")
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


def archive(conversation, archived=True):
    """The patient files a conversation away (or back): staff still see it, nothing is lost."""
    conversation.patient_archived = archived


def mark_read(conversation):
    """The patient has now seen every reply in the conversation (nothing to write when they
    had seen them all already, as on most views)."""
    if conversation.unread_for_patient:
        conversation.patient_read_at = utcnow()


def start_in_pool(account, pool, *, subject, body, submission_key=None, origin):
    """A patient's new conversation that another part of the portal words and routes to
    `pool` (one of POOLS). It is filed under the practice's first offered topic of that pool
    that asks no questions of its own (else the first such topic of any pool, still routed to
    `pool`), which sets the reply time; every other rule is start_conversation's. The caller
    commits."""
    if pool not in POOLS:
        raise ValueError(f"unknown pool: {pool}")
    plain = [topic for topic in offered_topics() if not topic_fields(topic)]
    topic = next((topic for topic in plain if topic.pool == pool), plain[0] if plain else None)
    if topic is None:
        raise MessageError(_l("The practice does not take messages in the portal at the moment. "
                              "Please phone the practice."))
    conversation = start_conversation(account, topic, subject=subject, body=body,
                                      submission_key=submission_key, origin=origin)
    conversation.pool = pool
    return conversation
