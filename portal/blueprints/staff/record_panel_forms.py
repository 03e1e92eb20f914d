"""The lab panel form (services/records/panels.py): the panel's name and dates, then result
rows. Without JavaScript, "Add more rows" posts the form back with more empty rows, keeping
what was typed. The fields only carry text: panels.publish_panel decides what is stored."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FieldList, Form, FormField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from ...forms import strip
from ...services.records import panels
from ...services.records.categories import LAB_FLAGS
from .record_forms import KIND_HINTS, MarkedRequired

FIRST_ROWS = 5  # empty rows a new panel offers
MORE_ROWS = 5   # rows "Add more rows" adds


class PanelRowForm(Form):
    """One result. A plain Form: the page's one CSRF token is the panel form's."""

    test = StringField(_l("Test name"), filters=[strip], render_kw={"autocomplete": "off"})
    value = StringField(_l("Result"), filters=[strip],
                        render_kw={"autocomplete": "off", "inputmode": "decimal"})
    unit = StringField(_l("Unit (optional)"), filters=[strip], render_kw={"autocomplete": "off"})
    reference_range = StringField(_l("Reference range (optional)"), filters=[strip],
                                  render_kw={"autocomplete": "off"})
    flag = SelectField(_l("Flag"), validate_choice=False, choices=[
        SelectChoice("", _l("Suggest from the range")),
        *(SelectChoice(value, text) for value, text in LAB_FLAGS)])


class PanelForm(FlaskForm):
    """A lab panel: its name, one collected and one resulted date, and its result rows."""

    name = StringField(_l("Panel name"), filters=[strip], validators=[MarkedRequired()],
                       description=_l("For example: Basic metabolic panel"))
    collected_on = StringField(_l("Collected on (optional)"), filters=[strip],
                               description=KIND_HINTS["date"])
    resulted_on = StringField(_l("Resulted on"), filters=[strip], validators=[MarkedRequired()],
                              description=KIND_HINTS["date"])
    rows = FieldList(FormField(PanelRowForm), min_entries=FIRST_ROWS,
                     max_entries=panels.MAX_ROWS)
    more = SubmitField(_l("Add more rows"))
    publish = SubmitField(_l("Publish now"))
    draft = SubmitField(_l("Save as draft"))

    def typed_rows(self):
        """Each row as {field: typed text}, in order."""
        return [{name: row[name].data or "" for name in panels.ROW_FIELDS}
                for row in (entry.form for entry in self.rows)]

    def add_rows(self):
        """MORE_ROWS more empty rows, up to panels.MAX_ROWS."""
        for _row in range(min(MORE_ROWS, panels.MAX_ROWS - len(self.rows))):
            self.rows.append_entry()

    def show_suggested_flags(self):
        """Set each row left without a flag to the one its range suggests, for staff to see
        and change before they publish."""
        for entry, row in zip(self.rows, panels.with_suggestions(self.typed_rows()), strict=True):
            entry.form.flag.data = row["flag"]

    def row_problems(self, refused):
        """Put each row's refusal on its field; (input id, message) for the error summary."""
        items = []
        for index, (field, message) in sorted(refused.rows.items()):
            target = self.rows[index].form[field]
            target.errors = [message]
            items.append((target.id, _("Result %(number)d: %(message)s", number=index + 1,
                                       message=message)))
        return items

    def releases(self):
        """"Publish now" releases at once; "Save as draft" keeps every row for staff."""
        return not self.draft.data
