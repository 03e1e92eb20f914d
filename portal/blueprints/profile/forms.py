from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from ...forms import (
    NewPasswordFields,
    RequiredRadioField,
    SecurityQuestionFields,
    choices,
    current_password_field,
    strip,
)
from ...services.accounts import account_words

NOTICE_CHOICES = {"email": _l("Email me a notice (no health details)"), "none": _l("No email")}


class ProfileAccountForm(FlaskForm):
    """A form about the signed-in account: pass `account=` so validators know whose it is."""

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account


class ChangePasswordForm(NewPasswordFields, ProfileAccountForm):
    current_password = current_password_field()

    @property
    def personal_words(self):
        return account_words(self.account)


class SecurityQuestionForm(SecurityQuestionFields, ProfileAccountForm):
    current_password = current_password_field()


class ChangeEmailForm(ProfileAccountForm):
    email = EmailField(
        _l("New email address"), filters=[strip],
        description=_l("We will send a link to this address. The change is made when you open it."),
        validators=[DataRequired(_l("Enter your new email address.")),
                    Email(_l("Enter an email address like name@example.com.")),
                    Length(max=254, message=_l("Use at most 254 characters."))],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )
    current_password = current_password_field()

    def validate_email(self, field):
        if self.account is not None and field.data.lower() == self.account.email:
            raise ValidationError(_l("That is already your email address."))


NOTICE_FIELDS = ("notify_messages", "notify_results", "notify_appointments", "notify_forms")


def notice_field(label, description):
    return RequiredRadioField(label, choices=choices(NOTICE_CHOICES), description=description,
                              validators=[DataRequired(_l("Choose how to be told."))])


class PreferencesForm(FlaskForm):
    """What each setting sends, said as services/patient_notices.py sends it."""

    notify_messages = notice_field(
        _l("When the care team sends you a message"),
        _l("An email each time the practice replies to you or writes to you."))
    notify_results = notice_field(
        _l("When a test result or document is ready"),
        _l("When the practice adds a result, a document or anything else to your health "
           "record: an email within a minute, then at most one more an hour, however many "
           "are added."))
    notify_appointments = notice_field(
        _l("About your appointments"),
        _l("When an appointment is added, changed or cancelled, and a reminder the day "
           "before it."))
    notify_forms = notice_field(
        _l("About forms and consents"),
        _l("When the practice asks you to fill in a form, and a month before your consent "
           "to use the portal ends."))

    @classmethod
    def for_account(cls, account):
        """The form, showing the account's saved choices until something is posted."""
        saved = {name: "email" if getattr(account, name) else "none" for name in NOTICE_FIELDS}
        form = cls()
        if not form.is_submitted():
            form.process(formdata=None, data=saved)
        return form

    def choices_made(self):
        return {name: self[name].data == "email" for name in NOTICE_FIELDS}
