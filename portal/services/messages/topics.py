"""Message topics: what a patient writes about. A topic routes a conversation to a staff pool,
may ask questions of its own (a refill asks for the medication), and sets how many business
days the practice promises for a reply.

The default topics are made once, by services/setup.install_defaults (`portal setup`,
`portal demo`) or the admin's button, never by a page that reads them.
"""

from datetime import UTC, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...extensions import db
from ...models import MessageTopic
from .. import clock
from .limits import DETAIL_MAX, MessageError

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


def ensure_topics():
    """Add the default topics to a practice that has none yet; True when it added them (the
    caller commits). Only setup and the admin's button call it."""
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


def clean_details(topic, values):
    """The topic's own fields as [[label, value]] (stored with the first message);
    MessageError on the first one missing or too long."""
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
    `conversation`: a Conversation, or a staff inbox row (inbox.QUEUE_COLUMNS)."""
    if conversation.waiting_since is None:
        return None
    return add_business_days(conversation.waiting_since, conversation.reply_business_days,
                             clock.zone(practice))
