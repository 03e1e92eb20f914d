"""Files handed to a browser: a download, never cached (one exception shown inline: an
image staff see in a conversation, `audited_inline`).

Every download of health information or a signed document goes through `audited` (or
`audited_file` for a large file streamed from disk): the audit row, the commit and the
response in one place, so no download leaves the portal off the record."""

from flask import Response

from ..extensions import db
from ..services import audit

CHUNK_BYTES = 64 * 1024


def audited(data, filename, mimetype, origin, object_type, object_id="", *, patient_id=None,
            file_format=None):
    """Put the download of `data` on the audit trail ("<object_type>.exported", by `origin`,
    on `patient_id`'s chart), commit the request's work with it, and hand `data` out as
    `filename`. `file_format` defaults to the file name's extension."""
    _record(origin, object_type, object_id, patient_id, file_format or _extension(filename),
            len(data))
    db.session.commit()
    return attachment(data, filename, mimetype)


def audited_file(file, size, filename, mimetype, origin, object_type, object_id="", *,
                 patient_id=None, file_format=None):
    """As audited, for a large file (see attachment_file); `file` is closed if the audit row
    or the commit fails, so a failed download leaves no open temporary file."""
    try:
        _record(origin, object_type, object_id, patient_id,
                file_format or _extension(filename), size)
        db.session.commit()
    except BaseException:
        file.close()
        raise
    return attachment_file(file, size, filename, mimetype)


def audited_inline(data, filename, mimetype, origin, object_type, object_id="", *,
                   patient_id=None, file_format=None):
    """As audited, but for the page to show rather than save: an image that was re-encoded
    when it arrived (services/uploads.py), so the bytes a browser draws are the portal's own.
    The same headers as a download (no-store, nosniff, and the CSP every response gets)."""
    _record(origin, object_type, object_id, patient_id, file_format or _extension(filename),
            len(data))
    db.session.commit()
    response = _as_download(Response(data, mimetype=mimetype), filename)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def attachment(data, filename, mimetype):
    """A response that saves `data` as `filename` (which must hold no spaces or personal
    names: it lands in the Downloads folder and the browser's history). Not audited: use
    `audited` for anything about a patient."""
    return _as_download(Response(data, mimetype=mimetype), filename)


def attachment_file(file, size, filename, mimetype):
    """As attachment, for a large file: `file` (open, at its start, `size` bytes) is sent in
    pieces and closed once the response is done, whether or not it was read to the end."""

    def pieces():
        while piece := file.read(CHUNK_BYTES):
            yield piece

    response = Response(pieces(), mimetype=mimetype)
    response.content_length = size
    response.call_on_close(file.close)
    return _as_download(response, filename)


def _record(origin, object_type, object_id, patient_id, file_format, byte_count):
    audit.record_export(origin, object_type, object_id, patient_id=patient_id,
                        file_format=file_format, byte_count=byte_count)


def _extension(filename):
    return filename.rsplit(".", 1)[-1] if "." in filename else ""


def _as_download(response, filename):
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
