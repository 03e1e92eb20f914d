"""Forms of the chart's "Family and access" section: a parent or guardian to add, why a grant
ends, and a "do not grant access" entry."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional

from ...forms import DateOfBirthField, DayField, RequiredRadioField, choices, lower, strip
from ...models.proxies import (
    CONFIDENTIAL_BASES,
    COURT_ORDERS,
    END_REASONS,
    GUARDIAN_DOCUMENTS,
    MINOR_CONSENT_SERVICES,
    RELATIONSHIPS,
    SCOPES,
)

AT_MOST_200 = _l("Use at most 200 characters.")
AN_EMAIL = _l("Enter an email address like name@example.com.")


def name_field(missing):
    """A person's full name as on a document; `missing` says what to type when it is empty."""
    return StringField(_l("Full name"), filters=[strip],
                       validators=[DataRequired(missing), Length(max=200, message=AT_MOST_200)],
                       render_kw={"autocomplete": "off"})


class GuardianForm(FlaskForm):
    """A parent or guardian, as on the document staff saw."""

    full_name = name_field(_l("Enter the parent's or guardian's full name."))
    relationship = RequiredRadioField(
        _l("Relationship to the child"), choices=choices(RELATIONSHIPS),
        validators=[DataRequired(_l("Choose the relationship to the child."))])
    email = EmailField(
        _l("Email address"), filters=[strip, lower],
        description=_l("Their own: each parent or guardian signs in with an email of their own."),
        validators=[DataRequired(_l("Enter the parent's or guardian's email address.")),
                    Email(AN_EMAIL), Length(max=254, message=AN_EMAIL)],
        render_kw={"autocomplete": "off"})
    date_of_birth = DateOfBirthField(
        _l("Their date of birth"), description=_l("For example 03 14 1985. They will be asked "
                                                   "for it when they sign up."))
    document = RequiredRadioField(
        _l("Document you saw"), choices=choices(GUARDIAN_DOCUMENTS),
        validators=[DataRequired(_l("Choose the document you saw."))])


class EndGrantForm(FlaskForm):
    """Why a parent's or guardian's access ends."""

    reason = SelectField(
        _l("Why the access ends"),
        choices=[SelectChoice("", _l("Choose a reason"))] + choices(
            {key: label for key, label in END_REASONS.items() if key != "blocked"}),  # add_block's
        validators=[DataRequired(_l("Choose why the access ends."))])


class SuspendGrantForm(FlaskForm):
    """Why a parent's or guardian's access is paused (shown to staff on the chart)."""

    reason = StringField(
        _l("Reason for the pause"), filters=[strip],
        validators=[DataRequired(_l("Give the reason for the pause.")),
                    Length(max=300, message=_l("Use at most 300 characters."))],
        render_kw={"autocomplete": "off"})


class ScopeForm(FlaskForm):
    """Full or limited access for a guardian of a patient aged 12 to 17, and why limited."""

    scope = RequiredRadioField(_l("What they may reach"), choices=choices(SCOPES),
                               validators=[DataRequired(_l("Choose full or limited access."))])
    reason = StringField(
        _l("Reason for limiting (when limited)"), filters=[strip],
        description=_l("For example: the patient asked, and the provider agreed."),
        validators=[Length(max=300, message=_l("Use at most 300 characters."))],
        render_kw={"autocomplete": "off"})


class CourtOrderForm(FlaskForm):
    """The court order under which a guardian's access continues past 18, and its review
    date; "None" removes it."""

    order = SelectField(
        _l("Court order"),
        choices=[SelectChoice("", _l("None: the access ends at 18"))] + choices(COURT_ORDERS))
    review_on = DayField(_l("Review date"), what=_l("the review date"), required=False,
                         description=_l("The access lasts through this day; record the "
                                        "order again after the review. For example 03 14 2027."))


class BlockForm(FlaskForm):
    """Someone who must not be given access to this chart, and on what basis."""

    full_name = name_field(_l("Enter the name of the person who must not have access."))
    email = EmailField(
        _l("Email address (optional)"), filters=[strip, lower],
        description=_l("If you know it: an invitation to it is refused too."),
        validators=[Optional(), Email(AN_EMAIL), Length(max=254, message=AN_EMAIL)],
        render_kw={"autocomplete": "off"})
    basis = StringField(
        _l("Basis"), filters=[strip],
        description=_l("What you saw, for example \u201ccustody order of 03/14/2026\u201d."),
        validators=[DataRequired(_l("Enter what the entry is based on.")),
                    Length(max=300, message=_l("Use at most 300 characters."))],
        render_kw={"autocomplete": "off"})


class ConfidentialForm(FlaskForm):
    """Why an item is confidential from every guardian: the basis, and the service or the
    clinician it needs."""

    basis = RequiredRadioField(
        _l("Basis"), choices=choices(CONFIDENTIAL_BASES),
        validators=[DataRequired(_l("Choose why the item is confidential."))])
    service = SelectField(
        _l("Minor-consent service (for that basis)"),
        choices=[SelectChoice("", _l("Choose a service"))] + [
            SelectChoice(key, label) for key, (label, _age) in MINOR_CONSENT_SERVICES.items()],
        validate_choice=False)  # services/proxies/confidential.py checks it, for its basis only
    clinician_name = StringField(
        _l("Clinician who made the finding (for a finding of harm)"), filters=[strip],
        validators=[Length(max=200, message=AT_MOST_200)], render_kw={"autocomplete": "off"})
