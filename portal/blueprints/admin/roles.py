"""The admin's page of what each staff role may do (services/permissions.py): the rows a
practice may change as one group of role checkboxes each, the fixed rows in words."""

from flask import g, redirect, render_template, url_for

from ...extensions import db
from ...flash_messages import flash_message
from ...models.staff import STAFF_ROLES
from ...services import permissions
from ...web import login
from ...web.guards import staff_required
from . import bp
from .role_forms import chosen, permissions_form


@bp.route("/permissions", methods=["GET", "POST"])
@staff_required()
def role_permissions():
    """Show the practice's role table; a POST stores the rows it may change (audited)."""
    form = permissions_form(g.practice)
    if form.validate_on_submit():
        changed = permissions.save_table(g.practice, chosen(form), login.origin())
        if changed:
            db.session.add(g.practice)  # a practice not set up yet gets its row now
        db.session.commit()
        flash_message("permissions_saved" if changed else "permissions_unchanged")
        return redirect(url_for("admin.role_permissions"))
    return render_template(
        "admin/permissions.html", form=form, roles=STAFF_ROLES,
        fixed=[(action, permissions.roles_for(action.key, g.practice))
               for action in permissions.ACTIONS.values() if action.fixed],
        editable=[permissions.ACTIONS[key] for key in permissions.EDITABLE])
