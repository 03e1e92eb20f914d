"""A staff member's own account: their details, changing their password, recent sign-ins.

No ids in these URLs: every page is about current_user.
"""

from flask import redirect, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import PasswordField
from wtforms.validators import DataRequired, Length

from ... import page_texts
from ...extensions import db
from ...flash_messages import flash_message, get_message
from ...forms import NewPasswordFields
from ...services import profile
from ...services import staff as staff_accounts
from ...web import login
from ...web.guards import staff_required
from . import bp


class StaffPasswordForm(NewPasswordFields, FlaskForm):
    current_password = PasswordField(
        _l("Your current password"),
        description=_l("The one you signed in with. To keep your account safe, confirm it is "
                       "you."),
        validators=[DataRequired(_l("Enter your current password.")), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, *args, account=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.personal_words = [account.email.split("@")[0], account.email, account.name]


def _me():
    """The signed-in account itself (services change and commit it; a proxy will not do)."""
    return current_user._get_current_object()


@bp.route("/account")
@staff_required()
def account():
    return render_template("staff/account_overview.html", account=current_user)


@bp.route("/account/password", methods=["GET", "POST"])
@staff_required()
def account_password():
    """Change the password: the current one first (5 wrong in a row sign the account out
    everywhere, services/reauth.py). Also where a one-time password from an admin is
    replaced: staff_required sends its holder here before any other staff page."""
    me = _me()
    form = StaffPasswordForm(account=me)
    if form.validate_on_submit() and login.confirm_current_password(
            form.current_password, "staff_wrong_password", "password"):
        if form.password.data == form.current_password.data:
            form.password.errors = [get_message("staff_same_password")[0]]
        else:
            staff_accounts.change_own_password(me, form.password.data, login.origin())
            db.session.commit()
            login.begin(me)  # every other session ended; this browser starts afresh
            flash_message("staff_password_changed")
            return redirect(url_for("staff.account"))
    return render_template("staff/account_password.html", form=form,
                           must_change=me.must_change_password)


@bp.route("/account/activity")
@staff_required()
def account_activity():
    sessions, failures = profile.recent_activity(_me(), login.current_session_token())
    return render_template("staff/account_activity.html", sessions=sessions, failures=failures,
                           failure_labels=page_texts.FAILURE_LABELS)
