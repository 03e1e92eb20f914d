"""Forms of the staff health-record pages. A record's form is built from its category's Field
list in services/records/categories.py (every category is described there once), so a new field shows up
here without an edit. The fields only carry what was typed: entries.publish decides what may be
stored, and its RecordError lands on the field it names."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ...forms import one_newline, strip
from ...services.records import entries

# What each kind of field expects, for its hint (the service reads these forms and no other).
KIND_HINTS = {
    "date": _l("MM/DD/YYYY, for example 03/14/2026."),
    "time": _l("HH:MM, for example 14:30 (or 2:30 PM)."),
    "money": _l("In dollars, for example 125.00."),
}
SHORT_KINDS = ("date", "time", "money", "number")  # drawn as short inputs


class MarkedRequired:
    """Marks a field required for the page (aria-required); entries.publish checks it and
    words the message, so a missing answer is refused in one place."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        """Nothing to check here: the service does."""


def _field(item):
    """The form field for one of a category's Fields."""
    label = item.label if item.required else _("%(label)s (optional)", label=item.label)
    description = " ".join(str(text) for text in (item.hint, KIND_HINTS.get(item.kind)) if text)
    options = {"description": description,
               "validators": [MarkedRequired()] if item.required else []}
    if item.kind == "long":
        return TextAreaField(label, filters=[one_newline], render_kw={"rows": 4}, **options)
    if item.kind == "choice":
        return SelectField(label, validate_choice=False, choices=[
            SelectChoice("", _("Choose one")), *(SelectChoice(value, text)
                                                  for value, text in item.choices)], **options)
    extra = {"autocomplete": "off"}
    if item.kind in ("money", "number"):
        extra["inputmode"] = "decimal"
    return StringField(label, filters=[strip], render_kw=extra, **options)


class RecordForm(FlaskForm):
    """The base of every category's form: the two ways to save it."""

    category = None  # set on each built class
    publish = SubmitField(_l("Publish now"))
    draft = SubmitField(_l("Save as draft"))

    def record_fields(self):
        """(form field, input class) for each of the category's fields, in its order."""
        return [(self[item.name], "input-short" if item.kind in SHORT_KINDS else "")
                for item in self.category.fields]

    def values(self):
        """{field name: typed text} for entries.publish."""
        return {item.name: self[item.name].data for item in self.category.fields}

    def releases(self):
        """"Publish now" releases at once (the first button, also what Enter sends)."""
        return not self.draft.data

    def upload(self):
        """A document's file as bytes (None for other categories or an empty input)."""
        file = self._fields.get("file")
        return file.data.read() if file is not None and file.data else None


def record_form_class(category):
    """The form class for one category (built per request: its texts are in that request's
    language)."""
    fields = {item.name: _field(item) for item in category.fields}
    if category.key == "document":
        fields["file"] = FileField(_l("File"), description=_(
            "A PDF, PNG or JPEG file of at most %(size)d MB. The type is read from the file "
            "itself, not its name.", size=entries.MAX_FILE_MB), validators=[MarkedRequired()])
    return type(f"{category.key.title()}RecordForm", (RecordForm,),
                {"category": category, **fields})


class HoldForm(FlaskForm):
    """A provider holds a lab result for review; the reason is logged and shown to staff."""

    reason = TextAreaField(
        _l("Why the result is held"), filters=[strip, one_newline],
        description=_l("Staff see this reason and how long the result has been held. The "
                       "patient does not see the result until it is released."),
        validators=[MarkedRequired()], render_kw={"rows": 3})


class ReleaseForm(FlaskForm):
    """Release an entry to the patient. An admin releasing a provider's hold writes why
    (entries.release_needs_reason); the field is drawn only then."""

    reason = TextAreaField(
        _l("Why you release this held result"), filters=[strip, one_newline],
        description=_l("A provider held it to talk to the patient first. Your reason goes on "
                       "the audit trail."),
        render_kw={"rows": 3})
