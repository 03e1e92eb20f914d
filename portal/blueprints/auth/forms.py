from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ...forms import strip

# No length rule on passwords here: a sign-in form says only "did not match", never why.
PASSWORD = dict(validators=[DataRequired(_l("Enter your password.")), Length(max=1024)],
                render_kw={"autocomplete": "current-password"})


class StaffSignInForm(FlaskForm):
    email = EmailField(
        _l("Email address"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = PasswordField(_l("Password"), **PASSWORD)


class PatientSignInForm(FlaskForm):
    username = StringField(
        _l("Username or email address"),
        filters=[strip],
        validators=[DataRequired(_l("Enter your username or email address.")), Length(max=254)],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(_l("Password"), **PASSWORD)
