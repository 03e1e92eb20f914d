"""Template helpers: the practice and the policy numbers on every page, dates and times
shown in the practice's zone, and the reply time a topic promises."""

from datetime import timedelta

from flask import g, request
from flask_babel import ngettext
from flask_login import current_user

from ..services import clock, recovery, sessions
from ..services.practice import get_practice

# The idle warning (static/js/idle-warning.js) shows this long before the idle time-out.
IDLE_WARNING = timedelta(minutes=2)


def init_app(app):
    """Load the practice per request and register the template context and filters."""
    app.before_request(_load_practice)
    app.context_processor(_page_context)
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["us_date"] = us_date


def _page_context():
    """What every page may show: the practice, and the numbers of the rules it quotes, read
    from the rules themselves (pages and the idle-warning script never restate them)."""
    return {
        "practice": _current_practice(),
        "idle_seconds": int(sessions.IDLE_TIMEOUT.total_seconds()),
        "idle_warning_seconds": int(IDLE_WARNING.total_seconds()),
        "idle_warning_minutes": IDLE_WARNING // timedelta(minutes=1),
        "reset_link_minutes": recovery.RESET_LIFETIME // timedelta(minutes=1),
    }


def _load_practice():
    if request.endpoint != "static":
        # A signed-in browser's session check reads the practice's row with the session's
        # (services/sessions.py): check it first, and get_practice finds the row loaded.
        current_user.is_authenticated  # noqa: B018 - loads the account, and the practice
        g.practice = get_practice()


def _current_practice():
    if "practice" not in g:
        g.practice = get_practice()
    return g.practice


def practice_zone():
    """The practice's time zone (UTC when the setting is missing or unknown)."""
    return clock.zone(_current_practice())


def local_time(moment, fmt="%b %d, %Y %I:%M %p %Z"):
    """A UTC moment shown in the practice's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(practice_zone()).strftime(fmt)


def us_date(day):
    """A calendar date as MM/DD/YYYY."""
    return day.strftime("%m/%d/%Y") if day else ""


def reply_time(topic):
    """"2 business days": how soon the practice promises to answer on `topic` (the message
    pages and the record-correction page say it alike)."""
    return ngettext("%(num)d business day", "%(num)d business days", topic.reply_business_days)
