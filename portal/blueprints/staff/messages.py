"""Secure messages on the staff side: the shared inbox by pool and status, a conversation with
its reply, internal note, assignment, pool and close forms, attachment downloads, and a
conversation staff start with a patient.

A blueprint nested in the staff one ("staff.messages.*", URLs under /staff), so the nav can
tell these pages from the patient list. Every rule is in services/messaging.py; a view parses
its form, calls one service function, commits, flashes and redirects (post/redirect/get).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from ...extensions import db
from ...flash_messages import flash_message
from ...models.messages import POOLS, STATUSES
from ...models.patients import sorted_name
from ...models.types import utcnow
from ...services import audit, messaging, permissions
from ...web import login
from ...web.downloads import attachment
from ...web.filters import local_time
from ...web.guards import chart_or_404, staff_required
from . import bp
from .forms import ButtonForm
from .message_forms import (
    AssignForm,
    MoveForm,
    NoteForm,
    QueueFilterForm,
    SavedReplyForm,
    StaffReplyForm,
    StartForm,
)

log = logging.getLogger("portal")
messages_bp = Blueprint("messages", __name__)
LAST_PAGE = 100_000  # a page number beyond any inbox (and within every database's integers)


def _conversation_or_404(conversation_id):
    return messaging.staff_conversation(conversation_id, current_user) or abort(404)


def _to_conversation(conversation, fragment=""):
    return redirect(url_for(".conversation", conversation_id=conversation.id) + fragment)


def _uploads(form):
    """The files of a form as messaging.Upload (a file input left empty sends none)."""
    return [messaging.Upload(upload.filename or "", upload.read())
            for upload in form.attachments.data or [] if upload]


def _describe_files(form, practice):
    """True when the practice accepts files; the file input's hint then says which."""
    if not practice.attachments_allowed:
        return False
    form.attachments.description = _(
        "%(types)s, up to %(size)d MB each and %(count)d files. The type is read from the "
        "file itself, not its name.", types=messaging.allowed_description(practice),
        size=practice.attachment_max_mb, count=messaging.MAX_FILES)
    return True


