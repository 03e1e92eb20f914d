from flask import g, redirect, render_template, request, session, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...services import home as todo
from ...services.proxies import acting
from ...web import login
from ...web.guards import ACTING_KEY, patient_required
from . import bp


@bp.route("/home")
@patient_required
def home():
    """The patient's home: what waits for them, then links to every part of the portal."""
    waiting = todo.waiting_for(g.patient, unread=g.unread_messages, practice=g.practice,
                               reader=g.reader)
    return render_template("patient/home.html", account=current_user, waiting=waiting,
                           others=todo.others_waiting(g.charts, g.chart, g.practice))


@bp.route("/acting-for", methods=["POST"])
@patient_required
def switch():
    """The switcher: open another chart this account may open (one form, no JavaScript).
    A chart it may not open changes nothing and says so."""
    chart = acting.switch(g.charts, request.form.get("patient_id", type=int), login.origin())
    if chart is None:
        flash_message("switch_refused")
        return redirect(url_for("patient.home"))
    session[ACTING_KEY] = chart.patient.id
    db.session.commit()
    flash_message("switched", name=chart.patient.full_name)
    return redirect(url_for("patient.home"))


@bp.route("/no-record")
@patient_required
def no_chart():
    """An account that opens no chart today: a guardian whose every grant has ended, paused or
    come to its end. Their own account pages stay open."""
    if g.chart is not None:
        return redirect(url_for("patient.home"))
    return render_template("patient/no_chart.html")
