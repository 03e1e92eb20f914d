"""A conversation's messages as its page shows them, oldest first: what each says, who wrote it
and its attachments' names and sizes (never their bytes). Read as columns in two statements,
not as objects: building nine messages with their authors and attachments took a third of a
conversation page.

The patient's side never includes an internal note, nor the attachments of one: an attachment
is shown only under a message the same read returned (patient_messages)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from ... import database
from ...models import Message, MessageAttachment, StaffUser
from ...models.staff import STAFF_ROLES
from .. import audit


@dataclass(frozen=True, slots=True)
class Author:
    """The staff member who wrote a message."""

    name: str
    role: str

    @property
    def role_label(self):
        return STAFF_ROLES.get(self.role, self.role)


@dataclass(frozen=True, slots=True)
class ShownAttachment:
    """An attachment as the page lists it: its name, type and size, never its bytes."""

    id: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class ShownMessage:
    """A message as the conversation page shows it, with its author and attachments."""

    id: int
    body: str
    details: list
    created_at: datetime
    internal: bool
    from_patient: bool
    staff: Author | None  # None for the patient's own, or a removed staff member's
    attachments: tuple


def _messages(patient_view):
    shown = (Message.conversation_id == bindparam("conversation_id"),
             *((Message.internal.is_(False),) if patient_view else ()))
    return (select(Message.id, Message.body, Message.details, Message.created_at,
                   Message.internal, Message.patient_account_id, StaffUser.name, StaffUser.role)
            .outerjoin(StaffUser, StaffUser.id == Message.staff_id)
            .where(*shown).order_by(Message.id))


# Built once, the conversation a parameter.
_PATIENT_MESSAGES, _STAFF_MESSAGES = _messages(patient_view=True), _messages(patient_view=False)
_ATTACHMENTS = (select(MessageAttachment.message_id, MessageAttachment.id,
                       MessageAttachment.filename, MessageAttachment.content_type,
                       MessageAttachment.size)
                .join(Message, Message.id == MessageAttachment.message_id)
                .where(Message.conversation_id == bindparam("conversation_id"))
                .order_by(MessageAttachment.id))


def patient_messages(conversation):
    """What the patient may read of a conversation: never an internal note."""
    return _read(_PATIENT_MESSAGES, conversation.id)


def staff_messages(conversation):
    """Every message of a conversation, internal notes included (the staff page)."""
    return _read(_STAFF_MESSAGES, conversation.id)


def _read(statement, conversation_id):
    params = {"conversation_id": conversation_id}
    rows = database.read(statement, params).all()
    files = {}
    for message_id, *columns in database.read(_ATTACHMENTS, params):
        files.setdefault(message_id, []).append(ShownAttachment(*columns))
    return [ShownMessage(id=row.id, body=row.body, details=row.details or [],
                         created_at=row.created_at, internal=row.internal,
                         from_patient=row.patient_account_id is not None,
                         staff=Author(row.name, row.role) if row.name is not None else None,
                         attachments=tuple(files.get(row.id, ())))
            for row in rows]


def record_read(origin, conversation, messages):
    """Every read of a conversation's messages, by staff or patient, goes on the record."""
    ids = [message.id for message in messages]
    audit.record_read("message.read", origin, patient_id=conversation.patient_id,
                      object_type="conversation", object_id=conversation.id,
                      detail=f"messages: {', '.join(map(str, ids))}"[:2000])
