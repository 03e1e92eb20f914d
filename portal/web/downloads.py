"""Files handed to a browser: always a download, never shown inline, never cached."""

from flask import Response


def attachment(data, filename, mimetype):
    """A response that saves `data` as `filename` (which must hold no spaces or personal
    names: it lands in the Downloads folder and the browser's history)."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
