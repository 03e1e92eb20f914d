"""People who can act for the patient: everyone with access to their record (parents and
guardians the practice recorded, representatives the patient chose), with what and since
when; inviting a representative (a form, then the authorization to read and sign); revoking
one at once. The rules are in services/proxies/representatives.py."""

from flask import g, redirect, render_template, url_for
from flask_login import current_user

from ...extensions import db
from ...flash_messages import flash_message
from ...forms import show_refusal
from ...services import clock
from ...services.errors import FieldError
from ...services.proxies import representatives
from ...web import login
from ...web.guards import own_chart_required
from . import bp
from .access_forms import AuthorizationForm, RepresentativeForm, RevokeForm


def _today():
    return clock.today(practice=g.practice)


@bp.route("/profile/access")
@own_chart_required
def access():
    """Everyone who can act for the patient, and the way to invite someone."""
    today = _today()
    return render_template("profile/access.html", people=representatives.everyone(g.patient, today),
                           adult=representatives.may_invite(g.patient, today))


@bp.route("/profile/access/new", methods=["GET", "POST"])
@own_chart_required
def new_representative():
    """Step one: who, what they may do, until when. Valid, it shows the authorization."""
    today = _today()
    form, problem = RepresentativeForm(), None
    if not form.is_submitted():
        form.ends_on.process(None, representatives.default_end(today))
    if form.validate_on_submit():
        choice = form.choice()
        try:
            representatives.check(g.patient, current_user, choice, today)
        except FieldError as error:
            problem = show_refusal(form, error)
        else:
            return _authorization_page(AuthorizationForm(formdata=None, data=_data(choice)),
                                       choice)
    return render_template("profile/representative_new.html", form=form, problem=problem)


@bp.route("/profile/access/authorize", methods=["POST"])
@own_chart_required
def authorize():
    """Step two: the authorization signed. The representative is emailed their invitation.
    A name or tick missing shows the authorization again; a choice that no longer holds
    (the page was changed) goes back to the first step, with what was posted."""
    form, problem = AuthorizationForm(), None
    signed = form.validate_on_submit()
    if form.errors.keys() - {"legal_name", "agree"}:
        return render_template("profile/representative_new.html", form=form, problem=None), 400
    choice = form.choice()
    text = representatives.authorization_text(g.patient, choice, g.practice)
    if signed:
        try:
            grant = representatives.authorize(g.patient, current_user, choice,
                                              form.legal_name.data, text, login.origin(), _today())
        except FieldError as error:
            db.session.rollback()
            problem = show_refusal(form, error)
        else:
            db.session.commit()
            flash_message("representative_invited", name=grant.full_name)
            return redirect(url_for("profile.access"))
    return _authorization_page(form, choice, problem)


def _data(choice):
    return {"full_name": choice.full_name, "email": choice.email,
            "relationship": choice.relationship, "permissions": list(choice.permissions),
            "ends_on": choice.ends_on}


def _authorization_page(form, choice, problem=None):
    text = representatives.authorization_text(g.patient, choice, g.practice)
    return render_template("profile/authorization.html", form=form, choice=choice,
                           paragraphs=text.split("\n\n"), problem=problem)


@bp.route("/profile/access/revoke", methods=["POST"])
@own_chart_required
def revoke():
    """Revoke a representative at once (the grant's id is posted: no id in a profile URL)."""
    form = RevokeForm()
    grant = representatives.own_representative(g.patient.id, form.grant_id.data or 0) \
        if form.validate_on_submit() else None
    if grant is None:
        return redirect(url_for("profile.access"))
    revoked = representatives.revoke(grant, login.origin())
    db.session.commit()
    flash_message("representative_revoked" if revoked else "representative_already_ended",
                  name=grant.full_name)
    return redirect(url_for("profile.access"))
