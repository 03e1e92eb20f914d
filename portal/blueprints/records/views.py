"""The patient's health record pages and downloads. Each view finds what the patient may read
(services/records.py: released entries of their own chart, else 404), puts the view on the
audit trail and commits; pages are drawn before the commit, which would otherwise reload the
entries they show. Every page works without JavaScript. The downloads are built in files.py,
which a provider's shared pages use too."""

from datetime import datetime

from flask import abort, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...services import record_files, record_shares, records
from ...services.messages import topics
from ...web import login
from ...web.filters import practice_zone
from ...web.guards import patient_required
from . import bp, files

# A page number past any record; a larger one would overflow the database's OFFSET.
LAST_PAGE = 100_000
# A category's table: after the title, the date it is filed under and these fields, the ones a
# patient looks for first (the entry's page and PDF show every field).
COLUMNS = {
    "lab": ("value", "unit", "reference_range", "flag"),
    "immunization": ("dose",),
    "medication": ("dose", "stopped_on", "prescriber"),
    "allergy": ("reaction", "severity"),
    "problem": ("state",),
    "appointment": ("at", "provider", "state"),
    "visit": ("provider",),
    "statement": ("amount", "balance"),
    "document": ("kind",),
}
BILLING_POOL = "billing"


def _page():
    return min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)


def _category_or_404(key):
    category = records.CATEGORIES.get(key)
    if category is None:
        abort(404)
    return category


def _entry_or_404(category_key, entry_id):
    """The patient's released entry of this category (the one in the URL), else 404."""
    category = _category_or_404(category_key)
    entry = records.patient_entry(current_user.patient_id, entry_id)
    if entry is None or entry.category != category.key:
        abort(404)
    return category, entry


def table(category, entries):
    """The category's columns (fields) and one (entry, [cell text]) per entry, the facts
    worded as on the entry's page (dates, choices and money for people)."""
    columns = [category.field(name) for name in (category.filed_by, *COLUMNS[category.key])]
    rows = [(entry, [(item.name, records.fact_text(item, (entry.facts or {}).get(item.name)))
                     for item in columns]) for entry in entries]
    return columns, rows


def _billing_question_url():
    """A new message on the practice's billing topic (its pool is "billing"), else the first
    step of a new message."""
    topic = next((topic for topic in topics.offered_topics() if topic.pool == BILLING_POOL),
                 None)
    return url_for("messages.compose", topic=topic.id if topic else None)


def extras(category, rows, patient_id):
    """What a category's page shows beyond its table: appointments split into upcoming and
    past (today in the practice's zone); statements with the balance due."""
    if category.key == "appointment":
        today = datetime.now(practice_zone()).date()
        upcoming = [row for row in rows if row[0].recorded_on >= today]
        return {"upcoming": upcoming[::-1],  # the soonest first
                "past": [row for row in rows if row[0].recorded_on < today]}
    if category.key == "statement":
        every = records.patient_category_entries(patient_id, category.key)
        return {"balance": record_files.balance_due(every)}
    return {}


@bp.route("/records")
@patient_required
def overview():
    """Every category of the record, with how many entries it has and how many are new."""
    return render_template("records/overview.html", categories=records.CATEGORIES.values(),
                           counts=records.overview(current_user.patient_id),
                           share_days=record_shares.LONGEST_DAYS)


@bp.route("/records/<category>")
@patient_required
def category(category):
    """One category's released entries, newest first, 25 a page; the view is audited."""
    kind = _category_or_404(category)
    page = records.patient_page(current_user.patient_id, kind.key, _page())
    records.record_viewed(login.origin(), current_user.patient_id, f"list {kind.key}",
                          page.items)
    columns, rows = table(kind, page.items)
    billing = {"billing_url": _billing_question_url()} if kind.key == "statement" else {}
    html = render_template("records/category.html", category=kind, page=page, columns=columns,
                           rows=rows, **extras(kind, rows, current_user.patient_id), **billing)
    db.session.commit()
    return html


@bp.route("/records/<category>/<int:entry_id>")
@patient_required
def entry(category, entry_id):
    """One entry with all its facts; opening it marks it seen (no longer new)."""
    kind, found = _entry_or_404(category, entry_id)
    was_new = found.patient_seen_at is None
    records.mark_seen(found)
    records.record_viewed(login.origin(), current_user.patient_id, f"entry {kind.key}", [found])
    html = render_template("records/entry.html", category=kind, entry=found, was_new=was_new,
                           facts=records.facts_for_people(found))
    db.session.commit()
    return html


@bp.route("/records/<category>/<int:entry_id>.pdf")
@patient_required
def entry_pdf(category, entry_id):
    """The entry as a PDF under the practice letterhead, as a download."""
    _kind, found = _entry_or_404(category, entry_id)
    return files.counted("pdf", current_user) or files.entry_pdf(found, current_user.patient,
                                                                  login.origin())


@bp.route("/records/<category>.pdf")
@patient_required
def category_pdf(category):
    """Every released entry of one category as one PDF, as a download."""
    kind = _category_or_404(category)
    return files.counted("pdf", current_user) or files.category_pdf(kind, current_user.patient,
                                                                     login.origin())


@bp.route("/records/documents/<int:entry_id>/file")
@patient_required
def document_file(entry_id):
    """A document entry's original file (PDF or image), as published, as a download."""
    _kind, found = _entry_or_404("document", entry_id)
    return files.counted("pdf", current_user) or files.document_file(found, login.origin())


@bp.route("/records/download.zip")
@patient_required
def archive():
    """The whole record as one ZIP (a PDF of every released entry, the documents, a FHIR R4
    copy and a README), streamed from a temporary file as a download."""
    return files.counted("zip", current_user) or files.archive(current_user.patient,
                                                               login.origin())
