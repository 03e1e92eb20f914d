"""Handing a new share's link over to the provider: a one-page sheet to print, or the link
emailed to the provider's address. Both are offered on the page that shows the new link (the
link is stored nowhere, so it cannot be shown again); the rules are in
services/records/share_handover.py."""

from flask import abort, g, redirect, render_template, url_for
from flask_babel import gettext as _

from ...extensions import db
from ...flash_messages import flash_message
from ...services import ratelimit
from ...services.records import categories, shares
from ...services.records import share_handover as handover
from ...web import login
from ...web.guards import own_chart_required
from . import bp
from .forms import HandoverForm, ShareEmailForm


def _handed_over(share_id, form):
    """The patient's working share the form's token belongs to; a 404 for another patient's
    share or a wrong token; None (with a flash) for a share that stopped working. CSRFProtect
    has checked the form's token already."""
    share, problem = handover.handed_over_share(g.patient.id, share_id, form.link_token.data)
    if share is None:
        abort(404)
    if problem:
        flash_message("share_handover_stopped")
        return None
    return share


def _shown(share):
    """What the sheet and the hand-over page say about a share."""
    return {"share": share, "category_keys": shares.category_keys(share),
            "categories": categories.CATEGORIES, "max_wrong": shares.MAX_WRONG_CODES}


@bp.route("/records/shares/<int:share_id>/sheet", methods=["POST"])
@own_chart_required
def share_sheet(share_id):
    """The share sheet to print: the link as text and as a QR code, what is shared and until
    when, never the access code."""
    form = HandoverForm()
    share = _handed_over(share_id, form)
    if share is None:
        return redirect(url_for("records.shares"))
    link = shares.link_url(form.link_token.data.strip())
    return render_template("records/share_sheet.html", link=link, qr_code=handover.qr_code(link),
                           patient=g.patient, **_shown(share))


@bp.route("/records/shares/<int:share_id>/email", methods=["POST"])
@own_chart_required
def email_share_link(share_id):
    """Email the link to the provider's address; the page answers with the same hand-over
    forms, the address kept when it cannot be used."""
    form = ShareEmailForm()
    share = _handed_over(share_id, form)
    if share is None:
        return redirect(url_for("records.shares"))
    sent_to, status = None, 400
    if form.validate():
        try:
            handover.email_link(share, form.link_token.data.strip(), form.address.data,
                                login.origin())
        except ratelimit.RateLimited:
            emails, minutes = handover.email_limit()
            form.address.errors = [_("You have emailed %(emails)d links in the last %(minutes)d "
                                     "minutes. Wait a little, or print the share sheet instead.",
                                     emails=emails, minutes=minutes)]
            status = 429
        else:
            db.session.commit()
            sent_to, status = form.address.data, 200
            form.address.data = ""  # ready for another address
    return render_template("records/share_send.html", form=form, sent_to=sent_to,
                           link_token=form.link_token.data.strip(), **_shown(share)), status
