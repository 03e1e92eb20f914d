"""One PDF service for every document the portal prints: signed consents, records, letters.

A document is a Jinja template under templates/pdf/ that extends pdf/base.html, which draws
the practice letterhead, a footer with the page count, US Letter pages and the DejaVu fonts
(installed with the system packages). WeasyPrint writes it as archival PDF/A-3b, tagged for
screen readers. Sealing (pyHanko) comes after the bytes are written and leaves them as they are.
"""

from flask import render_template

PDF_VARIANT = "pdf/a-3b"


def render_pdf(template, *, title, practice, **context):
    """The PDF (bytes) of templates/pdf/<template>.html under the practice's letterhead."""
    from weasyprint import HTML  # about a second to import: only when a PDF is made

    page = render_template(f"pdf/{template}.html", title=title, practice=practice, **context)
    return HTML(string=page).write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
