"""Sharing the health record with another provider: the patient's list of shares, a new share
(who, what, how many days), and stopping one. The rules are in services/records/shares.py; the
provider's pages are the `record_share` blueprint."""

from flask import abort, g, redirect, render_template, request, url_for
from flask_login import current_user

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message
from ...services.records import categories
from ...services.records import shares as record_shares
from ...web import login
from ...web.guards import own_chart_required
from . import bp
from .forms import ShareEmailForm, ShareForm


def _share_or_404(share_id):
    share = record_shares.patient_share(g.patient.id, share_id)
    if share is None:
        abort(404)
    return share


@bp.route("/records/shares")
@own_chart_required
def shares():
    """The patient's shares, newest first: who, what, until when, how often opened, and a
    button to stop each one still working."""
    found = record_shares.patient_shares(g.patient.id)
    return render_template("records/shares.html", shares=found, state=record_shares.state,
                           category_keys=record_shares.category_keys,
                           categories=categories.CATEGORIES,
                           stop_reasons=page_texts.SHARE_STOP_REASONS)


@bp.route("/records/shares/new", methods=["GET", "POST"])
@own_chart_required
def new_share():
    """Make a share; the answer shows its link and access code, once."""
    form = ShareForm()
    if form.is_submitted():
        valid = form.validate()  # the password's presence (and CSRF); the rest is the service's
        answers = {"recipient": form.recipient.data, "whole_record": form.scope.data == "whole",
                   "categories": form.categories.data, "days": form.days.data}
        refused = record_shares.problems(**answers)
        for field, message in refused.items():  # every problem at once
            form[field].errors = [message]
        if valid and not refused and login.confirm_current_password(
                form.current_password, "profile_wrong_password", "record share"):
            share, token, code = record_shares.create(g.patient.id, current_user,
                                                      origin=login.origin(), **answers)
            db.session.commit()
            # Shown on this answer alone (never stored, never in a URL; pages are no-store).
            return render_template("records/share_made.html", share=share,
                                   link=record_shares.link_url(token), link_token=token,
                                   email_form=ShareEmailForm(formdata=None),
                                   code=record_shares.grouped_code(code),
                                   category_keys=record_shares.category_keys(share),
                                   categories=categories.CATEGORIES,
                                   max_wrong=record_shares.MAX_WRONG_CODES), 201
    status = 400 if request.method == "POST" else 200
    return render_template("records/share_new.html", form=form,
                           categories=categories.CATEGORIES), status


@bp.route("/records/shares/<int:share_id>/stop", methods=["POST"])
@own_chart_required
def stop_share(share_id):
    """Stop a share at once: its link and code open nothing from now on."""
    share = _share_or_404(share_id)
    if record_shares.revoke(share, login.origin()):
        db.session.commit()
        flash_message("share_revoked", recipient=share.recipient)
    else:
        flash_message("share_already_stopped")
    return redirect(url_for("records.shares"))
