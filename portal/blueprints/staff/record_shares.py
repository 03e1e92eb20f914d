"""A chart's record shares for staff: every staff role that reads charts sees them in the
chart's health record (chart.chart_records); the roles the practice's table lets "stop a record
share" (services/permissions; by default admins, providers and nurses) may stop one, with a
reason. The rules are in services/records/shares.py."""

from flask import abort, redirect, render_template, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...services.records import shares
from ...web import login
from ...web.guards import chart_or_404, staff_required
from . import bp
from .forms import StopShareForm


@bp.route("/patients/<int:patient_id>/shares/<int:share_id>/stop", methods=["GET", "POST"])
@staff_required()
def stop_share(patient_id, share_id):
    """Stop one of the chart's shares now, with a reason (staff read it on the chart; the
    patient reads "stopped by the practice")."""
    patient = chart_or_404(patient_id)
    share = shares.patient_share(patient.id, share_id) or abort(404)
    form = StopShareForm()
    if form.validate_on_submit():
        problem = shares.staff_stop_problem(form.reason.data)
        if problem is None:
            done = shares.stop_by_staff(share, form.reason.data, login.origin())
            db.session.commit()
            flash_message("staff_share_stopped" if done else "share_already_stopped")
            return redirect(url_for("staff.chart_records", patient_id=patient.id, _anchor="record-shares"))
        form.reason.errors = [problem]
    return render_template("staff/stop_share.html", form=form, patient=patient, share=share,
                           state=shares.state(share)), 400 if form.errors else 200
