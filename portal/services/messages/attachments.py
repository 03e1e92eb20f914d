"""Files sent with a message: checked against the practice's policy by their bytes (never
their names), stored in the database with their SHA-256, and served only when they still
match it. A patient may download only their own conversation's files, never a note's.
"""

import hashlib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ...extensions import db
from ...models import Conversation, Message, MessageAttachment
from .. import permissions
from ..access import LARGEST_ID
from ..proxies.viewing import PATIENT
from ..uploads import EXTENSIONS, FILE_KINDS, MAX_IMAGE_PIXELS, FileRefused, clean_upload, kind_of
from .limits import MAX_FILES, MessageError


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


def received(files):
    """The files a form's file input sent (werkzeug FileStorage), as Uploads; an input left
    empty sends none."""
    return [Upload(file.filename or "", file.read()) for file in files or () if file]


# --- Checking -------------------------------------------------------------------------------

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
    checked = [_check_file(upload, practice) for upload in uploads]
    if sum(len(file.data) for file in checked) > practice.attachment_message_max_mb * 1024 * 1024:
        raise MessageError(_l("These files come to more than %(size)d MB together. Send some of "
                              "them in another message.", size=practice.attachment_message_max_mb),
                           "attachments")
    return checked


def _check_file(upload, practice):
    """One file as a CheckedFile, else MessageError saying why it was refused."""
    name = _clean_filename(upload.filename)
    if not upload.data:
        raise MessageError(_("%(name)s is empty. Choose the file again.", name=name),
                           "attachments")
    if len(upload.data) > practice.attachment_max_mb * 1024 * 1024:
        raise MessageError(_("%(name)s is larger than %(size)d MB. Send a smaller file.",
                             name=name, size=practice.attachment_max_mb), "attachments")
    content_type = kind_of(upload.data, allowed_kinds(practice))
    if content_type is None:
        raise MessageError(_("%(name)s is not a file type this practice accepts (%(types)s). "
                              "The type is read from the file itself, not its name.",
                             name=name, types=allowed_description(practice)), "attachments")
    try:
        data = clean_upload(upload.data, content_type)
    except FileRefused as refused:
        raise MessageError(_refusal(refused.reason, name), "attachments") from None
    return CheckedFile(name, content_type, data)


def _refusal(reason, name):
    """What a patient or staff member reads when uploads.clean_upload refuses a file."""
    if reason == "too_large":
        return _("%(name)s is too large a picture (more than %(megapixels)d megapixels). Save a "
                 "smaller copy and attach it.", name=name,
                 megapixels=MAX_IMAGE_PIXELS // 1_000_000)
    if reason == "unreadable_pdf":
        return _("%(name)s could not be read as a PDF. Save it again, without a password, and "
                 "attach the new copy.", name=name)
    return _("%(name)s could not be read as an image. Save it again and attach the new copy.",
             name=name)


# --- Storing --------------------------------------------------------------------------------

def store(message, files):
    """Keep checked files with their message, each with its SHA-256 (the caller commits)."""
    for file in files:
        db.session.add(MessageAttachment(
            message_id=message.id, filename=file.filename, content_type=file.content_type,
            size=len(file.data), sha256=hashlib.sha256(file.data).hexdigest(), data=file.data))


# --- Serving --------------------------------------------------------------------------------

def file_format(attachment):
    """The file's ending by its stored type ("pdf", "png"), as downloads and the audit name it."""
    return EXTENSIONS.get(attachment.content_type, "bin")


def download_name(attachment):
    """A neutral file name: never the sender's, which may name a person or a condition."""
    return f"attachment-{attachment.id}.{file_format(attachment)}"


# Types staff see drawn in the conversation: images, re-encoded when they arrived (uploads.py).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif"})


def shown_inline(attachment):
    """Whether the file is an image the staff conversation page draws (others stay downloads)."""
    return attachment.content_type in IMAGE_TYPES


def attachment_bytes(attachment):
    """The stored bytes, or None when they no longer match their SHA-256 (the caller logs
    and refuses)."""
    if hashlib.sha256(attachment.data).hexdigest() != attachment.sha256:
        return None
    return attachment.data


def _with_conversation(attachment_id, *conditions):
    """(attachment with its bytes, conversation) matching `conditions`, else None."""
    if not 0 < attachment_id <= LARGEST_ID:
        return None
    row = db.session.execute(
        select(MessageAttachment, Conversation)
        .join(Message, Message.id == MessageAttachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(MessageAttachment.id == attachment_id, *conditions)
        .options(undefer(MessageAttachment.data))).first()
    return (row[0], row[1]) if row else None


def patient_attachment(patient_id, attachment_id, reader=PATIENT):
    """An attachment the patient may download (their conversation, not a note, and one
    `reader` may see), with its bytes loaded; else None."""
    found = _with_conversation(attachment_id, Conversation.patient_id == patient_id,
                               Message.internal.is_(False), *reader.conversation_conditions())
    return found[0] if found else None


def staff_attachment(attachment_id, staff=None):
    """(attachment with its bytes, conversation) for staff, else None. With `staff`, raises
    permissions.Refused for a conversation outside what their role may read."""
    found = _with_conversation(attachment_id)
    if found and staff is not None:
        permissions.require_conversation(staff, found[1])
    return found
