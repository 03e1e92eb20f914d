"""Secure messages on the staff side: the shared inbox by pool and status, a conversation's
page, attachment downloads, and a conversation staff start with a patient. What the
conversation page's forms post (reply, note, assign, move, close) is in message_actions.py.

A blueprint nested in the staff one ("staff.messages.*", URLs under /staff), so the nav can
tell these pages from the patient list. Every rule is in services/messages/; a view parses
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
from ...forms import ButtonForm, show_refusal
from ...models.messages import POOLS, STATUSES
from ...models.patients import sorted_name
from ...models.types import utcnow
from ...services.messages import admin, attachments, conversations, inbox, limits, thread, topics
from ...web import login
from ...web.downloads import audited, audited_inline
from ...web.filters import local_time
from ...web.guards import chart_or_404, staff_required
from ...web.paging import requested_page
from . import bp
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


def conversation_or_404(conversation_id):
    """The conversation, if the signed-in staff member's role may read it, else 404."""
    return inbox.staff_conversation(conversation_id, current_user) or abort(404)


def to_conversation(conversation, fragment=""):
    """Back to the conversation's page (post/redirect/get)."""
    return redirect(url_for(".conversation", conversation_id=conversation.id) + fragment)


def _describe_files(form, practice):
    """True when the practice accepts files; the file input's hint then says which."""
    if not practice.attachments_allowed:
        return False
    form.attachments.description = _(
        "%(types)s, up to %(size)d MB each and %(count)d files. The type is read from the "
        "file itself, not its name.", types=attachments.allowed_description(practice),
        size=practice.attachment_max_mb, count=limits.MAX_FILES)
    return True


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
    """A page of the inbox (inbox.staff_queue) as rows for the table: each with its pool
    and status in words, and how long the patient has waited against the reply promise."""
    pools, statuses, unassigned = _translated(POOLS), _translated(STATUSES), _("Unassigned")
    rows = []
    for entry in page.items:
        due = topics.reply_due(entry, practice)
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


@messages_bp.route("/messages", endpoint="inbox")
@staff_required()
def inbox_page():
    """The shared inbox: the chosen pool's conversations, the patient-waiting ones oldest first."""
    form = QueueFilterForm(request.args)
    pools = inbox.readable_pools(current_user)
    if len(pools) < len(POOLS):
        form.limit_pools(pools)
    filters = form.queue_filter(inbox.default_pool(current_user))
    page = inbox.staff_queue(current_user, filters, requested_page())
    # Drawn before the commit, which would expire the rows and reload each one (N+1).
    body = render_template("staff/messages/inbox.html", form=form, page=page,
                           rows=queue_rows(page, g.practice, utcnow()),
                           counts=inbox.queue_counts(current_user),
                           pools={key: label for key, label in _translated(POOLS).items()
                                  if key in pools})
    inbox.record_queue_viewed(login.origin(), filters, page)
    db.session.commit()
    return body


# --- One conversation -----------------------------------------------------------------------

def assign_form(formdata=None):
    form = AssignForm(formdata=formdata)
    form.assignee.choices = [SelectChoice("", _("Unassigned (the whole pool)"))] + [
        SelectChoice(str(member.id), member.name) for member in inbox.staff_members()]
    return form


def _fresh_forms(conversation, chosen):
    """The page's forms as they start: the reply box holds the saved reply `chosen`, if any."""
    assign = assign_form()
    assign.assignee.data = str(conversation.assigned_to_id or "")
    return {"assign": assign, "note": NoteForm(formdata=None),
            "move": MoveForm(formdata=None, pool=conversation.pool),
            "reply": StaffReplyForm(formdata=None, body=chosen.body if chosen else "",
                                    submission_key=conversations.new_submission_key())}


