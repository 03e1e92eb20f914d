from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Length

from ...forms import DateOfBirthField, NewPasswordFields, SecurityQuestionFields, strip


class ForgotUsernameForm(FlaskForm):
    email = EmailField(
        _l("Email address"), filters=[strip],
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false"},
    )
    date_of_birth = DateOfBirthField(_l("Your date of birth"))


class ForgotPasswordForm(FlaskForm):
    name = StringField(
        _l("Username or email address"), filters=[strip],
        validators=[DataRequired(_l("Enter your username or email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )


class SecurityAnswerForm(FlaskForm):
    answer = StringField(
        _l("Your answer"), filters=[strip],
        description=_l("Capital letters, spaces and punctuation do not matter."),
        validators=[DataRequired(_l("Enter the answer to your security question.")),
                    Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class NewPasswordForm(NewPasswordFields, FlaskForm):
    """A new password, checked against the account holder's own words (set personal_words)."""


class AssistedResetForm(SecurityQuestionFields, NewPasswordForm):
    """The staff-assisted reset: a new password and a new security question and answer."""


class AssistedResetSendForm(FlaskForm):
    """The chart's button: only the CSRF token."""
