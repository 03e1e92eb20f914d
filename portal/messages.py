"""Every message a person is flashed, in one catalogue: key -> (text, category).

Views flash by key; tests assert the same text through get_message(), so wording changes
in one place.
"""

from flask import flash
from flask_babel import lazy_gettext as _l

MESSAGES = {
    "signed_in": (_l("You are signed in."), "success"),
    "signed_out": (_l("You have signed out."), "success"),
    "staff_sign_in_failed": (
        _l("That email and password did not match an account. Check them and try again. "
           "After several failed tries, sign-in is paused for 15 minutes."),
        "error",
    ),
    "patient_sign_in_failed": (
        _l("That username and password did not match an account. Check them and try again. "
           "After several failed tries, sign-in is paused for 15 minutes."),
        "error",
    ),
    "sign_in_needed": (_l("Please sign in to see that page."), "info"),
    "session_expired": (
        _l("You were signed out after 15 minutes without activity, to protect your "
           "information. Please sign in again."),
        "info",
    ),
    "patient_created": (_l("The patient's chart was created."), "success"),
    "patient_updated": (_l("The patient's chart was saved."), "success"),
    "patient_unchanged": (_l("Nothing was changed."), "info"),
    "settings_saved": (_l("The practice settings were saved."), "success"),
    "search_cleared": (_l("The search was cleared."), "info"),
    # -- enrollment (enroll blueprint) --
    # -- recovery (recovery blueprint) --
    # -- profile and suspension (profile blueprint) --
    # -- two-step sign-in (twostep blueprint) --
}


def get_message(key):
    """The (text, category) pair for a key, text rendered in the current language."""
    text, category = MESSAGES[key]
    return str(text), category


def flash_message(key):
    """Flash the catalogue message `key`."""
    text, category = get_message(key)
    flash(text, category)
