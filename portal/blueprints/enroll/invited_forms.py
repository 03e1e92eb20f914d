"""The forms of someone invited to act for a patient: who they are (a guardian's check, a
representative's), and a new account of their own."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from ...forms import DateOfBirthField, NewPasswordFields, SecurityQuestionFields, strip
from ...services.accounts import person_words, username_problem
from .forms import new_username_field


class GuardianIdentityForm(FlaskForm):
    """The child's date of birth and account number, and the guardian's own date of birth."""

    child_date_of_birth = DateOfBirthField(_l("Your child's date of birth"),
                                           description=_l("For example, 03 14 2015."))
    account_number = StringField(
        _l("Your child's account number"), filters=[strip],
        description=_l("It is on your child's statements and visit paperwork. The front desk "
                       "can tell you."),
        validators=[DataRequired(_l("Enter your child's account number.")), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"},
    )
    date_of_birth = DateOfBirthField(_l("Your own date of birth"),
                                     description=_l("As you gave it to the practice."))


class RepresentativeIdentityForm(FlaskForm):
    """The date of birth of the patient who invited them, and their own (18 or older)."""

    patient_date_of_birth = DateOfBirthField(
        _l("Date of birth of the person who invited you"),
        description=_l("To show that they asked you. For example, 03 14 1962."))
    date_of_birth = DateOfBirthField(_l("Your own date of birth"),
                                     description=_l("A representative is 18 or older."))


class GuardianAccountForm(NewPasswordFields, SecurityQuestionFields, FlaskForm):
    """A guardian's new account: username, password, security question, and the portal's
    terms agreed to. `holder` is (full name, date of birth), for the personal-word rule."""

    username = new_username_field()
    agree = BooleanField(
        _l("I have read the portal's terms and agree to them"),
        validators=[DataRequired(_l("Tick the box to agree to the portal's terms."))])

    def __init__(self, *args, holder, email, **kwargs):
        super().__init__(*args, **kwargs)
        self.holder, self.invited_email = holder, email

    def validate_username(self, field):
        problem = username_problem(field.data)
        if problem:
            raise ValidationError(problem)

    @property
    def personal_words(self):
        name, born = self.holder
        return person_words(name.split(), born, self.username.data or "", self.invited_email)
