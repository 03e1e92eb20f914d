"""The record's pages, drawn once for both readers: the patient (blueprints/records) and a
provider with a share (blueprints/record_share). Each builder takes the patient whose record it
is, the `origin` that reads it (the patient, or the share acting) and `pages`, the folder of
the page's templates and the blueprint of its links ("records" or "record_share"); the page
gets the patient as `patient`, and the rest of its context as keywords. A builder finds what
the patient may read (released entries of their own chart), puts the read on the audit trail,
draws the page and commits: drawn first, since the commit would reload the entries it shows."""

from flask import abort, g, render_template

from ..extensions import db
from ..services import clock
from ..services.proxies.viewing import PATIENT
from ..services.records import categories, entries, pdfs
from .paging import requested_page

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


def category_or_404(key, shown=None, reader=PATIENT):
    """The Category in the URL, else 404; also 404 when `shown` (the keys a share shows)
    leaves it out, or the reader (a guardian with limited scope) does not reach it."""
    category = categories.CATEGORIES.get(key)
    if category is None or (shown is not None and category.key not in shown) \
            or not reader.may_open(category.key):
        abort(404)
    return category


def entry_or_404(patient, category_key, entry_id, shown=None, reader=PATIENT):
    """(category, entry): the patient's released entry of this category that the reader
    may see, else 404."""
    category = category_or_404(category_key, shown, reader)
    entry = entries.patient_entry(patient.id, entry_id, reader)
    if entry is None or entry.category != category.key:
        abort(404)
    return category, entry


def table(category, found):
    """The category's columns (fields) and one (entry, [cell text]) per entry of `found`, the
    facts worded as on the entry's page (dates, choices and money for people)."""
    columns = [category.field(name) for name in (category.filed_by, *COLUMNS[category.key])]
    rows = [(entry, [(item.name, categories.fact_text(item, (entry.facts or {}).get(item.name)))
                     for item in columns]) for entry in found]
    return columns, rows


def _extras(category, rows, patient, reader):
    """What a category's page shows beyond its table: appointments split into upcoming and
    past (today in the practice's zone); statements with the balance due."""
    if category.key == "appointment":
        today = clock.today(practice=g.practice)
        upcoming = [row for row in rows if row[0].recorded_on >= today]
        return {"upcoming": upcoming[::-1],  # the soonest first
                "past": [row for row in rows if row[0].recorded_on < today]}
    if category.key == "statement":
        every = entries.patient_category_entries(patient.id, category.key, reader)
        return {"balance": pdfs.balance_due(every)}
    return {}


def overview_page(pages, patient, shown, reader=PATIENT, **context):
    """The record's overview: each category of `shown` the reader reaches, with how many
    entries it has and how many the patient has not opened."""
    return render_template(f"{pages}/overview.html", patient=patient,
                           categories=reader.categories(shown),
                           counts=entries.overview(patient.id, reader), **context)


def category_page(pages, patient, origin, category, reader=PATIENT, **context):
    """One category's released entries, newest first, 25 a page; the read is audited."""
    page = entries.patient_page(patient.id, category.key, requested_page(), reader)
    columns, rows = table(category, page.items)
    html = render_template(f"{pages}/category.html", patient=patient, category=category,
                           page=page, columns=columns, rows=rows,
                           **_extras(category, rows, patient, reader), **context)
    entries.record_viewed(origin, patient.id, f"list {category.key}", page.items)
    db.session.commit()
    return html


def entry_page(pages, patient, origin, category, entry, **context):
    """One entry with all its facts; the read is audited."""
    html = render_template(f"{pages}/entry.html", patient=patient, category=category,
                           entry=entry, facts=categories.facts_for_people(entry), **context)
    entries.record_viewed(origin, patient.id, f"entry {category.key}", [entry])
    db.session.commit()
    return html
