"""The patient's messages: the inbox (and the archived ones), writing a new message in two
steps (the topic, then the message), a conversation with its reply form, archiving and
attachment downloads. Each view parses the form, calls services/messages/, commits,
flashes and redirects; every page works without JavaScript."""

import logging

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...services import clock
from ...services.messages import attachments, conversations, inbox, limits, thread, topics
from ...services.proxies import confidential
from ...web import downloads, kept_drafts, login
from ...web.filters import reply_time
from ...web.guards import patient_required
from ...web.paging import requested_page
from . import bp
from .forms import ArchiveForm, ChooseTopicForm, ComposeForm, ReplyForm

log = logging.getLogger("portal")


def _offer(form, offered):
    """Put the topics on the form's radio buttons; returns the one chosen, else None."""
    form.topic.choices = [(topic.id, topic.label) for topic in offered]
    return next((topic for topic in offered if topic.id == form.topic.data), None)


def _attachment_policy():
    """What the forms say about attachments, from the practice's settings."""
    practice = g.practice
    return {"allowed": practice.attachments_allowed, "max_files": limits.MAX_FILES,
            "types": attachments.allowed_description(practice),
            # By type, not ending, so a picker also offers "photo.jpeg" and the photo library.
            "accept": ",".join(sorted({kind for kind, _magic in
                                       attachments.allowed_kinds(practice).values()})),
            "file_mb": practice.attachment_max_mb, "message_mb": practice.attachment_message_max_mb}


def _own_or_404(conversation_id):
    conversation = inbox.patient_conversation(g.patient.id, conversation_id, g.reader)
    if conversation is None:
        abort(404)
    return conversation


@bp.route("/messages", endpoint="inbox")
@patient_required
def inbox_page():
    """The patient's conversations, newest first; ?archived=1 lists the archived ones."""
    archived = request.args.get("archived") == "1"
    page = inbox.patient_inbox(g.patient.id, requested_page(), archived=archived,
                               reader=g.reader)
    return render_template("messages/inbox.html", page=page, archived=archived)


@bp.route("/messages/sent")
@patient_required
def sent():
    """Every message sent from the patient's side, newest first, each linking to its
    conversation."""
    page = inbox.patient_sent(g.patient.id, requested_page(), g.reader)
    return render_template("messages/sent.html", page=page)


@bp.route("/messages/new", methods=["GET", "POST"])
@patient_required
def compose():
    """Write a new message: without ?topic= the first step (choose the topic), with it the
    message itself, asking that topic's own questions."""
    offered = topics.offered_topics()
    if request.method == "GET":
        kept = kept_drafts.restored(login.current_session_token(), "message")
        return _compose_start(offered) if kept is None else _compose_kept(kept, offered)
    form, problem = ComposeForm(), None
    topic = _offer(form, offered)
    if form.validate_on_submit():
        try:
            checked = attachments.check_files(attachments.received(form.attachments.data),
                                             g.practice)
            conversation = conversations.start_conversation(
                current_user, topic, subject=form.subject.data, body=form.body.data,
                details=form.details(topic), files=checked,
                submission_key=form.submission_key.data, origin=login.origin(),
                patient_id=g.patient.id)
        except limits.MessageError as refused:
            db.session.rollback()
            problem = show_refusal(form, refused)
        else:
            if _chooses_audience() and form.audience.data != "family":
                confidential.keep_private(g.patient, conversation, login.origin())
            db.session.commit()
            flash_message("message_sent", days=reply_time(conversation.topic))
            return redirect(url_for("messages.conversation", conversation_id=conversation.id))
    return _compose_page(form, offered, topic, problem)


def _compose_start(offered):
    choose = ChooseTopicForm(request.args)
    topic = _offer(choose, offered)
    if "topic" in request.args and choose.validate() and topic is not None:
        form = ComposeForm(topic=topic.id)
        _offer(form, offered)
        return _compose_page(form, offered, topic)
    return render_template("messages/choose_topic.html", choose=choose, topics=offered,
                           reply_time=reply_time)


def _compose_kept(kept, offered):
    """The message the idle sign-out interrupted, filled in again, once (its kept row is
    deleted: this GET commits that)."""
    form = ComposeForm(formdata=kept)
    page = _compose_page(form, offered, _offer(form, offered))
    db.session.commit()
    return page


