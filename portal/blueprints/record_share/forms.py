"""The provider's one form: the access code the patient gave with the link."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from ...forms import strip


class ShareCodeForm(FlaskForm):
    """The access code of a shared record; services/records/shares.check_code checks it."""

    code = StringField(
        _l("Access code"), filters=[strip],
        validators=[DataRequired(_l("Enter the access code the patient gave you."))],
        description=_l("8 letters and numbers, for example K7QM 4XRT. Spaces and capitals do not "
                       "matter."),
        render_kw={"autocomplete": "off", "spellcheck": "false",
                   "autocapitalize": "characters", "maxlength": 40})
