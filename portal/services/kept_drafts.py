"""Nothing typed is lost to the idle sign-out (issue 21).

A form posted after its session timed out (a browser without JavaScript never sees the
two-minute warning) is kept here, encrypted with secretbox as health information may be,
with the session that ended and its account. The browser keeps only its ended session
cookie. When the same account signs in again on that browser the draft is handed to the new
session, and the form's page shows it once, filled in and not sent. Another account signing
in there gets nothing, and the draft is deleted. A draft is never served after KEEP_FOR; the
mail worker's round deletes older ones.
"""

import json
from datetime import timedelta

from sqlalchemy import bindparam, delete, select

from ..extensions import db
from ..models import KeptDraft
from ..models.types import utcnow
from . import secretbox, sessions

KEEP_FOR = timedelta(days=1)
# Marked on a session that was handed a draft: the form pages of every other session (nearly
# all) then need no query to know there is none to take.
HANDED_OVER = "kept_drafts"
FORMS = ("message", "reply", "health_form")
# A kept form is text a person typed: more than this is not a form of ours.
MAX_FIELDS = 60
MAX_VALUE_CHARS = 20_000


def _fresh_since():
    return utcnow() - KEEP_FOR


def keep(ended_token, form, target_id, fields, had_files):
    """Keep `fields` ([(name, value)], as posted) for the account whose session
    `ended_token` names, when that session was ended by the idle time-out less than
    KEEP_FOR ago. A later post of the same form replaces it. Returns True when kept; the
    caller commits."""
    ended = sessions.session_of_token(ended_token)
    if form not in FORMS or ended is None or ended.account_kind != "patient" \
            or ended.end_reason != "timeout" or ended.ended_at is None \
            or ended.ended_at <= _fresh_since():
        return False
    kept = [(str(name), str(value)[:MAX_VALUE_CHARS]) for name, value in fields][:MAX_FIELDS]
    db.session.execute(delete(KeptDraft).where(
        KeptDraft.session_id == ended.id, KeptDraft.form == form,
        KeptDraft.target_id.is_(None) if target_id is None else KeptDraft.target_id == target_id))
    db.session.add(KeptDraft(
        session_id=ended.id, account_kind=ended.account_kind, account_id=ended.account_id,
        form=form, target_id=target_id, fields=secretbox.encrypt(json.dumps(kept)),
        had_files=bool(had_files)))
    return True


def waiting(ended_token):
    """True when this browser's ended session holds a draft to hand back (the sign-in page
    asks; it says nothing of whose or what)."""
    ended = sessions.session_of_token(ended_token)
    if ended is None or ended.ended_at is None:
        return False
    return db.session.scalar(select(KeptDraft.id).where(
        KeptDraft.session_id == ended.id, KeptDraft.handed_to_session_id.is_(None),
        KeptDraft.kept_at > _fresh_since()).limit(1)) is not None


def hand_over(ended_token, account, new_token):
    """Sign-in: the drafts of the browser's ended session go to the new session when the
    same account signs in; for any other account they are deleted, unread. The caller
    commits (with the sign-in)."""
    ended = sessions.session_of_token(ended_token)
    if ended is None or ended.ended_at is None:
        return
    drafts = db.session.scalars(select(KeptDraft).where(
        KeptDraft.session_id == ended.id, KeptDraft.handed_to_session_id.is_(None))).all()
    if not drafts:
        return
    db.session.flush()  # the new session's row, for its id
    new_session = sessions.session_of_token(new_token)
    for draft in drafts:
        same = (draft.account_kind, draft.account_id) == (account.kind, account.id)
        if same and draft.kept_at > _fresh_since():
            draft.handed_to_session_id = new_session.id
        else:
            db.session.delete(draft)
    if any(draft.handed_to_session_id for draft in drafts):
        sessions.set_session_value(new_token, HANDED_OVER, True)


# Every conversation and form page asks: built once (with and without a target), the rest
# parameters.
_TAKE = {without_target: (
    select(KeptDraft).where(
        KeptDraft.handed_to_session_id == bindparam("session_id"),
        KeptDraft.form == bindparam("form"),
        KeptDraft.target_id.is_(None) if without_target
        else KeptDraft.target_id == bindparam("target_id"),
        KeptDraft.account_kind == bindparam("account_kind"),
        KeptDraft.account_id == bindparam("account_id"),
        KeptDraft.kept_at > bindparam("fresh_since"))  # an older one waits for forget_expired
    .order_by(KeptDraft.kept_at.desc()).limit(1)) for without_target in (True, False)}


def take(session_token, form, target_id=None):
    """The draft of `form` (and its conversation or document) handed to this live session:
    (fields, had_files), once (the row is deleted), else None. The caller commits."""
    if not sessions.session_value(session_token, HANDED_OVER):
        return None
    live = sessions.live_session(session_token)
    draft = db.session.scalar(_TAKE[target_id is None], {
        "session_id": live.id, "form": form, "target_id": target_id,
        "account_kind": live.account_kind, "account_id": live.account_id,
        "fresh_since": _fresh_since()})
    if draft is None:
        return None
    stored, had_files = draft.fields, draft.had_files
    db.session.delete(draft)
    opened = secretbox.decrypt(stored)
    if opened is None:
        return None
    return [tuple(pair) for pair in json.loads(opened)], had_files


def forget_expired():
    """The mail worker's round: delete every draft kept KEEP_FOR ago or longer, in its own
    transaction. Returns how many went."""
    gone = db.session.execute(delete(KeptDraft).where(KeptDraft.kept_at <= _fresh_since()))
    db.session.commit()
    return gone.rowcount
