from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ...forms import DateOfBirthField, RequiredRadioField, choices, strip
from ...models.accounts import SECURITY_QUESTIONS
from ...services.accounts import normalize_answer
from ...services.passwords import MAX_LENGTH, password_problem


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


class NewPasswordForm(FlaskForm):
    """A new password, checked against the account holder's own words (set personal_words)."""

    personal_words = ()
    password = PasswordField(
        _l("New password"),
        description=_l("At least 15 characters. A few unrelated words make a strong password."),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_LENGTH * 4)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Enter the new password again.")),
                    EqualTo("password", _l("The two passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_password(self, field):
        problem = password_problem(field.data, self.personal_words)
        if problem:
            raise ValidationError(problem)


class AssistedResetForm(NewPasswordForm):
    """The staff-assisted reset: a new password and a new security question and answer."""

    question = RequiredRadioField(
        _l("Choose a new security question"), choices=choices(SECURITY_QUESTIONS),
        validators=[DataRequired(_l("Choose a security question."))],
    )
    answer = StringField(
        _l("Your answer"), filters=[strip],
        description=_l("Pick an answer you will remember. Capital letters, spaces and "
                       "punctuation do not matter."),
        validators=[DataRequired(_l("Enter the answer to your security question.")),
                    Length(max=200)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def validate_answer(self, field):
        if len(normalize_answer(field.data)) < 3:
            raise ValidationError(_l("Use an answer of at least 3 letters or numbers."))


class AssistedResetSendForm(FlaskForm):
    """The chart's button: only the CSRF token."""
