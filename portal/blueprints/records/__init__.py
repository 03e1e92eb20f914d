"""The patient's health record: an overview of every category, a category's released entries,
one entry, and each as a download (a PDF, or a document's original file), and the whole record
as one ZIP (services/records/export.py). Every rule of what a patient may read is in
services/records/entries.py; the PDFs are built in services/records/pdfs.py."""

from flask import Blueprint

bp = Blueprint("records", __name__)

from . import corrections, downloads, history, share_handover, shares, views  # noqa: E402,F401
