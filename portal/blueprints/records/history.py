"""Who has opened or downloaded the patient's health record, and when: the audit trail in
plain words (services/record_history.py), newest first, 25 a page."""

from flask import render_template, request
from flask_login import current_user

from ...extensions import db
from ...services import record_history
from ...web import login
from ...web.guards import patient_required
from . import bp

LAST_PAGE = 100_000  # a page number past any history (a larger one overflows OFFSET)


@bp.route("/records/history")
@patient_required
def history():
    """The record's access history: practice staff by role, the patient as "You"."""
    number = min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
    page = record_history.history_page(current_user.patient_id, current_user.id, number)
    record_history.record_history_viewed(login.origin(), current_user.patient_id, page)
    html = render_template("records/history.html", page=page)
    db.session.commit()
    return html
