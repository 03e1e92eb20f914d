"""Form pieces shared by every blueprint: the button form, the service's refusal shown on its
field, the counted text box, the current-password field, the date-of-birth field, input
filters, the new password and security question fields, and the signing fields every signing
page uses."""

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, StopValidation, ValidationError

from .models.accounts import SECURITY_QUESTIONS
from .models.types import utcnow
from .services.accounts import MIN_ANSWER_LENGTH, normalize_answer
from .services.consents import signing
from .services.passwords import MAX_LENGTH, password_problem

DATE_PARTS = ("month", "day", "year")
EARLIEST_BIRTH_YEAR = 1900
# The words of the remaining-characters count (static/js/messages.js fills in the number).
CHARACTERS_LEFT = _l("Characters left: %(num)s")


class ButtonForm(FlaskForm):
    """A form that is only a button (and its CSRF token)."""


def show_refusal(form, error):
    """Show a service's refusal (services.errors.FieldError) on the field it names, after any
    error already there. Returns the message for the page's error summary when `form` has no
    such field (or the refusal names none), else None. The caller undoes what was begun."""
    field = form._fields.get(error.field) if error.field else None
    if field is None:
        return error.message
    field.errors = [*field.errors, error.message]
    return None


def counted(limit, **render_kw):
    """The attributes of a text box of at most `limit` characters, counted down as you type."""
    return {"maxlength": limit, "data-char-limit": limit, "data-char-text": CHARACTERS_LEFT,
            **render_kw}


def current_password_field():
    """The signed-in person's current password, asked again before a change that matters."""
    return PasswordField(
        _l("Your current password"),
        description=_l("To keep your account safe, confirm it is you."),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )


def strip(value):
    """Filter: trim surrounding spaces from text input (None stays None)."""
    return value.strip() if isinstance(value, str) else value


def lower(value):
    """Filter: lower-case text input (None stays None)."""
    return value.lower() if isinstance(value, str) else value


def one_newline(value):
    """Filter: browsers send a new line as CR LF but count it as one character against
    maxlength; keep it one character, so the page's count and the service's limit agree."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def posted_id(value):
    """Coerce a posted id (a topic, a saved reply): a number, else None, so the service can
    refuse it with a clear message instead of the form failing on a bad number."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def choices(mapping):
    """Options for a SelectField or RadioField from a {value: label} mapping, in order."""
    return [SelectChoice(value=value, label=label) for value, label in mapping.items()]


class RequiredRadioField(RadioField):
    """Radio buttons where "nothing chosen" gets the DataRequired message, not "Not a valid choice"."""

    def pre_validate(self, form):
        if self.data not in (None, ""):
            super().pre_validate(form)


EARLIEST_DAY_YEAR = 1900  # a DayField's earliest year


