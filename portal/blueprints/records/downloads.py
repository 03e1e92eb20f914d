"""The patient's record as downloads: an entry's or a category's PDF, a document's original
file, and the whole record as one ZIP. Each is counted against the download limits, then
built by web/record_downloads.py (which the provider's shared pages use too), for
`g.patient`."""

from flask import g
from flask_login import current_user

from ...web import login, record_downloads, record_pages
from ...web.guards import patient_required
from . import bp


@bp.route("/records/<category>/<int:entry_id>.pdf")
@patient_required
def entry_pdf(category, entry_id):
    """The entry as a PDF under the practice letterhead, as a download."""
    _kind, found = record_pages.entry_or_404(g.patient, category, entry_id, reader=g.reader)
    return record_downloads.counted("pdf", current_user) or record_downloads.entry_pdf(
        found, g.patient, login.origin())


@bp.route("/records/<category>.pdf")
@patient_required
def category_pdf(category):
    """Every released entry of one category as one PDF, as a download."""
    kind = record_pages.category_or_404(category, reader=g.reader)
    return record_downloads.counted("pdf", current_user) or record_downloads.category_pdf(
        kind, g.patient, login.origin(), g.reader)


@bp.route("/records/documents/<int:entry_id>/file")
@patient_required
def document_file(entry_id):
    """A document entry's original file (PDF or image), as published, as a download."""
    _kind, found = record_pages.entry_or_404(g.patient, "document", entry_id, reader=g.reader)
    return record_downloads.counted("pdf", current_user) or record_downloads.document_file(
        found, login.origin())


@bp.route("/records/download.zip")
@patient_required
def archive():
    """The whole record as one ZIP (a PDF of every released entry, the documents, a FHIR R4
    copy and a README), streamed from a temporary file as a download."""
    return record_downloads.counted("zip", current_user) or record_downloads.archive(
        g.patient, login.origin(), reader=g.reader)
