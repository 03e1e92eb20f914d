"""The health record as files a patient takes away: one entry, a whole category, or the whole
record (for its archive, export.py), as a PDF under the practice letterhead
(services/pdf.py).

Callers pass only what the patient may read (entries.patient_entry and
entries.patient_category_entries): nothing here decides who may see what. File names hold the
category and a number, never a personal name (they land in the Downloads folder).
"""

from datetime import datetime

from flask_babel import gettext as _

from .. import clock
from ..pdf import render_pdf
from .categories import CATEGORIES, fact_text, facts_for_people


def _context(patient, practice):
    """What every record PDF shows besides its entries: whose record it is, and when it was
    printed (in the practice's time zone, as are the release dates)."""
    zone = clock.zone(practice)
    return {"patient": patient, "zone": zone, "printed_on": datetime.now(zone).date()}


def entry_pdf(entry, patient, practice):
    """One released entry as a PDF (bytes): its facts under the practice letterhead, titled
    with the entry's title; an abnormal result is said in words."""
    category = CATEGORIES[entry.category]
    return render_pdf("record_entry", title=entry.title, practice=practice,
                      subject=str(category.label), entry=entry, category=category,
                      facts=facts_for_people(entry), **_context(patient, practice))


def category_pdf(category, entries, patient, practice):
    """Every entry given (one category of the patient's record, newest first) as one PDF
    (bytes); statements also show the total balance due."""
    balance = balance_due(entries) if category.key == "statement" else None
    return render_pdf("record_category", title=str(category.plural), practice=practice,
                      subject=str(category.plural), category=category,
                      rows=_rows(category, entries), balance=balance,
                      **_context(patient, practice))


def _rows(category, entries):
    """(entry, [(label, text)]) per entry, without the title's fact: each entry's heading
    says it."""
    title_label = str(category.field(category.title).label)
    return [(entry, [fact for fact in facts_for_people(entry) if fact[0] != title_label])
            for entry in entries]


def record_pdf(entries, patient, practice, files):
    """The whole record as one PDF (bytes) for the record's archive: a section per category of
    `entries` (statements with the balance due), each entry one compact paragraph of the facts
    its category's PDF shows (pdf/record_summary.html: 500 entries in about a second).
    `entries`: {category key: released entries, newest first}, in CATEGORIES order (every
    category, or a share's); `files`: {document entry id:
    the name of its file in the archive}, a document missing there is said to be left out."""
    sections = [(CATEGORIES[key], _rows(CATEGORIES[key], found),
                 balance_due(found) if key == "statement" else None)
                for key, found in entries.items()]
    return render_pdf("record_summary", title=_("Health record"), practice=practice,
                      subject=_("Health record"), sections=sections, files=files,
                      **_context(patient, practice))


def category_file_name(category):
    """The name of a category's PDF, e.g. "lab-records.pdf": no spaces, no personal name."""
    return f"{category.key}-records.pdf"


def balance_due(entries):
    """What the patient owes, for people ("$1,234.50"): the balance on the newest statement,
    since each statement carries the account's balance on its date (summing them would count
    one debt many times). `entries`: statements, newest first. None without any."""
    if not entries:
        return None
    category = CATEGORIES["statement"]
    return fact_text(category.field("balance"), (entries[0].facts or {}).get("balance"))
