from flask import redirect, render_template, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...services import audit, paging
from ...services.practice import SETTING_FIELDS, get_practice, update_practice
from ...web import login, session_data
from ...web.filters import practice_zone
from ...web.guards import staff_required
from ...web.paging import requested_page
from . import bp
from .forms import AuditFilterForm, PracticeSettingsForm

# Filters live in the server-side session row, like the patient search: account numbers
# stay out of URLs and out of the cookie.
AUDIT_FILTER_KEY = "audit_filters"
AUDIT_PAGE_SIZE = 50


@bp.route("/settings", methods=["GET", "POST"])
@staff_required()
def settings():
    practice = get_practice()
    form = PracticeSettingsForm(obj=practice)
    if form.validate_on_submit():
        changed = update_practice(practice, form.setting_values())
        if changed:
            audit.record("practice.settings_changed", login.origin(), object_type="practice",
                         object_id=practice.id, detail="changed: " + ", ".join(changed))
        db.session.commit()
        flash_message("settings_saved")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", form=form, fields=SETTING_FIELDS)


@bp.route("/audit", methods=["GET", "POST"])
@staff_required()
def audit_log():
    """The audit trail, newest first; POST sets the filters, GET shows a page."""
    filters = session_data.get(AUDIT_FILTER_KEY) or {}
    form = AuditFilterForm(data=filters)
    if form.validate_on_submit():
        session_data.put(AUDIT_FILTER_KEY, {name: field.data for name, field in form._fields.items()
                                            if name != "csrf_token" and field.data} or None)
        db.session.commit()
        return redirect(url_for("admin.audit_log"))
    page = paging.page_of(audit.search_statement(filters, practice_zone()), requested_page(),
                          AUDIT_PAGE_SIZE, scalars=True)
    return render_template("admin/audit.html", form=form, page=page, filtering=bool(filters),
                           accounts=audit.account_numbers(page.items))


@bp.route("/audit/clear", methods=["POST"])
@staff_required()
def clear_audit_filters():
    session_data.pop(AUDIT_FILTER_KEY)
    db.session.commit()
    return redirect(url_for("admin.audit_log"))
