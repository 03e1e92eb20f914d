"""Error pages without stack traces, a crash log without data, and the audit of refused
requests for a chart."""

import logging
import re
import traceback
import uuid
from datetime import timedelta

from flask import Flask, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..page_texts import ERROR_PAGES
from ..services import permissions, ratelimit
from ..services.access import LARGEST_ID

log = logging.getLogger("portal")

LAST_RESORT_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong'
    "</title></head><body><main><h1>Something went wrong on our side</h1><p>Nothing you "
    "entered was saved. Please try again in a few minutes, or call the practice.</p>"
    "<p>Reference: {ref}</p></main></body></html>"
)


class PortalFlask(Flask):
    """Flask whose crash log names the place of the failure but never the data involved."""

    def log_exception(self, exc_info):
        """Log an incident id, the exception type and the stack, without messages or values.

        Exception messages can carry patient data (a database error repeats its parameters),
        so only file names, line numbers and function names are written.
        """
        g.incident_id = uuid.uuid4().hex[:12]
        error_type, _, tb = exc_info
        frames = "".join(
            f"\n  {frame.filename}:{frame.lineno} in {frame.name}"
            for frame in traceback.extract_tb(tb)
        )
        log.error("incident %s: %s on %s %s%s", g.incident_id, error_type.__name__,
                  request.method, request.path, frames)


def init_app(app):
    """Register the error pages and the refused-access audit."""
    app.after_request(_audit_refused_patient_access)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(permissions.Refused, _refused_action)
    app.register_error_handler(InternalServerError, _server_error)


# A staff URL about one patient: /staff/patients/<id>/... (the id when the path names one).
PATIENT_URL = re.compile(r"/staff/patients/(?:(\d{1,30})(?:/|$))?")


# Every staff and admin URL: a refused request there goes on the audit trail too.
STAFF_URL = re.compile(r"/(?:staff|admin)(?:/|$)")


def _audit_refused_patient_access(response):
    """Every 403 or 404 under /staff/patients/, and every 403 elsewhere under /staff or
    /admin, goes on the audit trail, in this one place.

    Who asked, which chart (when the URL names one) and which action of the role table was
    refused (permissions.Refused): someone probing charts by number, or trying what their role
    may not do, shows up in the log. Whatever the refused request had started is rolled back
    first, so a refused request changes nothing.
    """
    found = PATIENT_URL.match(request.path)
    if response.status_code not in (403, 404):
        return response
    if found is None and (response.status_code != 403 or not STAFF_URL.match(request.path)):
        return response
    from ..extensions import db
    from ..services import audit
    from .login import origin

    try:
        db.session.rollback()
        patient_id = int(found.group(1)) if found and found.group(1) else None
        if patient_id is not None and not 0 < patient_id <= LARGEST_ID:
            patient_id = None
        audit.record_refused(origin(), patient_id, response.status_code,
                             action=g.get("refused_action", ""), on_chart=found is not None)
        db.session.commit()
    except Exception as error:  # the refusal stands even if the database is down; log it
        db.session.rollback()
        log.error("a refused request on %s could not be audited (%s)", request.path,
                  type(error).__name__)
    return response


def error_page(code, incident_id=None):
    """The friendly page for an HTTP error `code`: (body, status)."""
    title, text = ERROR_PAGES.get(code, ERROR_PAGES[400 if code < 500 else 500])
    text = text % {"minutes": ratelimit.WINDOW // timedelta(minutes=1)}  # the 429 page's wait
    return render_template("errors/error.html", code=code, title=title, text=text,
                           incident_id=incident_id), code


def _http_error(error):
    if error.code is None or error.code < 400:
        return error
    return error_page(error.code)


def _refused_action(error):
    """A role that may not do this (services/permissions.py): 403, audited with the action."""
    g.refused_action = error.action
    return error_page(403)


def _csrf_error(error):
    return error_page(400)


def _server_error(error):
    """The page for an unexpected failure (already logged by log_exception, without data)."""
    from ..extensions import db

    incident_id = g.get("incident_id")
    try:
        db.session.rollback()
        return error_page(500, incident_id=incident_id)
    except Exception:  # the database itself may be what failed: answer without it
        log.error("incident %s: the error page could not be drawn", incident_id)
        body = LAST_RESORT_PAGE.replace("{ref}", incident_id or "-")
        return body, 500, {"Content-Type": "text/html; charset=utf-8"}
