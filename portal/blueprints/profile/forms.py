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
from ...services.accounts import personal_words

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
        return personal_words(self.account.patient, self.account.username, self.account.email)


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


def notice_field(label):
    return RequiredRadioField(label, choices=choices(NOTICE_CHOICES),
                              validators=[DataRequired(_l("Choose how to be told."))])


class PreferencesForm(FlaskForm):
    notify_messages = notice_field(_l("When the care team sends you a message"))
    notify_results = notice_field(_l("When a test result is ready"))
    notify_appointments = notice_field(_l("About your appointments"))

    @classmethod
    def for_account(cls, account):
        """The form, showing the account's saved choices until something is posted."""
        saved = {name: "email" if getattr(account, name) else "none" for name in
                 ("notify_messages", "notify_results", "notify_appointments")}
        form = cls()
        if not form.is_submitted():
            form.process(formdata=None, data=saved)
        return form

    def choices_made(self):
        return {field.name: field.data == "email" for field in
                (self.notify_messages, self.notify_results, self.notify_appointments)}
