"""The form of the admin's role table: one group of role checkboxes for each action a practice
may change (services/permissions.EDITABLE). Its fields are built from the table itself, so a
new action shows up here without an edit."""

from flask_wtf import FlaskForm
from wtforms import SelectMultipleField

from ...forms import choices
from ...models.staff import STAFF_ROLES
from ...services import permissions


def permissions_form_class():
    """A form class with a SelectMultipleField per action a practice may change."""
    fields = {
        key: SelectMultipleField(permissions.ACTIONS[key].label, choices=choices(STAFF_ROLES))
        for key in permissions.EDITABLE
    }
    return type("PermissionsForm", (FlaskForm,), fields)


def permissions_form(practice, formdata=None):
    """The form, filled from the practice's table unless `formdata` (the POST) is given."""
    current = permissions.table(practice)
    data = {key: sorted(current[key]) for key in permissions.EDITABLE}
    form_class = permissions_form_class()
    return form_class(data=data) if formdata is None else form_class(formdata=formdata)


def chosen(form):
    """{action: roles ticked} from a validated form."""
    return {key: form[key].data or [] for key in permissions.EDITABLE}
