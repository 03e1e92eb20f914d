"""Security headers on every response, and the request checks that read headers: writes
from other sites are refused, and a forwarded address without a configured proxy is noted."""

import logging

from flask import current_app, request

from .errors import error_page

log = logging.getLogger("portal")

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}



def init_app(app):
    """Register the checks and the response headers."""
    app.before_request(_refuse_cross_site_writes)
    app.before_request(_warn_forwarded_without_proxy)
    app.after_request(_security_headers)


def _refuse_cross_site_writes():
    """Unsafe requests that the browser says come from another site never change data."""
    if request.method in UNSAFE_METHODS and is_cross_site(request):
        return error_page(403)
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
