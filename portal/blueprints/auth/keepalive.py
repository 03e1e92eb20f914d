"""Keeping a session alive from the idle warning (static/js/idle-warning.js)."""

from flask_login import login_required

from . import bp


@bp.route("/session/keep-alive", methods=["POST"])
@login_required
def keep_alive():
    """Nothing to do: loading the signed-in account already counted this as activity."""
    return "", 204
