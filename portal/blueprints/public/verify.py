"""The public check of a signed PDF's verification code, when the practice turns it on
(Practice.public_verification). It answers only "valid, signed on DATE" or "no signed
document has this code": no name, no title. Limited per address so codes cannot be guessed
in bulk."""

from flask import abort, g, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from ...extensions import db
from ...forms import strip
from ...services import ratelimit
from ...services.consents import verification
from ...web import login
from ...web.filters import practice_zone
from . import bp

RATE_BUCKET = "verify-code"


class PublicVerifyForm(FlaskForm):
    code = StringField(
        _l("Verification code"), filters=[strip],
        description=_l("At the foot of every page of the signed PDF, for example ABCDE-23456."),
        validators=[DataRequired(_l("Enter the verification code.")),
                    Length(max=40, message=_l("A verification code has 10 letters and digits."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"})


@bp.route("/verify", methods=["GET", "POST"])
def verify():
    """Whether a verification code belongs to a signed document, and the day it was signed."""
    if not g.practice.public_verification:
        abort(404)
    form = PublicVerifyForm()
    checked, signed_on = False, None
    if form.validate_on_submit():
        try:
            ratelimit.hit(RATE_BUCKET, request.remote_addr)
        except ratelimit.RateLimited:
            abort(429)
        signed_on = verification.public_answer(form.code.data, practice_zone(), login.origin())
        db.session.commit()
        checked = True
    return render_template("public/verify.html", form=form, checked=checked, signed_on=signed_on)
