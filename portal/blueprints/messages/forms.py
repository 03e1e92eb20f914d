"""The patient's message forms. They parse what was sent; services/messages/ decides
whether it may be sent (topic, lengths, a topic's own fields, attachments), so each rule and
its wording live in one place."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import ValidationError

from ...forms import choices, counted, one_newline, posted_id, strip
from ...services.messages import limits, topics


class TopicChoice:
    """Form mixin: the topic radio buttons (the view sets the choices from the offered
    topics)."""

    topic = RadioField(_l("What is your message about?"), coerce=posted_id, validate_choice=False)


class ChooseTopicForm(TopicChoice, FlaskForm):
    """The compose page's first step, a GET form: choose the topic."""

    class Meta:
        csrf = False

    def validate_topic(self, field):
        if field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a topic from the list."))


class AttachmentFields:
    """Form mixin: the files and the page's one-time key, for a new message and a reply."""

    attachments = MultipleFileField(_l("Attach files (optional)"))
    submission_key = HiddenField()


def _detail_fields():
    """One text input per topic field the service asks for (medication, dose, pharmacy;
    reason, days, times), labelled as the service labels it."""
    return {key: StringField(label, filters=[strip],
                             render_kw={"maxlength": limits.DETAIL_MAX, "autocomplete": "off"})
            for fields in topics.TOPIC_FIELDS.values() for key, label, _required in fields}


TopicDetails = type("TopicDetails", (), _detail_fields())


class ComposeForm(TopicChoice, TopicDetails, AttachmentFields, FlaskForm):
    """A new message: topic, the topic's own fields, subject, body and attachments."""

    subject = StringField(
        _l("Subject"), filters=[strip],
        description=_l("A few words, for example “Refill for my blood pressure tablets”. Up to "
                       "%(limit)d characters.", limit=limits.SUBJECT_MAX),
        render_kw=counted(limits.SUBJECT_MAX, autocomplete="off"))
    body = TextAreaField(
        _l("Your message"), filters=[one_newline],
        description=_l("Up to %(limit)d characters.", limit=limits.BODY_MAX),
        render_kw=counted(limits.BODY_MAX, rows=10))

    # Shown to a teen writing from their own account (services/proxies/confidential.py).
    audience = RadioField(
        _l("Who may read this conversation?"),
        choices=choices({"private": _l("Just me and the care team"),
                         "family": _l("Me, the care team and my parents or guardians")}),
        validate_choice=False)

    def details(self, topic):
        """{key: typed value} of the topic's own fields (none without a topic)."""
        fields = topics.topic_fields(topic) if topic is not None else ()
        return {key: self[key].data for key, _label, _required in fields}


class ReplyForm(AttachmentFields, FlaskForm):
    """The patient's reply in a conversation."""

    body = TextAreaField(
        _l("Your reply"), filters=[one_newline],
        description=_l("Up to %(limit)d characters.", limit=limits.BODY_MAX),
        render_kw=counted(limits.BODY_MAX, rows=8))


class ArchiveForm(FlaskForm):
    """Archive a conversation (archived=1) or bring it back to the inbox (archived=0)."""

    archived = HiddenField()

    @property
    def archiving(self):
        return self.archived.data != "0"
