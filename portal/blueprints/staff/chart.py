"""The patient's chart, in sections: a summary (who the patient is, and their portal access),
then one page each for consents and forms, the health record with its shares, messages, and
family and access (blueprints/staff/proxies.py).

One page with every section was a long scroll on a phone, and drawing all of them for a
glance at a phone number made the chart the slowest staff page. Each section is a tab that
works without JavaScript, and each view of one goes on the audit trail.
"""

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ... import page_texts
from ...extensions import db
from ...models.types import utcnow
from ...services import activation, invitations, permissions, profile, twostep
from ...services import patients as charts
from ...services.accounts import account_for_patient
from ...services.consents import reports
from ...services.messages import inbox
from ...services.records import categories, shares
from ...web import login
from ...web.filters import practice_zone
from ...web.guards import chart_or_404, staff_required
from . import bp
from .consent_forms import AssignFormForm
from .forms import SuspendForm
from .records import chart_record

# (endpoint, tab label): the chart's sections, in the order of its tabs.
SECTIONS = (
    ("staff.chart", _l("Summary")),
    ("staff.chart_consents", _l("Consents and forms")),
    ("staff.chart_records", _l("Health record")),
    ("staff.chart_messages", _l("Messages")),
    ("staff.chart_access", _l("Family and access")),  # blueprints/staff/proxies.py
)


def section_page(template, patient, section, **context):
    """A section of the chart, drawn, then its view recorded and committed (drawn first: a
    commit would expire the chart and the staff member, and on SQLite the audit row holds
    the write lock until the commit)."""
    body = render_template(template, patient=patient, sections=SECTIONS, **context)
    charts.record_chart_viewed(patient, login.origin(), section)
    db.session.commit()
    return body


@bp.route("/patients/<int:patient_id>")
@staff_required()
def chart(patient_id):
    """The summary: the chart's details and the patient's portal access."""
    patient = chart_or_404(patient_id)
    account = account_for_patient(patient.id)
    return section_page("staff/chart.html", patient, "summary", account=account,
                        portal=chart_portal(patient, account, current_user),
                        age=charts.age_on(patient.date_of_birth, utcnow().date()),
                        undelivered=inbox.undelivered_notices(patient.id))


@bp.route("/patients/<int:patient_id>/consents")
@staff_required()
def chart_consents(patient_id):
    """Every signature with its PDF, what the patient still owes, and the forms assigned."""
    patient = chart_or_404(patient_id)
    consents = reports.chart_consents(patient, practice_zone())
    assign_form = AssignFormForm(formdata=None)
    assign_form.document_id.choices = [(document.id, version.title)
                                       for document, version in consents.forms]
    return section_page("staff/chart_consents.html", patient, "consents",
                        consents=consents, assign_form=assign_form)


@bp.route("/patients/<int:patient_id>/records")
@staff_required()
def chart_records(patient_id):
    """The latest entries of every status, and the record's shares."""
    patient = chart_or_404(patient_id)
    return section_page("staff/chart_records.html", patient, "records",
                        record=chart_record(patient.id),
                        shares=chart_shares(patient.id, current_user))


@bp.route("/patients/<int:patient_id>/messages")
@staff_required()
def chart_messages(patient_id):
    """The latest conversations, and any email notice that could not be delivered."""
    patient = chart_or_404(patient_id)
    return section_page("staff/chart_messages.html", patient, "messages",
                        conversations=inbox.chart_conversations(patient.id, staff=current_user),
                        undelivered=inbox.undelivered_notices(patient.id),
                        delivery_problem=inbox.delivery_problem)


def chart_shares(patient_id, staff):
    """The chart's record shares, and whether this staff member may stop one."""
    return {"shares": shares.chart_shares(patient_id), "state": shares.state,
            "category_keys": shares.category_keys, "categories": categories.CATEGORIES,
            "stop_reasons": page_texts.SHARE_STOP_REASONS,
            "may_stop": permissions.allows(staff, "stop_share")}


def chart_portal(patient, account, staff):
    """What the summary's portal sections show and offer this staff member, each decided by
    its service's rule (the partials only draw it)."""
    access = invitations.portal_access(patient, account)
    letter = access.invitation if access.invitation and access.invitation.kind == "letter" else None
    return {
        "access": access,
        "invite_refusal": invitations.invitation_refusal(patient, account),
        "letter_refusal": activation.letter_refusal(patient, account),
        "letter_printed_by": activation.printed_by(letter) if letter else "",
        "may_suspend": profile.may_suspend(staff),
        "suspend_form": SuspendForm(formdata=None),
        "may_reset_two_step": twostep.may_reset(staff, account),
    }
