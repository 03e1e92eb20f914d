from flask import g, render_template
from flask_login import current_user

from ...services import home as todo
from ...web.guards import patient_required
from . import bp


@bp.route("/home")
@patient_required
def home():
    """The patient's home: what waits for them, then links to every part of the portal."""
    waiting = todo.waiting_for(g.patient, unread=g.unread_messages, practice=g.practice)
    return render_template("patient/home.html", account=current_user, waiting=waiting)
