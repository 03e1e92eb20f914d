"""Forms of the CSV import (staff/records/import.html and import_preview.html). They only carry
what was sent: services/records/csv_import.py reads the file, checks every row and words every
refusal, which lands on the input it names."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, RadioField
from wtforms.fields.choices import SelectChoice

from ...services.records import csv_import
from .record_forms import MarkedRequired

IMPORT_KINDS = (("lab", _l("Lab results")), ("immunization", _l("Immunizations")))
RELEASES = (("publish", _l("Publish now: the patient sees them at once")),
            ("draft", _l("Save as drafts: staff release them later, one by one")))


class ReleaseChoice:
    """How the entries are saved: "publish" (the default) or "draft"."""

    def releases(self):
        """Whether the entries are released at once (anything but "draft" publishes)."""
        return self.release.data != "draft"


class UploadForm(ReleaseChoice, FlaskForm):
    """The file, what it holds, and whether its entries are published or saved as drafts."""

    category = RadioField(_l("What the file holds"), validate_choice=False,
                          validators=[MarkedRequired()],
                          choices=[SelectChoice(value, label) for value, label in IMPORT_KINDS])
    file = FileField(_l("CSV file"), validators=[MarkedRequired()], description=_l(
        "A CSV file (comma-separated values) of at most %(size)d MB and %(rows)d rows. In a "
        "spreadsheet, choose Save as, then CSV.", size=csv_import.MAX_MB,
        rows=csv_import.MAX_ROWS))
    release = RadioField(_l("When the patient sees them"), default="publish",
                         validate_choice=False,
                         choices=[SelectChoice(value, label) for value, label in RELEASES])

    def upload(self):
        """The file's bytes, read no further than one byte past the limit (None without a
        file): the service refuses a larger one without the rest in memory."""
        return self.file.data.read(csv_import.MAX_BYTES + 1) if self.file.data else None


class ConfirmForm(ReleaseChoice, FlaskForm):
    """The second step: the checked file's text sent back, read again in full before saving.
    Sent url-encoded, never as multipart: Flask caps a multipart text field at 500 KB, while a
    file may be 1 MB."""

    category = HiddenField()
    release = HiddenField()
    text = HiddenField()
