from flask import redirect, render_template, url_for
from flask_login import current_user

from . import bp


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(url_for("staff.patients" if current_user.kind == "staff" else "patient.home"))
    return render_template("public/home.html")


@bp.route("/healthz")
def health():
    """For a load balancer: the app answers (and reached the database for the practice)."""
    return {"status": "ok"}
