"""What a message may hold: the lengths its parts are held to, and MessageError, the refusal
every module of messages raises (a form puts it on the field it names)."""

from flask_babel import lazy_gettext as _l

from ..errors import FieldError

SUBJECT_MAX = 120
BODY_MAX = 5000
NOTE_MAX = 2000
DETAIL_MAX = 200  # one answer to a topic's own question (medication, pharmacy, ...)
MAX_FILES = 5


class MessageError(FieldError):
    """Input a message cannot be sent with: `message` for the person, `field` for the form."""


def checked_text(value, limit, empty_message, field_name):
    """`value` stripped; MessageError on `field_name` when it is empty or over `limit`."""
    value = (value or "").strip()
    if not value:
        raise MessageError(empty_message, field_name)
    if len(value) > limit:
        raise MessageError(_l("Shorten this to %(limit)d characters or fewer (it has %(count)d).",
                              limit=limit, count=len(value)), field_name)
    return value
