"""The practice admin's side of messages: the topics patients write about and the saved
replies (reply templates) staff start from.

Neither is ever deleted: a conversation points at its topic, and an admin may want a saved
reply back. Both are turned off instead (active=False): a topic turned off is no longer
offered to patients, a saved reply turned off is no longer offered to staff. A topic's pool
and form apply to conversations started after the change (a conversation keeps the pool it
was routed to); its reply time applies to what already waits too. Every change is on the
audit trail. The caller commits.
"""

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...extensions import db
from ...models import MessageTopic, ReplyTemplate
from .. import audit
from ..access import LARGEST_ID
from ..errors import FieldError
from .topics import ensure_topics

# What the admin's forms may change on a topic and on a saved reply.
TOPIC_COLUMNS = ("label", "pool", "form", "reply_business_days", "position", "active")
TEMPLATE_COLUMNS = ("title", "body", "active")


class TopicError(FieldError):
    """A topic change that cannot be saved: `message` for the admin, `field` for the form."""


def add_default_topics(origin):
    """The default topics, added when the practice has none yet (on the record); True when
    added. Setup and the admin's button call it, never a page that reads."""
    added = ensure_topics()
    if added:
        audit.record("message_topic.created", origin, object_type="message_topic",
                     detail="the default topics")
    return added


def topic_by_id(topic_id):
    """The topic with this id, else None."""
    return db.session.get(MessageTopic, topic_id) if 0 < topic_id <= LARGEST_ID else None


def next_position():
    """The position that puts a new topic at the end of the list."""
    last = db.session.scalar(select(func.max(MessageTopic.position)))
    return 0 if last is None else last + 1


def _check_label(label, topic=None):
    """Two topics with one name would look the same to a patient choosing between them."""
    same = select(MessageTopic.id).where(func.lower(MessageTopic.label) == label.lower())
    if topic is not None:
        same = same.where(MessageTopic.id != topic.id)
    if db.session.scalar(same.limit(1)) is not None:
        raise TopicError(_("Another topic is already called “%(label)s”. Choose "
                                   "another name.", label=label), "label")


def create_topic(values, origin):
    """A new topic from the form's values; TopicError when its name is taken."""
    _check_label(values["label"])
    topic = MessageTopic(**{name: values[name] for name in TOPIC_COLUMNS})
    db.session.add(topic)
    db.session.flush()
    audit.record("message_topic.created", origin, object_type="message_topic",
                 object_id=topic.id, detail=f"pool: {topic.pool}; form: {topic.form}")
    return topic


def update_topic(topic, values, origin):
    """Apply the form's values; the names of the fields that changed (on the record when
    any did)."""
    _check_label(values["label"], topic)
    changed = _apply(topic, values, TOPIC_COLUMNS)
    if changed:
        audit.record("message_topic.updated", origin, object_type="message_topic",
                     object_id=topic.id, detail=_changes(topic, changed))
    return changed


# Every staff conversation page reads the active ones: both built once.
_REPLY_TEMPLATES = {active_only: select(ReplyTemplate).order_by(ReplyTemplate.title)
                    .where(*((ReplyTemplate.active,) if active_only else ()))
                    for active_only in (True, False)}


def reply_templates(active_only=True):
    """The saved replies by title (with `active_only`, only those staff may pick)."""
    return db.session.scalars(_REPLY_TEMPLATES[bool(active_only)]).all()


def template_by_id(template_id):
    """The saved reply with this id, else None."""
    return db.session.get(ReplyTemplate, template_id) if 0 < template_id <= LARGEST_ID else None


def create_reply_template(values, origin):
    """A new saved reply from the form's values."""
    template = ReplyTemplate(title=values["title"], body=values["body"], active=True)
    db.session.add(template)
    db.session.flush()
    audit.record("reply_template.created", origin, object_type="reply_template",
                 object_id=template.id)
    return template


def update_reply_template(template, values, origin):
    """Apply new values (title, body, active); the names of the fields that changed."""
    changed = _apply(template, values, TEMPLATE_COLUMNS)
    if changed:
        audit.record("reply_template.updated", origin, object_type="reply_template",
                     object_id=template.id, detail=_changes(template, changed))
    return changed


def _apply(row, values, fields):
    changed = [name for name in fields if name in values and getattr(row, name) != values[name]]
    for name in changed:
        setattr(row, name, values[name])
    return changed


def _changes(row, changed):
    """"changed: label, active (off)": the names only, and whether it is now on or off (a
    saved reply's text is not copied onto the audit trail)."""
    names = [f"active ({'on' if row.active else 'off'})" if name == "active" else name
             for name in changed]
    return "changed: " + ", ".join(names)
