"""What a new practice starts with: the two default documents (the portal consent and the
health history form) and the default message topics.

They are made once, by `portal setup` (migrate, then this) and by `portal demo`, never by a
page that reads them: a GET never writes.
"""

from . import audit
from .consents import defaults
from .messages.admin import add_default_topics


def install_defaults(origin=audit.SYSTEM):
    """Make whatever defaults the practice does not have yet (the caller commits); returns
    what it made, as short phrases for the command's output."""
    made = []
    if defaults.ensure_defaults(origin):
        made.append("the default consent and health history form")
    if add_default_topics(origin):
        made.append("the default message topics")
    return made
