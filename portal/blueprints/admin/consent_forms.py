"""The practice admin's forms for consent documents and health forms."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from ...forms import RequiredRadioField, strip
from ...forms import choices as options_of
from ...models.consents import DOCUMENT_KINDS, FIELD_TYPES, SIGNERS
from ...services.consents.fields import CHOICE_FIELDS, FIELD_NAME, RESERVED_FIELD_NAMES

MAX_BODY = 50000
MAX_ATTESTATIONS = 10
MAX_ATTESTATION = 300
MAX_LABEL = 300
MAX_HELP = 300
MIN_CHOICES, MAX_CHOICES = 2, 30
MAX_CHOICE = 200
MAX_MONTHS = 120


def lines_of(text):
    """The non-blank lines of a textarea, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class WholeNumberField(IntegerField):
    """A whole-number input: text that is not a number gets the validators' own message."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None


def _title():
    return StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(_l("Give the document a title.")),
        Length(max=200, message=_l("Use at most %(max)d characters in the title."))])


class NewDocumentForm(FlaskForm):
    kind = RequiredRadioField(_l("What kind of document"), choices=options_of(DOCUMENT_KINDS),
                              validators=[DataRequired(_l("Choose a consent or a health form."))])
    title = _title()


class DraftForm(FlaskForm):
    """A health form's draft: its title and its introduction (the questions have their own
    pages)."""

    title = _title()
    body = TextAreaField(
        _l("Introduction (optional)"), filters=[strip],
        description=_l("Shown above the questions. Write “## ” before a heading and “- ” before "
                       "each item of a list; leave a blank line between paragraphs."),
        validators=[Length(max=MAX_BODY, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 6})
    save = SubmitField(_l("Save draft"))
    publish = SubmitField(_l("Publish"))

    def draft_values(self):
        """What the draft takes from this form."""
        return {"title": self.title.data, "body": self.body.data or ""}


class ConsentDraftForm(DraftForm):
    """A consent's draft: its text and its terms."""

    body = TextAreaField(
        _l("Text of the consent"), filters=[strip],
        description=_l("Write “## ” before a heading and “- ” before each item of a list; leave "
                       "a blank line between paragraphs. Nothing else is formatting."),
        validators=[Length(max=MAX_BODY, message=_l("Use at most %(max)d characters."))],
        render_kw={"rows": 20})
    required = BooleanField(
        _l("Patients must sign this consent"),
        description=_l("Untick to make it optional: patients may sign it if they wish."))
    validity_months = WholeNumberField(
        _l("Valid for how many months"),
        description=_l("After this, patients are asked to sign again. 0 means it does not "
                       "expire."),
        validators=[InputRequired(_l("Enter a number of months from 0 to 120.")),
                    NumberRange(0, MAX_MONTHS, _l("Enter a number of months from 0 to 120."))],
        render_kw={"inputmode": "numeric"})
    signers = RequiredRadioField(_l("Who signs"), choices=options_of(SIGNERS),
                                 validators=[DataRequired(_l("Choose who signs."))])
    attestations = TextAreaField(
        _l("Statements the signer must tick (optional)"), filters=[strip],
        description=_l("One per line, at most 10, for example: I live in California."),
        render_kw={"rows": 4})

    def validate_attestations(self, field):
        statements = lines_of(field.data)
        if len(statements) > MAX_ATTESTATIONS:
            raise ValidationError(_l("Use at most %(count)d statements.", count=MAX_ATTESTATIONS))
        if any(len(statement) > MAX_ATTESTATION for statement in statements):
            raise ValidationError(_l("Keep each statement to %(max)d characters or fewer.",
                                     max=MAX_ATTESTATION))

    def draft_values(self):
        return {**super().draft_values(), "required": self.required.data,
                "validity_months": self.validity_months.data, "signers": self.signers.data,
                "attestations": lines_of(self.attestations.data)}


def draft_form(document, version):
    """The draft's form for its kind, filled from the version (a POST's input wins)."""
    if document.kind == "consent":
        return ConsentDraftForm(data={
            "title": version.title, "body": version.body, "required": version.required,
            "validity_months": version.validity_months, "signers": version.signers,
            "attestations": "\n".join(version.attestations or [])})
    return DraftForm(data={"title": version.title, "body": version.body})


class FieldForm(FlaskForm):
    """One question of a health form."""

    label = StringField(_l("Question"), filters=[strip], validators=[
        DataRequired(_l("Write the question.")),
        Length(max=MAX_LABEL, message=_l("Use at most %(max)d characters in the question."))])
    type = RequiredRadioField(_l("Kind of answer"), choices=options_of(FIELD_TYPES),
                              description=_l("A date is asked as month, day and year."),
                              validators=[DataRequired(_l("Choose a kind of answer."))])
    choices = TextAreaField(
        _l("Choices (for single and multiple choice)"), filters=[strip],
        description=_l("One per line, from 2 to 30."), render_kw={"rows": 6})
    required = BooleanField(_l("An answer is required"))
    help = StringField(_l("Help text (optional)"), filters=[strip],
                       description=_l("Shown under the question."),
                       validators=[Length(max=MAX_HELP, message=_l(
                           "Use at most %(max)d characters in the help text."))])
    name = StringField(
        _l("Internal name (optional)"), filters=[strip],
        description=_l("Lower-case letters, digits and underscores, used in exports. Leave it "
                       "blank to make one from the question."),
        validators=[Length(max=40, message=_l("Use at most %(max)d characters."))],
        render_kw={"spellcheck": "false", "autocomplete": "off"})

    def validate_name(self, field):
        if field.data and not FIELD_NAME.match(field.data):
            raise ValidationError(_l("Internal names use lower-case letters, digits and "
                                     "underscores, and start with a letter."))
        if field.data in RESERVED_FIELD_NAMES:
            raise ValidationError(_l("Choose another internal name."))

    def validate_choices(self, field):
        if self.type.data not in CHOICE_FIELDS:
            return
        options = lines_of(field.data)
        if len(options) < MIN_CHOICES:
            raise ValidationError(_l("A choice question needs at least two choices, one per "
                                     "line."))
        if len(options) > MAX_CHOICES:
            raise ValidationError(_l("Use at most %(count)d choices.", count=MAX_CHOICES))
        if any(len(option) > MAX_CHOICE for option in options):
            raise ValidationError(_l("Keep each choice to %(max)d characters or fewer.",
                                     max=MAX_CHOICE))
        if len(set(options)) != len(options):
            raise ValidationError(_l("Each choice must be different."))

    def field_values(self):
        """The question as the draft keeps it (the name may still be blank)."""
        return {"name": self.name.data or "", "label": self.label.data, "type": self.type.data,
                "required": self.required.data, "help": self.help.data or "",
                "choices": lines_of(self.choices.data)}


def field_form(field=None):
    """The question's form, filled from a saved question when editing one."""
    if field is None:
        return FieldForm()
    return FieldForm(data={**field, "choices": "\n".join(field.get("choices") or [])})
