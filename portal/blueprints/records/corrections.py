"""Report something wrong in the health record: a form on each released entry of the patient's
own chart; what the patient writes goes to the care team as a new secure message
(services/record_corrections.py), and the patient lands on that conversation."""

from flask import redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...models.messages import POOLS
from ...services import messaging, record_corrections, records
from ...services.errors import FieldError
from ...web import login
from ...web.filters import reply_time
from ...web.guards import patient_required
from . import bp
from .forms import CorrectionForm
from .views import _entry_or_404


def _refused(form, refused):
    """Undo what was begun; the message at its field, or for the summary when no field has it."""
    db.session.rollback()
    if refused.field not in form:
        return refused.message
    form[refused.field].errors = [refused.message]
    return None


@bp.route("/records/<category>/<int:entry_id>/correction", methods=["GET", "POST"])
@patient_required
def correction(category, entry_id):
    """The patient says what is wrong in one of their released entries; sent, it is a new
    conversation with the care team, shown next."""
    kind, found = _entry_or_404(category, entry_id)
    form, problem = CorrectionForm(), None
    if form.validate_on_submit():
        try:
            _asked, conversation = record_corrections.request_correction(
                current_user, found, form.text.data, submission_key=form.submission_key.data,
                origin=login.origin())
        except FieldError as refused:
            problem = _refused(form, refused)
        else:
            db.session.commit()
            flash_message("correction_requested", days=reply_time(conversation.topic))
            return redirect(url_for("messages.conversation", conversation_id=conversation.id))
    if not form.submission_key.data:
        form.submission_key.data = messaging.new_submission_key()
    records.record_viewed(login.origin(), current_user.patient_id, f"correction {kind.key}",
                          [found])
    page = render_template("records/correction.html", category=kind, entry=found, form=form,
                           problem=problem, pool=POOLS[record_corrections.pool_for(found)])
    db.session.commit()
    return page
