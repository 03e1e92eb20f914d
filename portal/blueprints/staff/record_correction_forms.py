"""The outcome form of a patient's correction request, and what the staff entry page's
"Correction requests" section shows. The form carries what was chosen and typed;
services/records/corrections.py decides whether it may be saved and words the refusal."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from ...forms import one_newline, strip
from ...services.records import corrections

OUTCOME_CHOICES = (SelectChoice("corrected", _l("Corrected: the record was changed")),
                   SelectChoice("not_changed", _l("Not changed: explain why below")))


class OutcomeForm(FlaskForm):
    """The outcome of one request; its fields are prefixed with the request's number, so each
    open request on the page has inputs of its own."""

    outcome = RadioField(_l("Outcome"), choices=list(OUTCOME_CHOICES), validate_choice=False)
    explanation = TextAreaField(
        _l("Explanation for the patient"), filters=[strip, one_newline],
        description=_l("The patient reads this in the conversation. Required when the record "
                       "is not changed. Up to %(limit)s characters.",
                       limit=f"{corrections.OUTCOME_MAX:,}"),
        render_kw={"rows": 4, "maxlength": corrections.OUTCOME_MAX})

    def __init__(self, correction_id, **kwargs):
        super().__init__(prefix=f"correction-{correction_id}", **kwargs)
        self.correction_id = correction_id


def correction_panel(entry, failed=None, may_decide=True):
    """The entry's correction requests (corrections.entry_requests) and an outcome form
    for each open one when `may_decide` (the role may publish this kind of record); `failed`
    is a refused OutcomeForm, shown again with its errors."""
    rows = corrections.entry_requests(entry.id)
    forms = {}
    for row in rows:
        if row.correction.status != "open" or not may_decide:
            continue
        same = failed is not None and failed.correction_id == row.correction.id
        forms[row.correction.id] = failed if same else OutcomeForm(row.correction.id,
                                                                   formdata=None)
    return {"rows": rows, "forms": forms, "failed": failed}
