from flask import render_template
from flask_login import current_user

from ...services.access import patient_required
from . import bp


@bp.route("/profile")
@patient_required
def overview():
    return render_template("profile/overview.html", account=current_user)
