"""Who has opened or downloaded the patient's health record, and when: the audit trail in
plain words (services/records/history.py), newest first, 25 a page, the patient's own lines
hidden on request (`?mine=hide`, a GET form that works without JavaScript)."""

from flask import g, render_template, request
from flask_login import current_user

from ...extensions import db
from ...services.records import history as access_history
from ...web import login
from ...web.guards import own_chart_required
from ...web.paging import requested_page
from . import bp


@bp.route("/records/history")
@own_chart_required
def history():
    """The record's access history: practice staff by role, the patient as "You"."""
    hide_own = request.args.get("mine") == "hide"
    page = access_history.history_page(g.patient.id, current_user.id, requested_page(),
                                       hide_own=hide_own)
    html = render_template("records/history.html", page=page, hide_own=hide_own)
    access_history.record_history_viewed(login.origin(), g.patient.id, page)
    db.session.commit()
    return html
