from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ...forms import strip

CODE_AUTOCOMPLETE = {"autocomplete": "one-time-code", "spellcheck": "false",
                     "autocapitalize": "none"}


class SignInCodeForm(FlaskForm):
    """The second step of sign-in: an app code, or one recovery code in its place."""

    code = StringField(
        _l("Sign-in code"), filters=[strip],
        description=_l("The 6-digit code your authenticator app shows now. Lost your phone? "
                       "Enter one of your recovery codes instead."),
        validators=[DataRequired(_l("Enter the code from your authenticator app.")),
                    Length(max=40)],
        render_kw=CODE_AUTOCOMPLETE,
    )


class ConfirmSetupForm(FlaskForm):
    code = StringField(
        _l("Code from the app"), filters=[strip],
        description=_l("After scanning, your app shows a 6-digit code. Enter it here."),
        validators=[DataRequired(_l("Enter the 6-digit code from your authenticator app.")),
                    Length(max=20)],
        render_kw={**CODE_AUTOCOMPLETE, "inputmode": "numeric"},
    )


class PasswordCheckForm(FlaskForm):
    """Turning two-step on or off, or making new recovery codes: the password again."""

    password = PasswordField(
        _l("Your current password"),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


class UnlockForm(FlaskForm):
    """The owner confirms opening a locked second step (the emailed link's page)."""
