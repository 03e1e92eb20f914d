"""One PDF service for every document the portal prints: signed consents, records, letters.

A document is a Jinja template under templates/pdf/ that extends pdf/base.html, which draws
the practice letterhead and a footer with the page count on US Letter pages, styled by
pdf/print.css in the DejaVu fonts (installed with the system packages). WeasyPrint writes it
as archival PDF/A-3b, tagged for screen readers. Sealing (services/seal.py) comes after the
bytes are written and keeps them.

WeasyPrint fetches nothing from outside: its URL fetcher (`_fetcher`) reads the portal's own
static files from disk and decodes `data:` URLs, and refuses every other URL (file://, http://,
https://, ...), which is then left out of the page as a missing image would be.
"""

import ctypes
import ctypes.util
import functools
import gc
import mimetypes
import os
from urllib.parse import unquote, urlsplit

from flask import current_app, render_template
from werkzeug.security import safe_join

PDF_VARIANT = "pdf/a-3b"
# Whether a PDF was made since the memory was last given back (one per worker process).
_memory_to_give_back = False


@functools.cache
def _font_config():
    """One font configuration per process: WeasyPrint would build a new one per document."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _fetcher(static_folder, static_base):
    """The one URL fetcher of every render (one per process): `static_base` (the portal's
    /static/ URL under its BASE_URL) is read from `static_folder` on disk, `data:` URLs are
    decoded, and anything else is refused."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesOnly(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols=("data",), allow_redirects=False)

        def fetch(self, url, headers=None):
            if url.lower().startswith("data:"):
                return super().fetch(url, headers)
            path = _static_file(url, static_folder, static_base)
            if path is None:
                raise ValueError("a PDF loads only the portal's own static files")
            with open(path, "rb") as file:
                body = file.read()
            kind = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": kind})

    return StaticFilesOnly()


def _static_file(url, static_folder, static_base):
    """The path on disk of the static file `url` names, or None: another host or scheme, a
    query, a name that climbs out of the folder, or no such file."""
    if not url.startswith(static_base) or urlsplit(url).query:
        return None
    name = unquote(urlsplit(url).path[len(urlsplit(static_base).path):])
    path = safe_join(static_folder, name) if name else None
    return path if path is not None and os.path.isfile(path) else None


def url_fetcher():
    """The fetcher for this app's renders, and the base URL relative links resolve against."""
    base = current_app.config["BASE_URL"].rstrip("/") + "/"
    static_base = base.rstrip("/") + current_app.static_url_path + "/"
    return _fetcher(os.path.realpath(current_app.static_folder), static_base), base


@functools.lru_cache(maxsize=8)
def _stylesheet(text, fetcher):
    """pdf/print.css parsed once per process and language: parsing it costs more per document
    than drawing a page of text."""
    from weasyprint import CSS

    return CSS(string=text, font_config=_font_config(), url_fetcher=fetcher)


def render_pdf(template, *, title, practice, footer=None, subject="", keywords="", **context):
    """The PDF (bytes) of templates/pdf/<template>.html under the practice's letterhead.

    `footer` replaces the practice name at the foot of every page (the page count stays);
    `subject` and `keywords` go into the document information.
    """
    from weasyprint import HTML  # about a second to import: only when a PDF is made

    page = render_template(f"pdf/{template}.html", title=title, practice=practice,
                           footer=footer, subject=subject, keywords=keywords, **context)
    fetcher, base = url_fetcher()
    pdf = HTML(string=page, base_url=base, url_fetcher=fetcher).write_pdf(
        stylesheets=[_stylesheet(render_template("pdf/print.css"), fetcher)],
        pdf_variant=PDF_VARIANT, pdf_tags=True, font_config=_font_config())
    global _memory_to_give_back
    _memory_to_give_back = True
    return pdf


@functools.cache
def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere."""
    name = ctypes.util.find_library("c")
    library = ctypes.CDLL(name) if name else None
    return getattr(library, "malloc_trim", None)


def memory_to_give_back():
    """True when a PDF was made since give_back_memory last ran: the web layer then calls it
    once the response has gone out (a collection takes time no one should wait for)."""
    return _memory_to_give_back


def give_back_memory():
    """A layout leaves cycles of boxes for the garbage collector and many freed blocks the C
    allocator would keep: collect them and hand the memory back to the system, so a worker
    that prints all day stays its size (about 8 MB less after a few dozen documents)."""
    global _memory_to_give_back
    _memory_to_give_back = False
    gc.collect()
    _freeze_what_lives_on()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _freeze_what_lives_on():
    """After the first collection, what is still alive (the app, the PDF libraries) lives as
    long as the worker: set it aside, so later collections look only at what came after
    (about 2 ms instead of 100-150 ms)."""
    gc.freeze()
