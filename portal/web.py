"""What every response shares: security headers, error pages, template helpers, safe logs."""

import logging
import re
import traceback
import uuid
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .services.access import LARGEST_ID
from .services.practice import get_practice
from .services.sessions import IDLE_TIMEOUT

log = logging.getLogger("portal")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

ERROR_TEXTS = {
    400: (_l("Something was wrong with that request"),
          _l("The page could not use what was sent. If you were filling in a form, go back, "
             "reload the page and try again.")),
    403: (_l("You do not have access to this page"),
          _l("Your account cannot open this page. If you think it should, ask the practice.")),
    404: (_l("Page not found"),
          _l("There is no page at this address, or you do not have access to it.")),
    405: (_l("That action is not available here"),
          _l("This page cannot be used that way. Go back and use the buttons on the page.")),
    413: (_l("The file is too large"),
          _l("What you sent is larger than the portal accepts. Try a smaller file.")),
    429: (_l("Too many attempts"),
          _l("There have been too many attempts from your network. Wait 15 minutes and try "
             "again, or call the practice.")),
    500: (_l("Something went wrong on our side"),
          _l("The portal could not finish that. Nothing you entered was saved. Please try "
             "again in a few minutes; if it keeps happening, call the practice and give them "
             "the reference below.")),
}


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
    app.before_request(_refuse_cross_site_writes)
    app.before_request(_load_practice)
    app.before_request(_warn_forwarded_without_proxy)
    app.after_request(_security_headers)
    app.after_request(_audit_refused_patient_access)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(InternalServerError, _server_error)
    app.context_processor(lambda: {"practice": _current_practice(),
                                   "idle_seconds": int(IDLE_TIMEOUT.total_seconds())})
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["us_date"] = us_date
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")


def _refuse_cross_site_writes():
    """Unsafe requests that the browser says come from another site never change data."""
    if request.method in UNSAFE_METHODS and is_cross_site(request):
        return _error_page(403)
    return None


# Sec-Fetch-Site values of a request this site made itself ("none": the person typed it).
OWN_FETCH_SITES = {"same-origin", "none"}


def is_cross_site(req):
    """True when the browser says the request comes from another site.

    Sec-Fetch-Site is the browser's own word. Without it, a real Origin must be ours (this
    host or the configured base URL). "Origin: null" is what browsers send on a form post
    from a page with Referrer-Policy: no-referrer, so it proves nothing either way; with
    neither header (older browsers) the CSRF token alone decides.
    """
    fetch_site = req.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site.lower() not in OWN_FETCH_SITES
    origin = req.headers.get("Origin")
    if not origin or origin == "null":
        return False
    own = {req.host_url.rstrip("/"), _origin_of(current_app.config["BASE_URL"])}
    return origin.rstrip("/") not in own


def _origin_of(url):
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


_forwarded_warning = {"given": False}


def _warn_forwarded_without_proxy():
    """Say once per process that X-Forwarded-For arrives while PORTAL_PROXY_COUNT is 0.

    The header is then ignored (it could be forged), so every visitor behind the proxy has
    the proxy's address, and per-address rate limits lump all patients together.
    """
    if _forwarded_warning["given"] or current_app.config["PROXY_COUNT"]:
        return
    if "X-Forwarded-For" in request.headers:
        _forwarded_warning["given"] = True
        log.warning("requests carry X-Forwarded-For but PORTAL_PROXY_COUNT is 0: every visitor "
                    "shares the proxy's address for rate limits. Set PORTAL_PROXY_COUNT to the "
                    "number of proxies in front of the portal.")


def _load_practice():
    if request.endpoint != "static":
        g.practice = get_practice()


def _current_practice():
    if "practice" not in g:
        g.practice = get_practice()
    return g.practice


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure or current_app.config["BASE_URL"].startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Pages may show patient data: never keep them in a browser or proxy cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


# A staff URL about one patient: /staff/patients/<id>/... (the id when the path names one).
PATIENT_URL = re.compile(r"/staff/patients/(?:(\d{1,30})(?:/|$))?")


def _audit_refused_patient_access(response):
    """Every 403 or 404 under /staff/patients/ goes on the audit trail, in this one place.

    Who asked and which chart (when the URL names one): someone probing charts by number
    shows up in the log. Whatever the refused request had started is rolled back first.
    """
    found = PATIENT_URL.match(request.path)
    if response.status_code not in (403, 404) or found is None:
        return response
    from .extensions import db
    from .services import audit

    try:
        db.session.rollback()
        patient_id = int(found.group(1)) if found.group(1) else None
        if patient_id is not None and not 0 < patient_id <= LARGEST_ID:
            patient_id = None
        audit.record_refused(patient_id, response.status_code)
        db.session.commit()
    except Exception as error:  # the refusal stands even if the database is down; log it
        db.session.rollback()
        log.error("a refused request on %s could not be audited (%s)", request.path,
                  type(error).__name__)
    return response


def _error_page(code, incident_id=None):
    title, text = ERROR_TEXTS.get(code, ERROR_TEXTS[400 if code < 500 else 500])
    return render_template("errors/error.html", code=code, title=title, text=text,
                           incident_id=incident_id), code


def _http_error(error):
    if error.code is None or error.code < 400:
        return error
    return _error_page(error.code)


def _csrf_error(error):
    return _error_page(400)


def _server_error(error):
    """The page for an unexpected failure (already logged by log_exception, without data)."""
    from .extensions import db

    incident_id = g.get("incident_id")
    try:
        db.session.rollback()
        return _error_page(500, incident_id=incident_id)
    except Exception:  # the database itself may be what failed: answer without it
        log.error("incident %s: the error page could not be drawn", incident_id)
        body = LAST_RESORT_PAGE.replace("{ref}", incident_id or "-")
        return body, 500, {"Content-Type": "text/html; charset=utf-8"}


def practice_zone():
    """The practice's time zone (UTC when the setting is missing or unknown)."""
    try:
        return ZoneInfo(g.practice.time_zone)
    except (AttributeError, KeyError, ValueError):
        return UTC


def local_time(moment, fmt="%b %d, %Y %I:%M %p %Z"):
    """A UTC moment shown in the practice's time zone."""
    if moment is None:
        return ""
    return moment.astimezone(practice_zone()).strftime(fmt)


def us_date(day):
    """A calendar date as MM/DD/YYYY."""
    return day.strftime("%m/%d/%Y") if day else ""
