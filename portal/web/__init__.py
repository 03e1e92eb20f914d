"""The web layer: what every request and response share, between the blueprints and the
services. login (who is signed in, the guards), headers (security headers and cross-site
checks), errors (error pages, safe crash logs, refused-access audit), filters (template
helpers, the reply time a topic promises), navigation (the main navigation, drawn once per
combination), template_calls (the texts, URLs and inputs a page draws dozens of times, made
cheap), session_data (per-browser values kept server-side), routing (ids in URLs), downloads
(the audited attachment every file goes out as), paging (the page number a list asks for)."""

import logging

from ..services import pdf
from . import errors, filters, headers, login, navigation, routing, template_calls


def init_app(app):
    """Wire the web layer into the app (create_app calls it once, before the blueprints)."""
    routing.init_app(app)
    login.init_app(app)
    headers.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    template_calls.init_app(app)
    app.jinja_env.globals["main_navigation"] = navigation.main_navigation
    app.after_request(_give_back_pdf_memory)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO,
                            format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # WeasyPrint logs each step of every PDF, and fontTools each font subset, at INFO: noise.
    for chatty in ("weasyprint", "fontTools"):
        logging.getLogger(chatty).setLevel(logging.WARNING)


def _give_back_pdf_memory(response):
    """A request that made a PDF hands the layout's memory back once its response has gone
    out, so the person does not wait for it."""
    if pdf.memory_to_give_back():
        response.call_on_close(pdf.give_back_memory)
    return response
