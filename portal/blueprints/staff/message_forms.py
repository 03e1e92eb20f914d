"""Forms of the staff message pages. They parse what was sent; services/messages/ decides
whether it may be sent (lengths, topic, pool, attachments), so each rule and its wording live
in one place and its MessageError lands on the field it names."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ...forms import choices, one_newline, posted_id, strip
from ...models.messages import POOLS
from ...services.messages import inbox, limits

ALL_POOLS = "all"
QUEUE_STATUSES = {"active": _l("New and open"), "new": _l("New"),
                  "open": _l("Open"), "waiting": _l("Waiting on patient"), "closed": _l("Closed")}
ASSIGNED = {"": _l("Anyone"), "me": _l("Assigned to me"), "unassigned": _l("Unassigned")}


class QueueFilterForm(FlaskForm):
    """The shared inbox's filters: a GET form, so a filtered list has its own address."""

    class Meta:
        csrf = False

    pool = SelectField(_l("Pool"), choices=[SelectChoice(ALL_POOLS, _l("All pools")), *choices(POOLS)])
    status = SelectField(_l("Status"), choices=choices(QUEUE_STATUSES), default="active")
    assigned = SelectField(_l("Assigned to"), choices=choices(ASSIGNED), default="")

    def limit_pools(self, pools):
        """Offer only `pools` (a role that reads only its own pool), without "All pools"."""
        self.pool.choices = [choice for choice in self.pool.choices if choice.value in pools]

    def queue_filter(self, default_pool):
        """The chosen filters as inbox.QueueFilter; a value not offered counts as unset."""
        offered = [choice.value for choice in self.pool.choices]
        pool = self.pool.data if self.pool.data in offered else default_pool or ALL_POOLS
        self.pool.data = pool
        if self.status.data not in QUEUE_STATUSES:
            self.status.data = "active"
        if self.assigned.data not in ASSIGNED:
            self.assigned.data = ""
        return inbox.QueueFilter(pool="" if pool == ALL_POOLS else pool,
                                 status=self.status.data, assigned=self.assigned.data)


class AttachmentFields:
    """Form mixin: the files and the page's one-time key (sending the page twice sends once)."""

    attachments = MultipleFileField(_l("Attach files (optional)"))
    submission_key = HiddenField()


class SavedReplyForm(FlaskForm):
    """The saved reply picker: a GET form (?template=ID) that fills the reply box, so it works
    without JavaScript; js/staff-messages.js inserts the reply in place (each option carries
    its text)."""

    class Meta:
        csrf = False

    template = SelectField(_l("Saved reply"), coerce=posted_id, validate_choice=False,
                           description=_l("Choose one before you type: it fills the reply box."))

    def set_choices(self, templates):
        self.template.choices = [SelectChoice("", _l("Choose a saved reply"))] + [
            SelectChoice(str(template.id), template.title, {"data-body": template.body})
            for template in templates]

    def chosen(self, templates):
        """The saved reply asked for, if it is one of `templates`."""
        return next((template for template in templates if template.id == self.template.data),
                    None)


class StaffReplyForm(AttachmentFields, FlaskForm):
    body = TextAreaField(
        _l("Your reply"), filters=[one_newline],
        description=_l("The patient reads this. Up to %(limit)d characters.",
                       limit=limits.BODY_MAX),
        render_kw={"rows": 10, "data-char-limit": limits.BODY_MAX})


class NoteForm(FlaskForm):
    note = TextAreaField(
        _l("Internal note"), filters=[one_newline],
        description=_l("For the care team only: the patient never sees it. Up to %(limit)d "
                       "characters.", limit=limits.NOTE_MAX),
        render_kw={"rows": 4})


class AssignForm(FlaskForm):
    """Who works the conversation; the view sets the choices ("" is the whole pool)."""

    assignee = SelectField(_l("Assign to"), coerce=str, validate_choice=False)


class MoveForm(FlaskForm):
    pool = SelectField(_l("Move to pool"), choices=choices(POOLS), validate_choice=False)


class StartForm(AttachmentFields, FlaskForm):
    """A conversation staff begin with a patient; the view sets the topic choices."""

    topic = SelectField(_l("Topic"), coerce=posted_id, validate_choice=False)
    subject = StringField(
        _l("Subject"), filters=[strip],
        description=_l("The patient sees it in their portal, never in an email. Up to "
                       "%(limit)d characters.", limit=limits.SUBJECT_MAX),
        render_kw={"autocomplete": "off"})
    body = TextAreaField(
        _l("Message"), filters=[one_newline],
        description=_l("Up to %(limit)d characters.", limit=limits.BODY_MAX),
        render_kw={"rows": 10, "data-char-limit": limits.BODY_MAX})

    def set_choices(self, topics):
        """Every topic, with the pool it routes to (one not offered to patients says so)."""
        self.topic.choices = [SelectChoice("", _l("Choose a topic"))] + [
            SelectChoice(str(topic.id), _("%(topic)s (%(pool)s)", topic=topic.label,
                                          pool=topic.pool_label) if topic.active else
                         _("%(topic)s (%(pool)s, not offered to patients)", topic=topic.label,
                           pool=topic.pool_label))
            for topic in topics]
