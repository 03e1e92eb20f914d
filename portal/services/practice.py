"""The practice's settings row."""

from sqlalchemy import select
from sqlalchemy.orm.util import identity_key

from ..extensions import db
from ..models import Practice

PRACTICE_ID = 1
SETTING_FIELDS = (
    "name", "address_line1", "address_line2", "city", "state", "postal_code", "mailing_address",
    "phone", "fax", "email", "time_zone", "office_hours", "reply_time_promise",
    "emergency_notice", "attachments_allowed", "attachment_max_mb", "attachment_message_max_mb",
    "attachment_types", "public_verification", "activation_code_days", "result_holds_allowed",
    "teen_account_age", "teen_messages_private",
)


# Every request reads it: the statement is built once (session.get builds its own each time).
_PRACTICE = select(Practice).where(Practice.id == PRACTICE_ID)


def get_practice():
    """The practice's settings; an unsaved placeholder before the admin has set them up."""
    practice = db.session.identity_map.get(identity_key(Practice, PRACTICE_ID))
    if practice is None:
        practice = db.session.scalar(_PRACTICE)
    if practice is None:
        defaults = {
            column.key: column.default.arg
            for column in Practice.__table__.columns
            if column.default is not None and not callable(column.default.arg)
        }
        practice = Practice(**{**defaults, "id": PRACTICE_ID, "name": "Patient portal"})
    return practice


def update_practice(practice, values):
    """Apply new setting values; return the names of the settings that changed."""
    changed = [name for name in SETTING_FIELDS
               if name in values and getattr(practice, name) != values[name]]
    for name in changed:
        setattr(practice, name, values[name])
    if practice not in db.session:
        db.session.add(practice)
    return changed
