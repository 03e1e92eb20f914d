"""One PDF service for every document the portal prints: signed consents, records, letters.

A document is a Jinja template under templates/pdf/ that extends pdf/base.html, which draws
the practice letterhead and a footer with the page count on US Letter pages, styled by
pdf/print.css in the DejaVu fonts (installed with the system packages). WeasyPrint writes it
as archival PDF/A-3b, tagged for screen readers. Sealing (services/seal.py) comes after the
bytes are written and keeps them.
"""

import ctypes
import ctypes.util
import functools
import gc

from flask import render_template

PDF_VARIANT = "pdf/a-3b"
# Whether a PDF was made since the memory was last given back (one per worker process).
_memory_to_give_back = False


@functools.cache
def _font_config():
    """One font configuration per process: WeasyPrint would build a new one per document."""
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.lru_cache(maxsize=8)
def _stylesheet(text):
    """pdf/print.css parsed once per process and language: parsing it costs more per document
    than drawing a page of text."""
    from weasyprint import CSS

    return CSS(string=text, font_config=_font_config())


def render_pdf(template, *, title, practice, footer=None, subject="", keywords="", **context):
    """The PDF (bytes) of templates/pdf/<template>.html under the practice's letterhead.

    `footer` replaces the practice name at the foot of every page (the page count stays);
    `subject` and `keywords` go into the document information.
    """
    from weasyprint import HTML  # about a second to import: only when a PDF is made

    page = render_template(f"pdf/{template}.html", title=title, practice=practice,
                           footer=footer, subject=subject, keywords=keywords, **context)
    pdf = HTML(string=page).write_pdf(stylesheets=[_stylesheet(render_template("pdf/print.css"))],
                                      pdf_variant=PDF_VARIANT, pdf_tags=True,
                                      font_config=_font_config())
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
