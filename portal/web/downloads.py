"""Files handed to a browser: always a download, never shown inline, never cached."""

from flask import Response

CHUNK_BYTES = 64 * 1024


def attachment(data, filename, mimetype):
    """A response that saves `data` as `filename` (which must hold no spaces or personal
    names: it lands in the Downloads folder and the browser's history)."""
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


def _as_download(response, filename):
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