def _refused(form, error):
    """Put a MessageError on the field it names; the text for the summary when no field does."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return error.message
    field.errors = [error.message]
    return None


# --- The shared inbox -----------------------------------------------------------------------

def waiting_words(since, now):
    """How long a patient has waited, for people: "2 days 3 hours", "40 minutes"."""
    age = max(now - since, timedelta())
    days, hours, minutes = age.days, age.seconds // 3600, age.seconds % 3600 // 60
    parts = [ngettext("%(num)d day", "%(num)d days", days)] if days else []
    if hours:
        parts.append(ngettext("%(num)d hour", "%(num)d hours", hours))
    if not parts:
        parts.append(ngettext("%(num)d minute", "%(num)d minutes", minutes))
    return " ".join(parts)


def _translated(labels):
    """{key: label} translated now, once, rather than once per row of the table."""
    return {key: str(label) for key, label in labels.items()}


@dataclass(slots=True)
class QueueRow:
    """A row of the inbox table, its words ready (attributes, not a dict: Jinja reads them a
    few times faster; texts made here, not in the template: a fifth of the page's time)."""

    id: int
    subject: str
    topic: str
    patient: str
    account_number: str
    pool: str
    status: str
    assignee: str
    overdue: bool
    waiting: str
    due: str


def queue_rows(page, practice, now):
    """A page of the inbox (messaging.staff_queue) as rows for the table: each with its pool
    and status in words, and how long the patient has waited against the reply promise."""
    pools, statuses, unassigned = _translated(POOLS), _translated(STATUSES), _("Unassigned")
    rows = []
    for entry in page.items:
        due = messaging.reply_due(entry, practice)
        overdue = due is not None and now > due
        if due is None:
            waiting, due_text = "", _("Last message %(date)s", date=local_time(entry.last_message_at))
        else:
            waiting = _("Waiting %(age)s", age=waiting_words(entry.waiting_since, now))
            due_text = (_("A reply was due by %(date)s", date=local_time(due)) if overdue
                        else _("Reply due by %(date)s", date=local_time(due)))
        rows.append(QueueRow(
            entry.id, entry.subject, entry.topic, sorted_name(entry.last_name, entry.first_name),
            entry.account_number, pool=pools.get(entry.pool, entry.pool),
            status=statuses.get(entry.status, entry.status), assignee=entry.assignee or unassigned,
            overdue=overdue, waiting=waiting, due=due_text))
    return rows


@messages_bp.route("/messages")
@staff_required()
def inbox():
    """The shared inbox: the chosen pool's conversations, the patient-waiting ones oldest first."""
    form = QueueFilterForm(request.args)
    pools = messaging.readable_pools(current_user)
    if len(pools) < len(POOLS):
        form.limit_pools(pools)
    filters = form.queue_filter(messaging.default_pool(current_user))
    page = messaging.staff_queue(current_user, filters,
                                 min(request.args.get("page", 1, type=int), LAST_PAGE))
    messaging.record_queue_viewed(login.origin(), filters, page)
    # Drawn before the commit, which would expire the rows and reload each one (N+1).
    body = render_template("staff/messages/inbox.html", form=form, page=page,
                           rows=queue_rows(page, g.practice, utcnow()),
                           counts=messaging.queue_counts(current_user),
                           pools={key: label for key, label in _translated(POOLS).items()
                                  if key in pools})
    db.session.commit()
    return body


# --- One conversation -----------------------------------------------------------------------

def _assign_form(formdata=None):
    form = AssignForm(formdata=formdata)
    form.assignee.choices = [SelectChoice("", _("Unassigned (the whole pool)"))] + [
        SelectChoice(str(member.id), member.name) for member in messaging.staff_members()]
    return form


def _fresh_forms(conversation, chosen):
    """The page's forms as they start: the reply box holds the saved reply `chosen`, if any."""
    assign = _assign_form()
    assign.assignee.data = str(conversation.assigned_to_id or "")
    return {"assign": assign, "note": NoteForm(formdata=None),
            "move": MoveForm(formdata=None, pool=conversation.pool),
            "reply": StaffReplyForm(formdata=None, body=chosen.body if chosen else "",
                                    submission_key=messaging.new_submission_key())}


def show(conversation, failed=None, problem=None, **forms):
    """The conversation page, its read on the record. A form that was refused comes back in
    `forms` (reply, note, assign, move) with its errors; `failed` gets the error summary."""
    patient = chart_or_404(conversation.patient_id)
    messages = messaging.staff_messages(conversation)
    messaging.record_read(login.origin(), conversation, messages)
    templates = messaging.reply_templates()
    saved = SavedReplyForm(request.args)
    saved.set_choices(templates)
    forms = {**_fresh_forms(conversation, saved.chosen(templates)), **forms}
    body = render_template("staff/messages/conversation.html", conversation=conversation,
                           patient=patient, messages=messages, saved=saved, failed=failed,
                           problem=problem, due=messaging.reply_due(conversation, g.practice),
                           close_form=ButtonForm(formdata=None), pools=POOLS,
                           accepted=_describe_files(forms["reply"], g.practice), **forms)
    db.session.commit()
    return body


@messages_bp.route("/messages/<int:conversation_id>")
@staff_required()
def conversation(conversation_id):
    """Every message of a conversation, internal notes included, beside the patient's details."""
    return show(_conversation_or_404(conversation_id))


def _posted(form):
    """The form's CSRF token checked (CSRFProtect refuses first; this is the form's own check)."""
    if not form.validate_on_submit():
        abort(400)
    return form


@messages_bp.route("/messages/<int:conversation_id>/reply", methods=["POST"])
@staff_required()
def reply(conversation_id):
    """A reply to the patient, who is told by email that a message waits."""
    conversation = _conversation_or_404(conversation_id)
    form = _posted(StaffReplyForm())
    try:
        files = messaging.check_files(_uploads(form), g.practice)
        messaging.staff_reply(current_user, conversation, body=form.body.data, files=files,
                              submission_key=form.submission_key.data, origin=login.origin())
    except messaging.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=_refused(form, error), reply=form)
    db.session.commit()
    flash_message("staff_reply_sent")
    return _to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/note", methods=["POST"])
