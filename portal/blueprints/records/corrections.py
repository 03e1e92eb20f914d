"""Report something wrong in the health record: a form on each released entry of the patient's
own chart; what the patient writes goes to the care team as a new secure message
(services/records/corrections.py), and the patient lands on that conversation."""

from flask import g, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...models.messages import POOLS
from ...services.errors import FieldError
from ...services.messages import conversations
from ...services.records import corrections, entries
from ...web import login, record_pages
from ...web.filters import reply_time
from ...web.guards import patient_required
from . import bp
from .forms import CorrectionForm


@bp.route("/records/<category>/<int:entry_id>/correction", methods=["GET", "POST"])
@patient_required
def correction(category, entry_id):
    """The patient says what is wrong in one of their released entries; sent, it is a new
    conversation with the care team, shown next."""
    kind, found = record_pages.entry_or_404(g.patient, category, entry_id, reader=g.reader)
    form, problem = CorrectionForm(), None
    if form.validate_on_submit():
        try:
            _asked, conversation = corrections.request_correction(
                current_user, found, form.text.data, submission_key=form.submission_key.data,
                origin=login.origin())
        except FieldError as refused:
            db.session.rollback()
            problem = show_refusal(form, refused)
        else:
            db.session.commit()
            flash_message("correction_requested", days=reply_time(conversation.topic))
            return redirect(url_for("messages.conversation", conversation_id=conversation.id))
    if not form.submission_key.data:
        form.submission_key.data = conversations.new_submission_key()
    page = render_template("records/correction.html", category=kind, entry=found, form=form,
                           problem=problem, pool=POOLS[corrections.pool_for(found)])
    entries.record_viewed(login.origin(), g.patient.id, f"correction {kind.key}", [found])
    db.session.commit()
    return page
