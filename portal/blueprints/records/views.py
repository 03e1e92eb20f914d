"""The patient's health record pages: an overview of every category, a category's released
entries, one entry. Each is drawn by the page builders the provider's shared pages use too
(web/record_pages.py), for `g.patient`; every page works without JavaScript. The downloads
are in downloads.py."""

from flask import g, url_for

from ...services.messages import topics
from ...services.records import categories, entries, shares
from ...web import login, record_pages
from ...web.guards import patient_required
from . import bp

BILLING_POOL = "billing"


def _billing_question_url():
    """A new message on the practice's billing topic (its pool is "billing"), else the first
    step of a new message."""
    topic = next((topic for topic in topics.offered_topics() if topic.pool == BILLING_POOL),
                 None)
    return url_for("messages.compose", topic=topic.id if topic else None)


@bp.route("/records")
@patient_required
def overview():
    """Every category of the record, with how many entries it has and how many are new."""
    return record_pages.overview_page("records", g.patient, categories.CATEGORIES.values(),
                                      g.reader, share_days=shares.LONGEST_DAYS)


@bp.route("/records/<category>")
@patient_required
def category(category):
    """One category's released entries, newest first, 25 a page; the view is audited."""
    kind = record_pages.category_or_404(category, reader=g.reader)
    billing = {"billing_url": _billing_question_url()} if kind.key == "statement" else {}
    return record_pages.category_page("records", g.patient, login.origin(), kind, g.reader,
                                      **billing)


@bp.route("/records/<category>/<int:entry_id>")
@patient_required
def entry(category, entry_id):
    """One entry with all its facts; opening it marks it seen (no longer new)."""
    kind, found = record_pages.entry_or_404(g.patient, category, entry_id, reader=g.reader)
    was_new = found.patient_seen_at is None
    entries.mark_seen(found)
    return record_pages.entry_page("records", g.patient, login.origin(), kind, found,
                                   was_new=was_new)
