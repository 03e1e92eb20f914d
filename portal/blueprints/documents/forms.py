from flask_wtf import FlaskForm

from ...forms import SigningFields


class SignForm(SigningFields, FlaskForm):
    """Signing a consent, or submitting a health form (its answers are read by the service)."""


class DraftForm(FlaskForm):
    """Saving a health form to finish later: only the CSRF token is checked here."""
