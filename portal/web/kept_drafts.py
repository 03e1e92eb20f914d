"""Nothing typed is lost to the idle sign-out: the web side of services/kept_drafts.py.

Only the forms in KEPT_FORMS are kept, and only the fields that are what the person typed
(never the CSRF token, the page's one-time key or the files). login.py calls keep_posted()
when a post meets an ended session, and hand_over() at sign-in; the forms' pages call
restored() to show the text again, once.
"""

from collections import namedtuple

from flask import request, url_for
from werkzeug.datastructures import MultiDict

from ..extensions import db
from ..flash_messages import flash_message
from ..services import kept_drafts
from ..services.messages import topics

KeptForm = namedtuple("KeptForm", "form target_arg page typed")

_MESSAGE_FIELDS = {"topic", "subject", "body"} | {
    key for fields in topics.TOPIC_FIELDS.values() for key, _label, _required in fields}

# endpoint of the post -> what is kept, and the page that shows it again.
KEPT_FORMS = {
    "messages.compose": KeptForm("message", None, "messages.compose",
                                 lambda name: name in _MESSAGE_FIELDS),
    "messages.reply": KeptForm("reply", "conversation_id", "messages.conversation",
                               lambda name: name == "body"),
    "consents.fill_in": KeptForm("health_form", "document_id", "consents.fill_in",
                                 lambda name: name.startswith("f_")),
}
RESTORED_FLASH = {"message": "kept_message_restored", "reply": "kept_reply_restored",
                  "health_form": "kept_form_restored"}


def keep_posted(ended_token):
    """This request is a post that met a timed-out session: keep what it carried when its
    form is on the list. Returns the form's page (the address to come back to, no text in
    it), else None. Commits: this response is the request's end."""
    kept_form = KEPT_FORMS.get(request.endpoint) if request.method == "POST" else None
    if kept_form is None or not ended_token:
        return None
    target_id = (request.view_args or {}).get(kept_form.target_arg)
    typed = [(name, value) for name, value in request.form.items(multi=True)
             if kept_form.typed(name)]
    had_files = any(upload.filename for upload in request.files.values())
    if not kept_drafts.keep(ended_token, kept_form.form, target_id, typed, had_files):
        return None
    db.session.commit()
    arguments = {kept_form.target_arg: target_id} if kept_form.target_arg else {}
    return url_for(kept_form.page, **arguments)


def waiting(token):
    """True when the sign-in page should say a draft waits for this browser's ended session."""
    return kept_drafts.waiting(token)


def hand_over(ended_token, account, new_token):
    """At sign-in, before its commit: this browser's kept drafts go to the new session when
    the same account signs in, else they are deleted."""
    if ended_token:
        kept_drafts.hand_over(ended_token, account, new_token)


def restored(token, form, target_id=None):
    """The kept fields of `form` for this signed-in session, as a MultiDict to fill the form
    with (and the flash that says so), once; else None. The view commits (the row goes)."""
    found = kept_drafts.take(token, form, target_id)
    if found is None:
        return None
    fields, had_files = found
    flash_message(RESTORED_FLASH[form])
    if had_files:
        flash_message("kept_files_not_kept")
    return MultiDict(fields)
