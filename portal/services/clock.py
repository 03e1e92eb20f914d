"""The practice's clock. Times are stored in UTC; what a person reads, and what counts in
days (ages, paper signature dates, reply times, renewal dates), is in the practice's zone.
This module is the one place that turns a practice into a zone and a moment into a date."""

from datetime import UTC
from zoneinfo import ZoneInfo

from ..models.types import utcnow
from .practice import get_practice


def zone(practice=None):
    """The practice's time zone (the saved practice when none is given); UTC when the
    setting is missing or not a zone this machine knows."""
    if practice is None:
        practice = get_practice()
    try:
        return ZoneInfo(practice.time_zone)
    except (AttributeError, KeyError, TypeError, ValueError):
        return UTC


def local(moment, practice=None):
    """A UTC moment as the practice's wall-clock time."""
    return moment.astimezone(zone(practice))


def today(now=None, practice=None):
    """Today's date where the practice is (`now` defaults to this moment)."""
    return local(now or utcnow(), practice).date()
