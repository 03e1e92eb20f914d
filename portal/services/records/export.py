"""The whole health record as one ZIP a patient takes away: a PDF of every released entry
(services/pdfs.record_pdf), the documents as published, the same record as FHIR R4
(services/fhir.py) and a README saying what is there and what was left out.

Only released entries of the patient's own chart go in (entries.patient_category_entries per
category). The archive is written into a spooled temporary file, in memory up to SPOOL_BYTES
and on disk (an unnamed temporary file) past that, so a large record is never held twice; the
web layer streams it out and closes it. Documents are read one at a time and let go once
written. Names inside the archive and of the archive itself hold no spaces and no personal
names.
"""

import base64
import hashlib
import json
import tempfile
import zipfile
from dataclasses import dataclass, field

from flask import render_template

from ...extensions import db
from ...models.types import utcnow
from ..proxies.viewing import PATIENT
from . import fhir, pdfs
from .categories import CATEGORIES, fact_text
from .entries import document_file, file_name, patient_category_entries

ARCHIVE_NAME = "health-record.zip"
SUMMARY_NAME = "record-summary.pdf"
FHIR_NAME = "record.fhir.json"
README_NAME = "README.txt"
DOCUMENTS_FOLDER = "documents"
SPOOL_BYTES = 8 * 1024 * 1024  # past this the archive is written to a temporary file


@dataclass
class Archive:
    """A written archive: `file` (at its start; the caller closes it), its `size` in bytes,
    every entry it holds, and the documents left out because their stored copy is damaged."""

    file: object
    size: int
    entries: list = field(default_factory=list)
    left_out: list = field(default_factory=list)


def released_entries(patient_id, categories=None, reader=PATIENT):
    """{category key: the patient's released entries `reader` may see, newest first}, in
    CATEGORIES order: every category, or only the keys in `categories` (a share's)."""
    return {key: patient_category_entries(patient_id, key, reader) for key in CATEGORIES
            if (categories is None or key in categories) and reader.may_open(key)}


def build_archive(patient, practice, zone, now=None, categories=None, reader=PATIENT):
    """The patient's whole record as a ZIP in a temporary file (an Archive), or only the
    category keys in `categories` (a share's); only what `reader` may see. `zone` is the
    practice's time zone (appointment times, the files' dates); `now` an aware datetime."""
    now = now or utcnow()
    entries = released_entries(patient.id, categories, reader)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - handed on
    try:
        with zipfile.ZipFile(spool, "w") as archive:
            stamp = now.astimezone(zone).timetuple()[:6]
            files, left_out = _write_documents(archive, entries.get("document", []), stamp)
            names = {number: name for number, (name, *_) in files.items()}
            _write(archive, SUMMARY_NAME,
                   pdfs.record_pdf(entries, patient, practice, names), stamp)
            bundle = fhir.bundle(patient, entries, files, zone, now)
            _write(archive, FHIR_NAME, json.dumps(bundle, ensure_ascii=False, indent=1).encode(),
                   stamp, compress=True)
            _write(archive, README_NAME, readme(practice, now.astimezone(zone), entries,
                                                files, left_out).encode(), stamp, compress=True)
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    return Archive(spool, size, [entry for group in entries.values() for entry in group],
                   left_out)


def _write(archive, name, data, stamp, compress=False):
    """One file into the archive; PDFs and images are compressed already, so only text is."""
    info = zipfile.ZipInfo(name, date_time=stamp)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def _write_documents(archive, documents, stamp):
    """Each document's file as published, one at a time (its bytes let go once written):
    ({entry id: (name in the archive, size, SHA-1 as base64)}, [entries left out, damaged])."""
    files, left_out = {}, []
    for entry in documents:
        data = document_file(entry)
        if data is None:
            left_out.append(entry)
        else:
            name = f"{DOCUMENTS_FOLDER}/{file_name(entry)}"
            _write(archive, name, data, stamp)
            sha1 = base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode()
            files[entry.id] = (name, len(data), sha1)
        db.session.expire(entry, ["file_data"])
    return files, left_out


def readme(practice, when, entries, files, left_out):
    """The archive's README.txt: what each file is, what the FHIR copy leaves out, and the
    documents left out (their stored copy is damaged). `when`: the download's local time."""
    day = CATEGORIES["document"].field("document_on")
    return render_template(
        "records/archive_readme.txt", practice=practice, when=when, files=files,
        counts=[(CATEGORIES[key], len(found)) for key, found in entries.items()],
        left_out=[(entry.title, fact_text(day, (entry.facts or {}).get(day.name)))
                  for entry in left_out],
        left_out_of_fhir=[CATEGORIES[key] for key in fhir.LEFT_OUT if key in entries],
        names={"summary": SUMMARY_NAME, "fhir": FHIR_NAME, "documents": DOCUMENTS_FOLDER}) + "\n"
