"""The forms of "People who can act for you": a representative chosen, then the
authorization signed."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ...forms import DayField, RequiredRadioField, choices, posted_id, strip
from ...models.proxies import PERMISSIONS, REPRESENTATIVE_RELATIONSHIPS
from ...services.proxies import representatives


class TickBoxesField(SelectMultipleField):
    """Several choices, each a tick box (drawn by forms.radios, which draws any group)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Only the offered choices; none ticked is the form's own rule (a clear message)."""
        offered = {choice.value for choice in self.choices}
        if set(self.data or ()) - offered:
            raise ValueError(_l("Choose from the list."))


class RevokeForm(FlaskForm):
    """The revoke button: the representative's grant, by id."""

    grant_id = HiddenField(filters=[posted_id])


class RepresentativeForm(FlaskForm):
    """Who, what they may do, and the last day of their access."""

    full_name = StringField(_l("Their full name"), filters=[strip],
                            validators=[DataRequired(_l("Enter their full name.")),
                                        Length(max=200)],
                            render_kw={"autocomplete": "off"})
    email = EmailField(
        _l("Their email address"), filters=[strip],
        description=_l("Their own, not yours: the invitation goes there."),
        validators=[DataRequired(_l("Enter their email address.")),
                    Email(_l("Enter an email address like name@example.com.")), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"})
    relationship = RequiredRadioField(_l("How you know them"),
                                      choices=choices(REPRESENTATIVE_RELATIONSHIPS),
                                      validators=[DataRequired(_l("Choose how you know them."))])
    permissions = TickBoxesField(_l("What they may do"), choices=choices(PERMISSIONS),
                                 description=_l("Tick at least one."))
    ends_on = DayField(_l("Last day of their access"), what=_l("the last day"),
                       description=_l("18 months from today unless you change it; at most "
                                      "5 years. You can revoke it sooner at any time."))

    def choice(self):
        """The patient's choice (services/proxies/representatives.Choice)."""
        return representatives.Choice(self.full_name.data, self.email.data,
                                      self.relationship.data, tuple(self.permissions.data or ()),
                                      self.ends_on.data)


class AuthorizationForm(RepresentativeForm):
    """The authorization page: the choice again (hidden fields on the page, checked again),
    the patient's legal name and the tick that they authorize it."""

    legal_name = StringField(_l("Type your full legal name to sign"), filters=[strip],
                             validators=[DataRequired(_l("Type your full legal name to sign.")),
                                         Length(max=200)],
                             render_kw={"autocomplete": "name"})
    agree = BooleanField(_l("I authorize this, as written above"),
                         validators=[DataRequired(_l("Tick the box to sign the authorization."))])
