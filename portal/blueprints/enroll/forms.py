from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, StopValidation, ValidationError

from ...forms import DateOfBirthField, NewPasswordFields, SecurityQuestionFields, SigningFields, strip
from ...services import activation, codes
from ...services.accounts import personal_words, username_problem
from ...services.consents.signing import name_matches

# zxcvbn refuses longer input; a password that long is past its advice anyway.
ZXCVBN_MAX_LENGTH = 72
STRENGTH_WORDS = {0: _l("very weak"), 1: _l("weak"), 2: _l("fair"), 3: _l("good"), 4: _l("strong")}


class IdentityForm(FlaskForm):
    """Step one: the patient proves the invitation is theirs with facts from the chart."""

    date_of_birth = DateOfBirthField(_l("Your date of birth"), description=_l("For example, 03 14 1962."))
    account_number = StringField(
        _l("Your account number"), filters=[strip],
        description=_l("It is on your statements and visit paperwork. The front desk can tell you."),
        validators=[DataRequired(_l("Enter your account number.")), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )


class ActivationCodeForm(FlaskForm):
    """/activate: the one-time code from a printed activation letter."""

    code = StringField(
        _l("Activation code"), filters=[strip],
        description=_l("12 letters and numbers, printed in groups of four, for example "
                       "K7QM 4XRT 9HDP. Spaces and capitals do not matter."),
        validators=[DataRequired(_l("Enter the activation code from your letter.")),
                    Length(max=40, message=_l("An activation code has 12 letters and numbers."))],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )

    def validate_code(self, field):
        problem = codes.problem(codes.normalize(field.data), activation.CODE_LENGTH)
        if problem == "length":
            raise ValidationError(_l("An activation code has 12 letters and numbers. Check it "
                                     "against your letter."))
        if problem == "characters":
            raise ValidationError(_l("An activation code uses only the letters and numbers on "
                                     "your letter. It never has 0 (zero), O, 1 (one) or I."))


def new_username_field():
    """The "Choose a username" field of every sign-up: a patient's, or someone invited to
    act for one (invited_forms.py)."""
    return StringField(
        _l("Choose a username"), filters=[strip],
        description=_l("3 to 40 letters, numbers, dots, dashes or underscores. You can also sign "
                       "in with your email address."),
        validators=[DataRequired(_l("Choose a username.")), Length(max=40)],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )


class AccountForm(NewPasswordFields, SecurityQuestionFields, FlaskForm):
    """Step two: username, password and security question.

    `patient` and `email` feed the personal-word password rule; `account_id` is the pending
    account a previous visit to this step kept (its own username is not "taken").
    `password_kept`: this browser has a kept password (services/enrollment.py), so the
    password boxes may be left empty; a pair typed in them is held to every rule.
    """

    username = new_username_field()

    def __init__(self, *args, patient, email, account_id=None, password_kept=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient, self.invited_email, self.account_id = patient, email, account_id
        self.password_kept = password_kept
        if password_kept:
            self.password.validators = [Optional(strip_whitespace=False), *(
                rule for rule in self.password.validators if not isinstance(rule, DataRequired))]
            self.confirm.validators = [_again_when_password_typed, *(
                rule for rule in self.confirm.validators if not isinstance(rule, DataRequired))]
            self.password.flags.required = self.confirm.flags.required = False

    def uses_kept_password(self):
        """True when the boxes were left empty to keep the kept password."""
        return self.password_kept and not self.password.data and not self.confirm.data

    def password_passed(self):
        """True when a password was typed and it passed every rule (confirmation included)."""
        return bool(self.password.data) and not self.password.errors and not self.confirm.errors

    def validate_username(self, field):
        problem = username_problem(field.data, except_id=self.account_id)
        if problem:
            raise ValidationError(problem)

    @property
    def personal_words(self):
        return personal_words(self.patient, self.username.data or "", self.invited_email)

    def address_to_confirm(self):
        """A new email address typed here, to confirm by its link (none on this form)."""
        return None

    def strength_note(self):
        """Advice on a password the rules accepted, for when the form is shown again.

        A refused password already has its reason next to the field; None then, and when
        nothing was typed.
        """
        password = self.password.data or ""
        if not password or self.password.errors:
            return None
        from zxcvbn import zxcvbn  # ~12 MB of word lists: loaded when first needed

        result = zxcvbn(password[:ZXCVBN_MAX_LENGTH],
                        user_inputs=[word for word in self.personal_words if word])
        score, feedback = result["score"], result["feedback"]
        advice = [feedback["warning"]] if feedback["warning"] else []
        advice += feedback["suggestions"] if score < 3 else []
        return {"strength": STRENGTH_WORDS[score], "advice": advice}


def _again_when_password_typed(form, field):
    """The confirmation, when a password was kept: needed once a new password is typed;
    both boxes empty keep the kept one (a confirmation alone meets the "not the same" rule)."""
    if field.data:
        return
    if form.password.data:
        raise StopValidation(_l("Enter the new password again."))
    raise StopValidation()


class ConsentForm(SigningFields, FlaskForm):
    """Step three: the portal consent, signed with the typed legal name."""

    def __init__(self, *args, patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient

    def validate_legal_name(self, field):
        if field.data and not name_matches(self.patient, field.data):
            raise ValidationError(_l("The name you typed does not match our records. Type your "
                                     "first and family names as the practice has them on your "
                                     "chart; capitals, accents and punctuation do not matter."))


class LetterAccountForm(AccountForm):
    """Step two for a patient who came with an activation letter: an email address is
    optional (without one, a forgotten password means a call to the practice)."""

    email = EmailField(
        _l("Email address (optional)"), filters=[strip],
        description=_l("For notices and for resetting a forgotten password. We send a link to "
                       "confirm it. Without an email address, call the practice if you forget "
                       "your password."),
        validators=[Optional(), Email(_l("Enter an email address like name@example.com.")),
                    Length(max=254)],
        render_kw={"autocomplete": "email", "spellcheck": "false", "autocapitalize": "none"},
    )

    @property
    def personal_words(self):
        return personal_words(self.patient, self.username.data or "", self.email.data or "")

    def address_to_confirm(self):
        """The optional address typed here, confirmed by its link like any new address."""
        return self.email.data or None
