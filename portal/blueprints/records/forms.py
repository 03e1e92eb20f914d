"""The patient's health-record forms. They carry what was typed; services/record_corrections.py
decides whether it may be sent (empty, too long) and words the refusal, so each rule lives in
one place."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField

from ...forms import one_newline
from ...services import record_corrections
from ..messages.forms import counted


class MarkedRequired:
    """Marks a field required for the page (aria-required); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        """Nothing to check here: the service does."""


class CorrectionForm(FlaskForm):
    """Report something wrong in an entry: the patient's words, and the page's one-time key
    (sending the page twice sends one request)."""

    text = TextAreaField(
        _l("What is wrong?"), filters=[one_newline], validators=[MarkedRequired()],
        description=_l("Say what is wrong and, if you know it, what it should say. Up to "
                       "%(limit)s characters.", limit=f"{record_corrections.TEXT_MAX:,}"),
        render_kw=counted(record_corrections.TEXT_MAX, rows=8))
    submission_key = HiddenField()
