import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ...forms import choices, lower, strip
from ...services.typed_input import parse_date
from ...services.uploads import FILE_KINDS
from .consent_forms import WholeNumberField

TIME_ZONES = {
    "America/New_York": _l("Eastern"),
    "America/Chicago": _l("Central"),
    "America/Denver": _l("Mountain"),
    "America/Phoenix": _l("Mountain (Arizona, no daylight saving)"),
    "America/Los_Angeles": _l("Pacific"),
    "America/Anchorage": _l("Alaska"),
    "Pacific/Honolulu": _l("Hawaii"),
    "America/Puerto_Rico": _l("Atlantic (Puerto Rico)"),
}
FILE_TYPES = r"^[a-z0-9]+(\s*,\s*[a-z0-9]+)*$"


def _text(label, max_length, required_message=None, **kwargs):
    validators = [DataRequired(required_message)] if required_message else [Optional()]
    return StringField(label, filters=[strip], validators=[*validators, Length(max=max_length)],
                       **kwargs)


def _long_text(label, max_length, rows=4, **kwargs):
    return TextAreaField(label, filters=[strip], validators=[Length(max=max_length)],
                         render_kw={"rows": rows}, **kwargs)


class PracticeSettingsForm(FlaskForm):
    name = _text(_l("Practice name"), 120, _l("Enter the practice's name."))
    address_line1 = _text(_l("Street address"), 120)
    address_line2 = _text(_l("Suite, floor, etc. (optional)"), 120)
    city = _text(_l("City"), 80)
    state = _text(_l("State"), 40)
    postal_code = StringField(_l("ZIP code"), filters=[strip], validators=[
        Optional(), Regexp(r"^\d{5}(-\d{4})?$", message=_l("Enter a ZIP code like 12345."))])
    mailing_address = _long_text(_l("Mailing address, if different (optional)"), 400, rows=3)
    phone = _text(_l("Main phone number"), 30, _l("Enter the phone number patients call."))
    fax = _text(_l("Fax (optional)"), 30)
    email = EmailField(_l("Contact email (optional)"), filters=[strip], validators=[
        Optional(), Email(_l("Enter an email address like office@example.com.")), Length(max=254)])
    time_zone = SelectField(_l("Time zone"), choices=choices(TIME_ZONES),
                            description=_l("Times in the portal are shown in this zone."))
    office_hours = _long_text(_l("Office hours"), 500, rows=3,
                              description=_l("Shown at the top of every page."))
    reply_time_promise = _long_text(
        _l("How soon you answer messages"), 300, rows=2,
        description=_l("For example: We answer messages within 2 business days."))
    emergency_notice = _long_text(
        _l("Emergency notice"), 500, rows=3,
        description=_l("Shown wherever patients write to you. For example: In an emergency "
                       "call 911. Do not use the portal for urgent needs."))
    attachments_allowed = BooleanField(_l("Patients may attach files to messages"))
    attachment_max_mb = IntegerField(
        _l("Largest attachment, in MB"),
        validators=[NumberRange(1, 10, _l("Choose a size from 1 to 10 MB."))])
    attachment_message_max_mb = WholeNumberField(
        _l("Largest total of attachments in one message, in MB"),
        description=_l("From 1 to 20 MB, and at least the largest attachment."),
        validators=[DataRequired(_l("Enter a size from 1 to 20 MB.")),
                    NumberRange(1, 20, _l("Enter a size from 1 to 20 MB."))],
        render_kw={"inputmode": "numeric"})
    attachment_types = StringField(
        _l("Allowed file types"), filters=[strip, lower],
        description=_l("File endings separated by commas, for example: pdf, jpg, png"),
        validators=[Regexp(FILE_TYPES, message=_l("List file endings separated by commas."))])
    activation_code_days = WholeNumberField(
        _l("Days an activation letter's code works"),
        description=_l("From 1 to 90 days. Printed on each letter; letters already printed "
                       "keep their own date."),
        validators=[DataRequired(_l("Enter a number of days from 1 to 90.")),
                    NumberRange(1, 90, _l("Enter a number of days from 1 to 90."))],
        render_kw={"inputmode": "numeric"})
    public_verification = BooleanField(
        _l("Let anyone check a signed document’s verification code on a public page"),
        description=_l("The page answers only “valid, signed on” and the date: never who "
                       "signed or what."))
    result_holds_allowed = BooleanField(
        _l("Let providers hold a lab result for review, with a written reason"),
        description=_l("Results are released to patients at once unless this is on. Staff see "
                       "every held result, who held it, why and for how long."))

    teen_account_age = SelectField(
        _l("A minor's own account"), coerce=int,
        choices=choices({12: _l("From 12"), 13: _l("From 13"), 18: _l("Not before 18")}))
    teen_messages_private = BooleanField(
        _l("A teen's new message leaves out their parents unless they include them"))

    def validate_attachment_types(self, field):
        """Only endings the portal can check from a file's bytes (services/uploads.py)."""
        if not re.match(FILE_TYPES, field.data or ""):
            return  # the Regexp's message says what to fix
        unknown = [part.strip() for part in field.data.split(",")
                   if part.strip() not in FILE_KINDS]
        if unknown:
            raise ValidationError(_(
                "The portal cannot check %(endings)s files. Use only these endings: %(known)s.",
                endings=", ".join(unknown), known=", ".join(FILE_KINDS)))

    def validate(self, extra_validators=None):
        """The fields, then the two sizes together: a message must hold one largest file."""
        valid = super().validate(extra_validators)
        per_file, per_message = self.attachment_max_mb.data, self.attachment_message_max_mb.data
        if valid and per_message < per_file:
            self.attachment_message_max_mb.errors.append(_l(
                "The total for one message (%(total)d MB) cannot be smaller than the largest "
                "attachment (%(file)d MB).", total=per_message, file=per_file))
            return False
        return valid

    def setting_values(self):
        values = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        values["attachment_types"] = ", ".join(
            part.strip() for part in values["attachment_types"].split(","))
        return values


def _date_filter(form, field):
    if field.data and parse_date(field.data) is None:
        raise ValidationError(_l("Enter the date as MM/DD/YYYY."))


class AuditFilterForm(FlaskForm):
    action = StringField(_l("Action"), filters=[strip], validators=[Length(max=60)],
                         description=_l("For example: patient.updated or sign_in"))
    actor = StringField(_l("Staff email"), filters=[strip], validators=[Length(max=254)])
    account_number = StringField(_l("Patient account number"), filters=[strip],
                                 validators=[Length(max=20)])
    date_from = StringField(_l("From (MM/DD/YYYY)"), filters=[strip],
                            validators=[Length(max=10), _date_filter])
    date_to = StringField(_l("To (MM/DD/YYYY)"), filters=[strip],
                          validators=[Length(max=10), _date_filter])
