"""The patient's health-record forms. They carry what was typed; services/records/corrections.py
decides whether it may be sent (empty, too long) and words the refusal, so each rule lives in
one place."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length

from ...forms import (
    RequiredRadioField,
    choices,
    counted,
    current_password_field,
    one_newline,
    strip,
)
from ...services.records import corrections, shares
from ...services.records.categories import CATEGORIES


class MarkedRequired:
    """Marks a field required for the page (aria-required); the service checks it."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        """Nothing to check here: the service does."""


class CorrectionForm(FlaskForm):
    """Report something wrong in an entry: the patient's words, and the page's one-time key
    (sending the page twice sends one request)."""

    text = TextAreaField(
        _l("What is wrong?"), filters=[one_newline], validators=[MarkedRequired()],
        description=_l("Say what is wrong and, if you know it, what it should say. Up to "
                       "%(limit)s characters.", limit=f"{corrections.TEXT_MAX:,}"),
        render_kw=counted(corrections.TEXT_MAX, rows=8))
    submission_key = HiddenField()


class ShareForm(FlaskForm):
    """Share the record with another provider: with whom, what, and for how many days.
    services/records/shares.py checks each answer and words the refusals."""

    recipient = StringField(
        _l("Who are you sharing with?"), filters=[strip], validators=[MarkedRequired()],
        description=_l("The provider or clinic, for example Dr. Lee, Lakeside Cardiology. Your "
                       "list of shares and your record's history name the share this way."),
        render_kw={"maxlength": shares.RECIPIENT_MAX, "autocomplete": "off"})
    scope = RequiredRadioField(
        _l("What do you want to share?"), validators=[MarkedRequired()],
        choices=choices({"whole": _l("My whole record, including what the practice adds later"),
                         "parts": _l("Only the parts I tick below")}))
    categories = SelectMultipleField(
        _l("Parts of your record"), validate_choice=False,
        choices=choices({key: category.plural for key, category in CATEGORIES.items()}))
    days = StringField(
        _l("For how many days?"), filters=[strip], default="7", validators=[MarkedRequired()],
        description=_l("From %(low)d to %(high)d days. You can stop sharing sooner at any "
                       "time.", low=shares.SHORTEST_DAYS, high=shares.LONGEST_DAYS),
        render_kw={"inputmode": "numeric", "maxlength": 2, "autocomplete": "off"})
    # A share hands the record to someone else: the same check as the profile pages
    # (services/reauth.py counts a wrong one).
    current_password = current_password_field()



class HandoverForm(FlaskForm):
    """Print a new share's sheet: the link's token, carried back from the page that shows it
    (it is stored nowhere; services/records/share_handover.py checks it against the share)."""

    link_token = HiddenField()


class ShareEmailForm(HandoverForm):
    """Email a new share's link to the provider's address."""

    address = EmailField(
        _l("The provider's email address"), filters=[strip],
        description=_l("We send the link only, never the access code or anything from your "
                       "record."),
        validators=[DataRequired(_l("Enter the provider's email address.")),
                    Length(max=254, message=_l("Use at most 254 characters.")),
                    Email(_l("Enter an email address like office@example.com."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})