class DateOfBirthField(Field):
    """A date of birth typed as three numbers: <name>-month, <name>-day and <name>-year.

    Three plain number boxes work on every browser and screen reader, unlike a date picker.
    `raw` keeps what was typed, so a mistake is shown back as typed, next to its message.
    """

    def __init__(self, label=None, validators=None, required=True, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.required = required
        self.raw = dict.fromkeys(DATE_PARTS, "")

    def process(self, formdata, data=None, extra_filters=None):
        self.process_errors = []
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        if self.data:
            self.raw = {"month": str(self.data.month), "day": str(self.data.day),
                        "year": str(self.data.year)}
        if formdata is not None and any(f"{self.name}-{p}" in formdata for p in DATE_PARTS):
            self.raw = {p: (formdata.get(f"{self.name}-{p}") or "").strip()[:8]
                        for p in DATE_PARTS}
            self.data = None

    def pre_validate(self, form):
        if self.data is not None:
            return
        if not any(self.raw.values()):
            if self.required:
                raise StopValidation(_l("Enter the date of birth."))
            return
        self.data = parse_date_parts(self.raw)

    def part_id(self, part):
        return f"{self.id}-{part}"


class DayField(DateOfBirthField):
    """A calendar day typed as three numbers, like a date of birth and drawn by the same
    macro (forms.date_of_birth), with messages that name the date it asks for."""

    def __init__(self, label=None, validators=None, *, what, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what
        self.type = "DateOfBirthField"  # the form macros draw and link it as one

    def pre_validate(self, form):
        if self.data is not None:
            return
        if not any(self.raw.values()):
            if self.required:
                raise StopValidation(_l("Enter %(what)s.", what=self.what))
            return
        self.data = self._parse()

    def _parse(self):
        missing = [part for part in DATE_PARTS if not self.raw.get(part)]
        if missing:
            raise StopValidation(_l("%(what)s must include a %(part)s.",
                                    what=str(self.what).capitalize(), part=missing[0]))
        if not all(self.raw[part].isdigit() for part in DATE_PARTS) or len(self.raw["year"]) != 4:
            raise StopValidation(_l("Enter %(what)s as numbers, like 03 14 2025.", what=self.what))
        try:
            day = date(int(self.raw["year"]), int(self.raw["month"]), int(self.raw["day"]))
        except ValueError as error:
            raise StopValidation(_l("%(what)s must be a real date.",
                                    what=str(self.what).capitalize())) from error
        if day.year < EARLIEST_DAY_YEAR:
            raise StopValidation(_l("Check the year: it must be %(year)s or later.",
                                    year=EARLIEST_DAY_YEAR))
        return day


def parse_date_parts(raw):
    """The date from month/day/year text, or StopValidation saying what to fix."""
    missing = [part for part in DATE_PARTS if not raw.get(part)]
    if missing:
        raise StopValidation(_l("The date of birth must include a %(part)s.", part=missing[0]))
    if not all(raw[part].isdigit() for part in DATE_PARTS):
        raise StopValidation(_l("Use numbers only in the date of birth, like 03 14 1962."))
    month, day, year = (int(raw[part]) for part in DATE_PARTS)
    if len(raw["year"]) != 4:
        raise StopValidation(_l("Enter the year of birth with four digits, like 1962."))
    try:
        born = date(year, month, day)
    except ValueError as error:
        raise StopValidation(_l("The date of birth must be a real date.")) from error
    if born > utcnow().date():
        raise StopValidation(_l("The date of birth must be in the past."))
    if year < EARLIEST_BIRTH_YEAR:
        raise StopValidation(
            _l("Check the year of birth: it must be %(year)s or later.", year=EARLIEST_BIRTH_YEAR)
        )
    return born


class NewPasswordFields:
    """Form mixin: a new password typed twice, held to the password rules.

    The form gives `personal_words` (the person's name, username, email, birth date) before
    validating, so a password built from them is refused.
    """

    personal_words = ()
    password = PasswordField(
        _l("New password"),
        description=_l("At least 15 characters. A few unrelated words make a good one, "
                       "like: maple river lantern cello."),
        validators=[DataRequired(_l("Enter a new password.")), Length(max=MAX_LENGTH * 4)],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(_l("Enter the new password again.")),
                    EqualTo("password", _l("The two passwords are not the same."))],
        render_kw={"autocomplete": "new-password"},
    )

    def validate_password(self, field):
        problem = password_problem(field.data, self.personal_words)
        if problem:
            raise ValidationError(problem)


class SecurityQuestionFields:
    """Form mixin: a security question from the list and its answer."""

    question = RequiredRadioField(
        _l("Security question"),
        description=_l("Used, with a link we email you, if you ever forget your password."),
        choices=choices(SECURITY_QUESTIONS),
        validators=[DataRequired(_l("Choose a security question."))],
    )
    answer = StringField(
        _l("Your answer"), filters=[strip],
        description=_l("Choose an answer you will remember and others cannot look up. Capital "
                       "letters, spaces and punctuation do not matter."),
        validators=[DataRequired(_l("Enter the answer to your security question.")),
                    Length(max=200, message=_l("Use at most 200 characters."))],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )

    def validate_answer(self, field):
        if len(normalize_answer(field.data)) < MIN_ANSWER_LENGTH:
            raise ValidationError(_l("Use at least %(n)s letters or numbers in the answer.",
                                     n=MIN_ANSWER_LENGTH))


class TickedField(Field):
    """The statements a signer ticked: checkboxes the page draws itself, all named after this
    field, each with the statement's position as its value. The data is the set of positions."""

    def process_formdata(self, valuelist):
        self.data = {int(value) for value in valuelist if value.isdigit() and len(value) < 6}


class SigningFields:
    """What signing a document asks, on enrollment, consent and health form pages alike: the
    typed full legal name, "I have read and agree", the statements to tick (from the document,
    inputs named "attest"), the optional drawn signature (a PNG data URL the pad's script fills
    in; without JavaScript it stays empty) and the page's one-time submission key.

    `signing_input(version)` gives what services/consents/signing.sign_as_patient takes, so
    every page signs the same way and no view reads the signing inputs by hand."""

    legal_name = StringField(
        _l("Type your full legal name"), filters=[strip],
        description=_l("As the practice has it on your chart. Your typed name is your signature."),
        validators=[DataRequired(_l("Type your full legal name to sign.")), Length(max=200)],
        render_kw={"autocomplete": "name", "spellcheck": "false"},
    )
    agree = BooleanField(
        _l("I have read and agree to this document"),
        validators=[DataRequired(_l("Tick “I have read and agree” to sign."))],
    )
    attest = TickedField(default=())
    drawing = HiddenField()
    submission_key = HiddenField()

    def ticked(self):
        """The positions of the statements ticked, for redrawing the page."""
        return set(self.attest.data or ())

    def ticked_statements(self, version):
        """The texts of the statements of `version` the signer ticked, in order."""
        ticked = self.ticked()
        return [text for index, text in enumerate(version.attestations or []) if index in ticked]

    def fresh_key(self):
        """Give the page a one-time submission key unless it already carries one."""
        if not self.submission_key.data:
            self.submission_key.data = signing.new_submission_key()

    def signing_input(self, version):
        """What the signer filled in to sign `version` (signing.SigningInput). Raises
        signing.SigningError for a drawing that cannot be read."""
        return signing.SigningInput(
            version=version, name=self.legal_name.data or "",
            attestations=self.ticked_statements(version),
            drawing=signing.clean_drawing(self.drawing.data),
            submission_key=self.submission_key.data or signing.new_submission_key())