@staff_required()
def note(conversation_id):
    """An internal note for the care team: never shown to the patient, never emailed."""
    conversation = _conversation_or_404(conversation_id)
    form = _posted(NoteForm())
    try:
        messaging.add_note(current_user, conversation, body=form.note.data, origin=login.origin())
    except messaging.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=_refused(form, error), note=form)
    db.session.commit()
    flash_message("note_added")
    return _to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/assign", methods=["POST"])
@staff_required()
def assign(conversation_id):
    """Give the conversation to a staff member, or back to the whole pool."""
    conversation = _conversation_or_404(conversation_id)
    form = _posted(_assign_form(request.form))
    members = {str(member.id): member for member in messaging.staff_members()}
    assignee = members.get(form.assignee.data)
    if form.assignee.data and assignee is None:
        form.assignee.errors = [_("Choose a staff member from the list.")]
        return show(conversation, failed=form, assign=form)
    messaging.assign(current_user, conversation, assignee, origin=login.origin())
    db.session.commit()
    if assignee is None:
        flash_message("conversation_unassigned")
    else:
        flash_message("conversation_assigned", name=assignee.name)
    return _to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/move", methods=["POST"])
@staff_required()
def move(conversation_id):
    """Send the conversation to another staff pool."""
    conversation = _conversation_or_404(conversation_id)
    form = _posted(MoveForm())
    try:
        messaging.move_to_pool(current_user, conversation, form.pool.data, origin=login.origin())
    except messaging.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=_refused(form, error), move=form)
    db.session.commit()
    flash_message("conversation_moved", pool=POOLS[form.pool.data])
    if not permissions.may_read_conversation(current_user, conversation):
        return redirect(url_for(".inbox"))  # moved out of the pools this role reads
    return _to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/close", methods=["POST"])
@staff_required()
def close(conversation_id):
    """Close the conversation (a patient who writes again opens it again)."""
    conversation = _conversation_or_404(conversation_id)
    _posted(ButtonForm())
    messaging.close(current_user, conversation, origin=login.origin())
    db.session.commit()
    flash_message("conversation_closed")
    return _to_conversation(conversation)


@messages_bp.route("/messages/attachments/<int:attachment_id>")
@staff_required()
def attachment_file(attachment_id):
    """An attachment as a download, checked against its SHA-256 and put on the record."""
    found = messaging.staff_attachment(attachment_id, current_user) or abort(404)
    file, conversation = found
    data = messaging.attachment_bytes(file)
    if data is None:
        log.warning("message attachment %s does not match its SHA-256: download refused", file.id)
        return render_template("staff/messages/attachment_damaged.html",
                               conversation=conversation), 409
    audit.record_export(login.origin(), "message_attachment", file.id,
                        patient_id=conversation.patient_id,
                        file_format=messaging.EXTENSIONS.get(file.content_type, "bin"),
                        byte_count=len(data))
    db.session.commit()
    return attachment(data, messaging.download_name(file), file.content_type)


# --- Staff start a conversation -------------------------------------------------------------

@messages_bp.route("/patients/<int:patient_id>/messages/new", methods=["GET", "POST"])
@staff_required()
def start(patient_id):
    """A message from the care team that begins a conversation; the patient is told by email."""
    patient = chart_or_404(patient_id)
    if messaging.ensure_topics():  # a practice whose admin has not set topics up yet
        db.session.commit()
    topics = messaging.all_topics()
    form = StartForm(submission_key=messaging.new_submission_key())
    form.set_choices(topics)
    problem = None
    if form.validate_on_submit():
        topic = next((topic for topic in topics if topic.id == form.topic.data), None)
        try:
            files = messaging.check_files(_uploads(form), g.practice)
            started = messaging.staff_start(
                current_user, patient, topic, subject=form.subject.data, body=form.body.data,
                files=files, submission_key=form.submission_key.data, origin=login.origin())
        except messaging.MessageError as error:
            db.session.rollback()
            problem = _refused(form, error)
        else:
            db.session.commit()
            flash_message("staff_conversation_started")
            return _to_conversation(started)
    return render_template("staff/messages/new.html", form=form, patient=patient,
                           problem=problem, accepted=_describe_files(form, g.practice))


bp.register_blueprint(messages_bp)