def show(conversation, failed=None, problem=None, **forms):
    """The conversation page, its read on the record. A form that was refused comes back in
    `forms` (reply, note, assign, move) with its errors; `failed` gets the error summary."""
    patient = chart_or_404(conversation.patient_id)
    messages = thread.staff_messages(conversation)
    templates = admin.reply_templates()
    saved = SavedReplyForm(request.args)
    saved.set_choices(templates)
    forms = {**_fresh_forms(conversation, saved.chosen(templates)), **forms}
    body = render_template("staff/messages/conversation.html", conversation=conversation,
                           patient=patient, messages=messages, saved=saved, failed=failed,
                           problem=problem, due=topics.reply_due(conversation, g.practice),
                           close_form=ButtonForm(formdata=None), pools=POOLS,
                           accepted=_describe_files(forms["reply"], g.practice),
                           shown_inline=attachments.shown_inline, **forms)
    thread.record_read(login.origin(), conversation, messages)
    db.session.commit()
    return body


@messages_bp.route("/messages/<int:conversation_id>")
@staff_required()
def conversation(conversation_id):
    """Every message of a conversation, internal notes included, beside the patient's details."""
    return show(conversation_or_404(conversation_id))


@messages_bp.route("/messages/attachments/<int:attachment_id>")
@staff_required()
def attachment_file(attachment_id):
    """An attachment as a download, checked against its SHA-256 and put on the record."""
    file, conversation, data = _checked_attachment(attachment_id)
    if data is None:
        return _damaged(file, conversation)
    return audited(data, attachments.download_name(file), file.content_type, login.origin(),
                   "message_attachment", file.id, patient_id=conversation.patient_id,
                   file_format=attachments.file_format(file))


@messages_bp.route("/messages/attachments/<int:attachment_id>/image")
@staff_required()
def attachment_image(attachment_id):
    """An image attachment for the conversation page to draw: checked, audited and sent as a
    download is, but inline. Anything not an image is only a download (404 here)."""
    file, conversation, data = _checked_attachment(attachment_id)
    if not attachments.shown_inline(file):
        abort(404)
    if data is None:
        return _damaged(file, conversation)
    return audited_inline(data, attachments.download_name(file), file.content_type,
                          login.origin(), "message_attachment", file.id,
                          patient_id=conversation.patient_id,
                          file_format=attachments.file_format(file))


def _checked_attachment(attachment_id):
    """(attachment, conversation, its bytes or None when they fail their SHA-256); 404 when
    it is not this staff member's to see."""
    file, conversation = attachments.staff_attachment(attachment_id, current_user) or abort(404)
    return file, conversation, attachments.attachment_bytes(file)


def _damaged(file, conversation):
    log.warning("message attachment %s does not match its SHA-256: download refused", file.id)
    return render_template("staff/messages/attachment_damaged.html",
                           conversation=conversation), 409


# --- Staff start a conversation -------------------------------------------------------------

@messages_bp.route("/patients/<int:patient_id>/messages/new", methods=["GET", "POST"])
@staff_required()
def start(patient_id):
    """A message from the care team that begins a conversation; the patient is told by email."""
    patient = chart_or_404(patient_id)
    offered = topics.all_topics()
    form = StartForm(submission_key=conversations.new_submission_key())
    form.set_choices(offered)
    problem = None
    if form.validate_on_submit():
        topic = next((topic for topic in offered if topic.id == form.topic.data), None)
        try:
            files = attachments.check_files(attachments.received(form.attachments.data), g.practice)
            started = conversations.staff_start(
                current_user, patient, topic, subject=form.subject.data, body=form.body.data,
                files=files, submission_key=form.submission_key.data, origin=login.origin())
        except limits.MessageError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("staff_conversation_started")
            return to_conversation(started)
    return render_template("staff/messages/new.html", form=form, patient=patient,
                           problem=problem, accepted=_describe_files(form, g.practice))



# The conversation page's actions add their routes to messages_bp.
from . import message_actions  # noqa: E402,F401

bp.register_blueprint(messages_bp)
