"""Forms of the staff consent pages: a paper signature, a health form to assign, the batch
print's dates, and the verification of a code or a PDF."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...forms import DayField, RequiredRadioField, choices, strip
from ...models.consents import SIGNER_ROLES


class PaperSignatureForm(FlaskForm):
    """A consent signed on paper. The view sets `today` (the practice's date) first."""

    today = None
    version_id = HiddenField()
    signer_name = StringField(
        _l("Name of the person who signed"), filters=[strip],
        description=_l("As written on the paper."),
        validators=[DataRequired(_l("Enter the name of the person who signed.")),
                    Length(max=200, message=_l("Use at most 200 characters."))],
        render_kw={"autocomplete": "off"})
    signer_role = RequiredRadioField(
        _l("They signed as"), choices=choices(SIGNER_ROLES),
        validators=[DataRequired(_l("Choose who signed."))])
    signed_on = DayField(_l("Date signed"), what=_l("the date signed"),
                         description=_l("The date written next to the signature, for example "
                                        "03 14 2025."))
    scan = FileField(
        _l("Scan of the signed paper (optional)"),
        description=_l("A PDF, JPEG or PNG file of at most 10 MB. The paper original stays in "
                       "the chart either way."))

    def validate_signed_on(self, field):
        if self.today is not None and field.data and field.data > self.today:
            raise ValidationError(_l("The date signed cannot be in the future."))


class AssignFormForm(FlaskForm):
    """A health form to ask the patient to fill in; the view sets the choices."""

    document_id = SelectField(_l("Health form"), coerce=int,
                              validators=[DataRequired(_l("Choose a health form."))])


class BatchPrintForm(FlaskForm):
    """The days whose signed consents to print, in the practice's time zone, inclusive."""

    first = DayField(_l("From"), what=_l("the first day"))
    last = DayField(_l("To (inclusive)"), what=_l("the last day"))

    def validate_last(self, field):
        if self.first.data and field.data and field.data < self.first.data:
            raise ValidationError(_l("The last day must be on or after the first day."))


class VerifyForm(FlaskForm):
    """A verification code, or a PDF to check."""

    code = StringField(
        _l("Verification code"), filters=[strip],
        description=_l("From the foot of any page of a signed PDF, for example ABCDE-23456."),
        validators=[Length(max=40, message=_l("A verification code has 10 letters and digits."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "class": "input-short"})
    upload = FileField(
        _l("Or a PDF to check"),
        description=_l("A signed PDF from the portal, as it was emailed, printed to file or "
                       "handed over. We compare it with the stored copy."))

    def validate_code(self, field):
        if not field.data and not self.upload.data:
            raise ValidationError(_l("Enter a verification code or choose a PDF file."))
