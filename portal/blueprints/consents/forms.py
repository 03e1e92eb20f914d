from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field

from ...forms import SigningFields
from ...services.consents import fields


class AnswersField(Field):
    """A health form's answers: inputs named f_<question> that the document defines, so this
    field keeps the submitted inputs for the service to read against the version."""

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.posted = formdata
        self.data = data

    def read(self, version, *, check_required):
        """(answers, errors) from the submitted inputs (see fields.read_answers)."""
        return fields.read_answers(version, self.posted or MultiDict(),
                                   check_required=check_required)

    def shown(self, version, saved):
        """What the inputs show: the typed values again after a submit, else `saved` (the
        draft). A date is shown as its three parts."""
        if self.posted is None:
            return fields.saved_inputs(version, saved)
        return fields.posted_inputs(version, self.posted)


class SignForm(SigningFields, FlaskForm):
    """Signing a consent, or submitting a health form (its answers are read by the service)."""

    answers = AnswersField()


class DraftForm(FlaskForm):
    """Saving a health form to finish later: only the CSRF token is checked here."""
