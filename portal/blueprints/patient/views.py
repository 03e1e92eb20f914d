from flask import g, render_template
from flask_login import current_user

from ...services.consents import gate
from ...web.guards import patient_required
from . import bp


@bp.route("/home")
@patient_required
def home():
    return render_template("patient/home.html", account=current_user,
                           renewal=gate.renewal_due(g.patient.id))
