"""A URL that moved keeps working: an old link redirects permanently to the new page."""

from flask import Blueprint, Flask

from portal.web.routing import keep_old_url


def test_old_url_redirects():
    app = Flask(__name__)
    bp = Blueprint("things", __name__)
    @bp.route("/new/<int:n>/sign")
    def sign(n): return "ok"
    keep_old_url(bp, "/old/<int:n>/sign.pdf", "things.sign")
    app.register_blueprint(bp)
    r = app.test_client().get("/old/3/sign.pdf?required=1")
    assert r.status_code == 301 and r.headers["Location"] == "/new/3/sign?required=1"
    assert app.test_client().post("/old/3/sign.pdf").status_code == 405
