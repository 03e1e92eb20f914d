"""The patient's health-record forms. They carry what was typed; services/record_corrections.py
decides whether it may be sent (empty, too long) and words the refusal, so each rule lives in
one place."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField, TextAreaField

from ...forms import (
    RequiredRadioField,
    choices,
    counted,
    current_password_field,
    one_newline,
    strip,
)
from ...services import record_corrections, record_shares, records


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
                       "%(limit)s characters.", limit=f"{record_corrections.TEXT_MAX:,}"),
        render_kw=counted(record_corrections.TEXT_MAX, rows=8))
    submission_key = HiddenField()


class ShareForm(FlaskForm):
    """Share the record with another provider: with whom, what, and for how many days.
    services/record_shares.py checks each answer and words the refusals."""

    recipient = StringField(
        _l("Who are you sharing with?"), filters=[strip], validators=[MarkedRequired()],
        description=_l("The provider or clinic, for example Dr. Lee, Lakeside Cardiology. Your "
                       "list of shares and your record's history name the share this way."),
        render_kw={"maxlength": record_shares.RECIPIENT_MAX, "autocomplete": "off"})
    scope = RequiredRadioField(
        _l("What do you want to share?"), validators=[MarkedRequired()],
        choices=choices({"whole": _l("My whole record, including what the practice adds later"),
                         "parts": _l("Only the parts I tick below")}))
    categories = SelectMultipleField(
        _l("Parts of your record"), validate_choice=False,
        choices=choices({key: category.plural for key, category in records.CATEGORIES.items()}))
    days = StringField(
        _l("For how many days?"), filters=[strip], default="7", validators=[MarkedRequired()],
        description=_l("From %(low)d to %(high)d days. You can stop sharing sooner at any "
                       "time.", low=record_shares.SHORTEST_DAYS, high=record_shares.LONGEST_DAYS),
        render_kw={"inputmode": "numeric", "maxlength": 2, "autocomplete": "off"})
    # A share hands the record to someone else: the same check as the profile pages
    # (services/reauth.py counts a wrong one).
    current_password = current_password_field()