def _chooses_audience():
    """Whether this writer chooses who may read the conversation (a teen, own account)."""
    return confidential.chooses_audience(g.patient, g.chart.own, g.practice,
                                         clock.today(practice=g.practice))


def _compose_page(form, offered, topic, problem=None):
    """The message step: the chosen topic's questions, or the topic buttons again when the
    topic posted is not one offered. A teen chooses the audience, the practice's choice
    first."""
    if not form.submission_key.data:
        form.submission_key.data = conversations.new_submission_key()
    if form.audience.data not in confidential.AUDIENCES:
        form.audience.data = "private" if g.practice.teen_messages_private else "family"
    return render_template("messages/compose.html", form=form, topic=topic, problem=problem,
                           topics=offered, fields=topics.topic_fields(topic) if topic else (),
                           policy=_attachment_policy(), reply_time=reply_time,
                           chooses_audience=_chooses_audience())


@bp.route("/messages/<int:conversation_id>")
@patient_required
def conversation(conversation_id):
    """Every message the patient may read, oldest first; opening it marks it read. A reply
    the idle sign-out interrupted is filled in again, once."""
    found = _own_or_404(conversation_id)
    kept = kept_drafts.restored(login.current_session_token(), "reply", conversation_id)
    return _conversation_page(found, ReplyForm(formdata=kept))


@bp.route("/messages/<int:conversation_id>/reply", methods=["POST"])
@patient_required
def reply(conversation_id):
    conversation, form, problem = _own_or_404(conversation_id), ReplyForm(), None
    if form.validate_on_submit():
        try:
            checked = attachments.check_files(attachments.received(form.attachments.data),
                                             g.practice)
            conversations.patient_reply(current_user, conversation, body=form.body.data,
                                        files=checked, submission_key=form.submission_key.data,
                                        origin=login.origin())
        except limits.MessageError as refused:
            db.session.rollback()
            problem = show_refusal(form, refused)
        else:
            db.session.commit()
            flash_message("message_reply_sent")
            return redirect(url_for("messages.conversation", conversation_id=conversation.id,
                                    _anchor="latest"))
    return _conversation_page(conversation, form, problem)


def _conversation_page(conversation, form, problem=None):
    """The conversation page, read and recorded as read. The page is drawn before the
    commit, which would otherwise reload every message it shows."""
    messages = thread.patient_messages(conversation)
    if conversation.unread_for_patient:
        g.unread_messages = max(0, g.unread_messages - 1)  # the navigation's count, now
    conversations.mark_read(conversation)
    if not form.submission_key.data:
        form.submission_key.data = conversations.new_submission_key()
    page = render_template("messages/conversation.html", conversation=conversation,
                           messages=messages, form=form, problem=problem,
                           policy=_attachment_policy())
    thread.record_read(login.origin(), conversation, messages)
    db.session.commit()
    return page


@bp.route("/messages/<int:conversation_id>/archive", methods=["POST"])
@patient_required
def archive(conversation_id):
    """File the conversation away (archived=1) or bring it back to the inbox (archived=0)."""
    conversation, form = _own_or_404(conversation_id), ArchiveForm()
    if not form.validate_on_submit():
        abort(400)
    conversations.archive(conversation, form.archiving)
    db.session.commit()
    flash_message("conversation_archived" if form.archiving else "conversation_restored")
    return redirect(url_for("messages.inbox"))


@bp.route("/messages/attachments/<int:attachment_id>")
@patient_required
def attachment(attachment_id):
    """An attachment of the patient's own conversation, as a download; another patient's
    number is simply not found."""
    found = attachments.patient_attachment(g.patient.id, attachment_id, g.reader)
    if found is None:
        abort(404)
    data = attachments.attachment_bytes(found)
    if data is None:
        log.warning("message attachment %s no longer matches its SHA-256; not served", found.id)
        return render_template("messages/attachment_unavailable.html"), 404
    return downloads.audited(data, attachments.download_name(found), found.content_type,
                             login.origin(), "message_attachment", found.id,
                             patient_id=g.patient.id, file_format=attachments.file_format(found))
