"""The record's downloads as responses, for the patient (blueprints/records/downloads.py) and
for a provider with a share (blueprints/record_share): each file is built, put on the audit
trail as `origin` (the patient, or the share) with the chart it belongs to, committed, and
handed out as an attachment (web/downloads.audited). The routes decide what may be
downloaded; nothing here does."""

import logging
from datetime import timedelta

from flask import g, render_template

from ..page_texts import DOWNLOAD_LIMITED
from ..services import clock, ratelimit
from ..services.proxies.viewing import PATIENT
from ..services.records import entries, export, pdfs, share_opens
from . import downloads

log = logging.getLogger("portal")


def counted(kind, actor):
    """Count a download of `kind` ("zip", or "pdf" for PDFs and documents) by `actor` (the
    patient's account or the share): None when allowed, else the 429 page saying how long to
    wait (services/records/share_opens.count_download)."""
    try:
        share_opens.count_download(kind, actor)
    except ratelimit.RateLimited:
        title, text = DOWNLOAD_LIMITED[kind]
        minutes = ratelimit.WINDOW // timedelta(minutes=1)
        return render_template("errors/error.html", code=429, title=title,
                               text=text % {"limit": ratelimit.LIMITS[
                                   share_opens.DOWNLOAD_BUCKETS[kind]], "minutes": minutes},
                               incident_id=None), 429
    return None


def entry_pdf(entry, patient, origin):
    """One entry as a PDF under the practice letterhead."""
    pdf = pdfs.entry_pdf(entry, patient, g.practice)
    return downloads.audited(pdf, entries.file_name(entry, "pdf"), "application/pdf", origin,
                             "record_entry", entry.id, patient_id=patient.id)


def category_pdf(category, patient, origin, reader=PATIENT):
    """Every released entry of one category the reader may see, as one PDF."""
    shown = entries.patient_category_entries(patient.id, category.key, reader)
    pdf = pdfs.category_pdf(category, shown, patient, g.practice)
    entries.record_viewed(origin, patient.id, f"pdf {category.key}", shown)
    return downloads.audited(pdf, pdfs.category_file_name(category), "application/pdf", origin,
                             "record_category", category.key, patient_id=patient.id)


def document_file(entry, origin):
    """A document entry's original file (PDF or image), as published; a page saying it is
    unavailable (404) when the stored copy no longer matches its SHA-256."""
    data = entries.document_file(entry)
    if data is None:
        log.warning("record document %s no longer matches its SHA-256; not served", entry.id)
        return render_template("records/file_unavailable.html", entry=entry), 404
    return downloads.audited(data, entries.file_name(entry), entry.file_type, origin,
                             "record_file", entry.id, patient_id=entry.patient_id)


def archive(patient, origin, categories=None, reader=PATIENT):
    """The whole record, or only `categories` (a share's), as one ZIP streamed from a
    temporary file (services/records/export.py); only what `reader` may see."""
    made = export.build_archive(patient, g.practice, clock.zone(g.practice),
                                categories=categories, reader=reader)
    try:
        entries.record_viewed(origin, patient.id, "zip", made.entries)
    except BaseException:
        made.file.close()
        raise
    return downloads.audited_file(made.file, made.size, export.ARCHIVE_NAME, "application/zip",
                                  origin, "record_archive", patient_id=patient.id)
