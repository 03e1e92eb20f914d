"""The practice admin's forms for message topics and saved replies."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from ...forms import choices, strip
from ...models.messages import POOLS, TOPIC_FORMS
from ...services.messages.limits import BODY_MAX
from .consent_forms import WholeNumberField

LABEL_MAX = 80
TITLE_MAX = 80
MIN_DAYS, MAX_DAYS = 1, 10
MAX_POSITION = 999


class TopicForm(FlaskForm):
    """A topic patients may write about: its name, where it goes and how soon it is answered."""

    label = StringField(_l("Topic"), filters=[strip], validators=[
        DataRequired(_l("Enter the topic as patients will see it.")),
        Length(max=LABEL_MAX, message=_l("Use at most %(max)d characters in the topic."))],
        description=_l("As patients see it in the list, for example: Prescription refill."))
    pool = SelectField(_l("Goes to"), choices=choices(POOLS),
                       description=_l("The staff pool that answers it. Conversations already "
                                      "started stay where they are."))
    form = SelectField(_l("What the message form asks"), choices=choices(TOPIC_FORMS),
                       description=_l("A refill asks for the medication, dose and pharmacy; an "
                                      "appointment request for the reason, days and times."))
    reply_business_days = WholeNumberField(
        _l("Reply within, in business days"),
        description=_l("From 1 to 10, Monday to Friday. Patients are told this when they "
                       "write; it also applies to messages already waiting."),
        validators=[InputRequired(_l("Enter a number of business days from 1 to 10.")),
                    NumberRange(MIN_DAYS, MAX_DAYS,
                                _l("Enter a number of business days from 1 to 10."))],
        render_kw={"inputmode": "numeric"})
    position = WholeNumberField(
        _l("Place in the list"),
        description=_l("Lower numbers come first."),
        validators=[InputRequired(_l("Enter a place in the list from 0 to 999.")),
                    NumberRange(0, MAX_POSITION, _l("Enter a place in the list from 0 to 999."))],
        render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("Offer this topic to patients"),
                          description=_l("Untick to turn it off. Its conversations stay as "
                                         "they are."), default=True)

    def topic_values(self):
        """What the topic takes from this form."""
        return {name: getattr(self, name).data for name in
                ("label", "pool", "form", "reply_business_days", "position", "active")}


class ReplyTemplateForm(FlaskForm):
    """A saved reply staff may start from."""

    title = StringField(_l("Title"), filters=[strip], validators=[
        DataRequired(_l("Give the saved reply a title.")),
        Length(max=TITLE_MAX, message=_l("Use at most %(max)d characters in the title."))],
        description=_l("Staff choose saved replies by this title."))
    body = TextAreaField(_l("Reply text"), filters=[strip], validators=[
        DataRequired(_l("Write the text of the reply.")),
        Length(max=BODY_MAX, message=_l("Use at most %(max)d characters in the reply."))],
        description=_l("Staff can change it before sending. Up to %(max)d characters.", max=BODY_MAX),
        render_kw={"rows": 10})
    active = BooleanField(_l("Offer this reply to staff"), default=True)

    def template_values(self):
        """What the saved reply takes from this form."""
        return {"title": self.title.data, "body": self.body.data, "active": self.active.data}
