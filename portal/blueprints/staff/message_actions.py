"""What the staff conversation page's forms post: a reply to the patient, an internal note,
an assignment, a move to another pool, closing. Each view parses its form, calls one service
function, commits, flashes and redirects back; a refusal shows the page again with the form
and its errors (messages.show).
"""

from flask import abort, g, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import ButtonForm, show_refusal
from ...models.messages import POOLS
from ...services import permissions
from ...services.messages import attachments, conversations, inbox, limits
from ...web import login
from ...web.guards import staff_required
from .message_forms import MoveForm, NoteForm, StaffReplyForm
from .messages import (
    assign_form,
    conversation_or_404,
    messages_bp,
    show,
    to_conversation,
)


def _posted(form):
    """The form's CSRF token checked (CSRFProtect refuses first; this is the form's own check)."""
    if not form.validate_on_submit():
        abort(400)
    return form


@messages_bp.route("/messages/<int:conversation_id>/reply", methods=["POST"])
@staff_required()
def reply(conversation_id):
    """A reply to the patient, who is told by email that a message waits."""
    conversation = conversation_or_404(conversation_id)
    form = _posted(StaffReplyForm())
    try:
        files = attachments.check_files(attachments.received(form.attachments.data), g.practice)
        conversations.staff_reply(current_user, conversation, body=form.body.data, files=files,
                                  submission_key=form.submission_key.data, origin=login.origin())
    except limits.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=show_refusal(form, error), reply=form)
    db.session.commit()
    flash_message("staff_reply_sent")
    return to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/note", methods=["POST"])
@staff_required()
def note(conversation_id):
    """An internal note for the care team: never shown to the patient, never emailed."""
    conversation = conversation_or_404(conversation_id)
    form = _posted(NoteForm())
    try:
        conversations.add_note(current_user, conversation, body=form.note.data, origin=login.origin())
    except limits.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=show_refusal(form, error), note=form)
    db.session.commit()
    flash_message("note_added")
    return to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/assign", methods=["POST"])
@staff_required()
def assign(conversation_id):
    """Give the conversation to a staff member, or back to the whole pool."""
    conversation = conversation_or_404(conversation_id)
    form = _posted(assign_form(request.form))
    members = {str(member.id): member for member in inbox.staff_members()}
    assignee = members.get(form.assignee.data)
    if form.assignee.data and assignee is None:
        form.assignee.errors = [_("Choose a staff member from the list.")]
        return show(conversation, failed=form, assign=form)
    conversations.assign(current_user, conversation, assignee, origin=login.origin())
    db.session.commit()
    if assignee is None:
        flash_message("conversation_unassigned")
    else:
        flash_message("conversation_assigned", name=assignee.name)
    return to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/move", methods=["POST"])
@staff_required()
def move(conversation_id):
    """Send the conversation to another staff pool."""
    conversation = conversation_or_404(conversation_id)
    form = _posted(MoveForm())
    try:
        conversations.move_to_pool(current_user, conversation, form.pool.data, origin=login.origin())
    except limits.MessageError as error:
        db.session.rollback()
        return show(conversation, failed=form, problem=show_refusal(form, error), move=form)
    db.session.commit()
    flash_message("conversation_moved", pool=POOLS[form.pool.data])
    if not permissions.may_read_conversation(current_user, conversation):
        return redirect(url_for(".inbox"))  # moved out of the pools this role reads
    return to_conversation(conversation)


@messages_bp.route("/messages/<int:conversation_id>/close", methods=["POST"])
@staff_required()
def close(conversation_id):
    """Close the conversation (a patient who writes again opens it again)."""
    conversation = conversation_or_404(conversation_id)
    _posted(ButtonForm())
    conversations.close(current_user, conversation, origin=login.origin())
    db.session.commit()
    flash_message("conversation_closed")
    return to_conversation(conversation)
