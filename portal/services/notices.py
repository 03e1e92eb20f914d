"""Security notices: the owner of an account hears of every change to how they sign in.

One email template serves them all (email/account_changed); only the sentence naming the
change differs. Like every email, no health information: what changed, and what to do if it
was not them.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .mail import send_email

CHANGES = {
    "two_step_on": _l("Two-step sign-in was turned on for your portal account."),
    "two_step_off": _l("Two-step sign-in was turned off for your portal account."),
    "recovery_codes": _l("New recovery codes were made for your portal account. The old "
                         "ones no longer work."),
    "security_question": _l("The security question for your portal account was changed."),
}


def account_changed(account, change):
    """Queue the notice for `change` (a key of CHANGES) to the account's email address."""
    return send_email(account.email, _("A change to your portal account"), "account_changed",
                      name=account.name, change=CHANGES[change])
