from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField, TelField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from ...forms import DateOfBirthField, RequiredRadioField, choices, strip
from ...models.patients import CHART_STATUSES, SEX_CHOICES
from ...services.patients import account_number_taken

US_ZIP = r"^\d{5}(-\d{4})?$"
PHONE = r"^\+?[0-9().\- ]{7,25}$"


class PatientSearchForm(FlaskForm):
    q = StringField(
        _l("Name, account number or date of birth"),
        filters=[strip],
        validators=[Length(max=100)],
        description=_l("For a date of birth use MM/DD/YYYY."),
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class PatientForm(FlaskForm):
    """A patient's chart. Pass `patient_id` when editing, for the account number check."""

    account_number = StringField(
        _l("Account number"),
        filters=[strip],
        description=_l("From your practice management system. Letters, numbers and hyphens."),
        validators=[
            DataRequired(_l("Enter the account number.")),
            Length(max=20, message=_l("The account number can be at most 20 characters.")),
            Regexp(r"^[A-Za-z0-9-]+$",
                   message=_l("Use only letters, numbers and hyphens in the account number.")),
        ],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    first_name = StringField(
        _l("First name"), filters=[strip],
        validators=[DataRequired(_l("Enter the first name.")), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    middle_name = StringField(
        _l("Middle name (optional)"), filters=[strip], validators=[Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    last_name = StringField(
        _l("Last name"), filters=[strip],
        validators=[DataRequired(_l("Enter the last name.")), Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    preferred_name = StringField(
        _l("Preferred name (optional)"), filters=[strip], validators=[Length(max=80)],
        render_kw={"autocomplete": "off"},
    )
    date_of_birth = DateOfBirthField(_l("Date of birth"), description=_l("For example, 03 14 1962."))
    sex = RequiredRadioField(
        _l("Sex"), choices=choices(SEX_CHOICES),
        validators=[DataRequired(_l("Choose the patient's sex."))],
    )
    email = EmailField(
        _l("Email address (optional)"), filters=[strip],
        description=_l("Portal invitations and notices go here."),
        validators=[Optional(), Email(_l("Enter an email address like name@example.com.")),
                    Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    phone = TelField(
        _l("Phone (optional)"), filters=[strip],
        validators=[Optional(), Regexp(PHONE, message=_l("Enter a phone number like 555-201-0100."))],
        render_kw={"autocomplete": "off"},
    )
    address_line1 = StringField(_l("Street address (optional)"), filters=[strip],
                                validators=[Length(max=120)], render_kw={"autocomplete": "off"})
    address_line2 = StringField(_l("Apartment, suite, etc. (optional)"), filters=[strip],
                                validators=[Length(max=120)], render_kw={"autocomplete": "off"})
    city = StringField(_l("City (optional)"), filters=[strip], validators=[Length(max=80)],
                       render_kw={"autocomplete": "off"})
    state = StringField(_l("State (optional)"), filters=[strip], validators=[Length(max=40)],
                        render_kw={"autocomplete": "off"})
    postal_code = StringField(
        _l("ZIP code (optional)"), filters=[strip],
        validators=[Optional(), Regexp(US_ZIP, message=_l("Enter a ZIP code like 12345 or 12345-6789."))],
        render_kw={"autocomplete": "off", "inputmode": "numeric"},
    )
    status = SelectField(_l("Chart status"), choices=choices(CHART_STATUSES), default="active")

    def __init__(self, *args, patient_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient_id = patient_id

    def validate_account_number(self, field):
        if account_number_taken(field.data, except_id=self.patient_id):
            raise ValidationError(_l("Another patient already has this account number."))

    def chart_values(self):
        """The submitted chart as a dict for the patients service."""
        values = {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
        values["email"] = (values["email"] or "").lower()
        return values



class StopShareForm(FlaskForm):
    """Why staff stop a patient's record share; services/records/shares.staff_stop_problem
    checks it."""

    reason = TextAreaField(
        _l("Reason for stopping this share"),
        description=_l("Seen by practice staff only. The patient's list of shares says the "
                       "practice stopped it."),
        filters=[strip], validators=[DataRequired(_l("Enter why you are stopping this share."))],
        render_kw={"rows": 3, "maxlength": 500},
    )


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for pausing portal access"),
        description=_l("Seen by practice staff only. The patient is told to call the practice."),
        filters=[strip],
        validators=[DataRequired(_l("Enter the reason for pausing portal access.")),
                    Length(max=1000, message=_l("Use at most 1000 characters."))],
        render_kw={"rows": 3},
    )
