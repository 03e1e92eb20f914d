"""Every text a person is flashed, in one catalogue (FLASHES): key -> (text, category).
The care pages' texts live in care_flashes.py; this module holds the account texts.

Views flash by key; tests assert the same text through get_message(), so wording changes
in one place. A number a text quotes is a %(name)s placeholder: a policy length comes
from the rule itself (quoted_lengths.py), anything else is passed in by the view.
"""

from flask import flash
from flask_babel import lazy_gettext as _l

from .care_flashes import CARE_FLASHES
from .quoted_lengths import quoted_minutes

FLASHES = {
    **CARE_FLASHES,
    "signed_in": (_l("You are signed in."), "success"),
    "signed_out": (_l("You have signed out."), "success"),
    "staff_sign_in_failed": (
        _l("That email and password did not match an account. Check them and try again. "
           "After several failed tries, sign-in is paused for %(minutes)s minutes."),
        "error",
    ),
    "patient_sign_in_failed": (
        _l("That username and password did not match an account. Check them and try again. "
           "After several failed tries, sign-in is paused for %(minutes)s minutes."),
        "error",
    ),
    "reauth_signed_out": (
        _l("You were signed out everywhere because the current password was typed wrong "
           "five times in a row. Sign in again to continue."),
        "error",
    ),
    "self_reset_reopened": (
        _l("Password reset with the security question is open again for this patient."),
        "success"),
    "self_reset_not_closed": (_l("Password reset with the security question was not closed."),
                              "info"),
    "sign_in_needed": (_l("Please sign in to see that page."), "info"),
    "session_expired": (
        _l("You were signed out after %(minutes)s minutes without activity, to protect your "
           "information. Please sign in again."),
        "info",
    ),
    "patient_created": (_l("The patient's chart was created."), "success"),
    "patient_updated": (_l("The patient's chart was saved."), "success"),
    "patient_unchanged": (_l("Nothing was changed."), "info"),
    "settings_saved": (_l("The practice settings were saved."), "success"),
    "permissions_saved": (_l("What each staff role may do was saved."), "success"),
    "permissions_unchanged": (_l("Nothing was changed: each role may do what it could "
                                 "before."), "info"),
    "search_cleared": (_l("The search was cleared."), "info"),
    # -- enrollment (enroll blueprint) --
    "invitation_sent": (_l("The invitation was emailed. Its link works for one account until "
                           "the date shown below."), "success"),
    "invitation_revoked": (_l("The invitation was revoked: its link or activation code no longer "
                              "works."), "success"),
    "invitation_none_open": (_l("There was no open invitation to revoke."), "info"),
    "invitation_no_email": (_l("Add the patient's email address to the chart before sending an "
                               "invitation."), "error"),
    "invitation_has_account": (_l("This patient already has a portal account, so no invitation "
                                  "was sent."), "error"),
    "invitation_blocked": (_l("No invitation was sent: this chart says not to grant access to "
                              "the person with the chart's email address. Check the address on "
                              "the chart."), "error"),
    "invitation_guardian_email": (_l("No invitation was sent: a parent or guardian of this "
                                     "patient uses the chart's email address, and the "
                                     "patient's account must be theirs alone. Ask the patient "
                                     "for an email address of their own at the next visit."),
                                  "error"),
    "invitation_too_young": (_l("No invitation was sent: the practice's setting gives a "
                                "patient this young no account of their own. Add their "
                                "parents and guardians under Family and access."), "error"),
    "letter_too_young": (_l("No letter was printed: the practice's setting gives a patient "
                            "this young no account of their own. Add their parents and "
                            "guardians under Family and access."), "error"),
    "invitation_inactive": (_l("Only active charts can be invited to the portal."), "error"),
    "letter_has_account": (_l("This patient already has a portal account, so no letter was "
                              "printed."), "error"),
    "letter_inactive": (_l("Only active charts can get an activation letter."), "error"),
    "activation_code_unknown": (_l("That code does not match a letter from the practice. Check "
                                   "it against your letter and type it again."), "error"),
    "enroll_identity_failed": (_l("Those details do not match our records. Check your date of "
                                  "birth and account number and try again."), "error"),
    # -- recovery (recovery blueprint) --
    "username_requested": (
        _l("If the details match an account, we have emailed its username to the address on "
           "file. If no email arrives in a few minutes, check your spam folder or call the "
           "practice."),
        "info",
    ),
    "reset_requested": (
        _l("If the username or email matches an account, we have emailed a link to reset its "
           "password. The link works for %(minutes)s minutes. If no email arrives, check your spam "
           "folder or call the practice."),
        "info",
    ),
    "password_reset_done": (
        _l("Your password was changed, and every other signed-in device was signed out. "
           "Sign in with your new password."),
        "success",
    ),
    "assisted_reset_sent": (
        _l("A password reset link was emailed to the patient. It works for %(minutes)s minutes and "
           "lets them choose a new security question."),
        "success",
    ),
    "assisted_reset_not_sent": (
        _l("No reset link was sent: portal access for this patient is suspended, or neither the "
           "account nor the chart has an email address."),
        "error",
    ),
    # -- profile and suspension (profile blueprint) --
    "profile_wrong_password": (_l("That is not your current password. Check it and try again."),
                               "error"),
    "profile_password_changed": (
        _l("Your password was changed. Any other device signed in to your account has been "
           "signed out."), "success"),
    "profile_question_changed": (_l("Your security question was changed."), "success"),
    "profile_email_link_sent": (
        _l("We sent a link to your new email address. Open it within 24 hours to finish the "
           "change. Until then we keep using your current address."), "success"),
    "profile_email_changed": (_l("Your email address was changed."), "success"),
    "profile_preferences_saved": (_l("Your email notice choices were saved."), "success"),
    "profile_unchanged": (_l("Nothing was changed."), "info"),
    "profile_signed_out_everywhere": (
        _l("You have been signed out on every device, this one too."), "success"),
    "portal_suspended": (_l("Portal access is paused for this patient. They were emailed to "
                            "call the practice."), "success"),
    "portal_already_suspended": (_l("Portal access was already paused."), "info"),
    "portal_reinstated": (_l("Portal access is restored for this patient."), "success"),
    "portal_not_suspended": (_l("Portal access was not paused."), "info"),
    # -- a minor's parents and guardians (the chart's family and access section) --
    "guardian_added": (_l("%(name)s is recorded as a parent or guardian of this patient."),
                       "success"),
    "grant_ended": (_l("%(name)s's access as a parent or guardian has ended."), "success"),
    "grant_suspended": (_l("%(name)s's access is paused."), "success"),
    "grant_reinstated": (_l("%(name)s's access is no longer paused."), "success"),
    "grant_scope_changed": (_l("What %(name)s may reach is changed."), "success"),
    "grant_court_order_saved": (_l("When %(name)s's access ends is saved."), "success"),
    "grant_unchanged": (_l("Nothing was changed for %(name)s."), "info"),
    "grant_ended_by_block": (_l("%(name)s's access as a parent or guardian has ended: the new "
                                "entry names them."), "success"),
    "confidential_marked": (_l("“%(title)s” is confidential from every parent and guardian."),
                            "success"),
    "confidential_already": (_l("“%(title)s” was already confidential."), "info"),
    "confidential_removed": (_l("“%(title)s” is no longer confidential from parents and "
                                "guardians."), "success"),
    "confidential_none": (_l("“%(title)s” was not marked confidential."), "info"),
    "block_added": (_l("Access will not be granted to %(name)s."), "success"),
    "block_lifted": (_l("The entry about %(name)s is lifted."), "success"),
    "block_already_lifted": (_l("The entry about %(name)s was already lifted."), "info"),
    # -- two-step sign-in (twostep blueprint) --
    "two_step_expired": (
        _l("Your sign-in was not finished within %(minutes)s minutes. Please sign in again."), "info"),
    "two_step_code_failed": (
        _l("That code did not work. Enter the newest code from your authenticator app, or one "
           "of your recovery codes. After several failed tries, sign-in is paused for "
           "%(minutes)s minutes."),
        "error",
    ),
    "two_step_setup_code_failed": (
        _l("That code did not match. Check that the app added the account, then enter the "
           "code it shows now."),
        "error",
    ),
    "two_step_recovery_used": (
        _l("You signed in with a recovery code. Each works once; you have %(count)s left."),
        "info",
    ),
    "two_step_enabled": (_l("Two-step sign-in is on."), "success"),
    "two_step_disabled": (_l("Two-step sign-in is off."), "success"),
    "two_step_codes_regenerated": (
        _l("You have new recovery codes. The old ones no longer work."), "success"),
    "two_step_password_wrong": (_l("That is not your current password."), "error"),
    "two_step_locked": (
        _l("Two-step sign-in to this account is locked after too many wrong codes, so no code "
           "works now. We emailed the account's owner a link to unlock it; the practice can "
           "also reset it."),
        "error",
    ),
    "two_step_unlocked": (
        _l("Two-step sign-in is unlocked and your account was signed out everywhere. Sign in, "
           "then change your password: someone may know it."),
        "success",
    ),
    # -- staff account life and admin two-step reset (issue 6, parts 3 and 4) --
    "two_step_reset_patient": (
        _l("Two-step sign-in was turned off and the patient's password no longer works. They "
           "were signed out and emailed a link to choose a new password (it works for "
           "%(minutes)s minutes; send another from this page if needed)."),
        "success",
    ),
    "two_step_reset_patient_paused": (
        _l("Two-step sign-in was turned off and the patient's password no longer works. Their "
           "portal access is paused, so no reset link was sent."),
        "success",
    ),
    "two_step_reset_self": (
        _l("You cannot reset your own two-step sign-in here. Another admin can do it for you."),
        "error",
    ),
    "staff_disabled": (
        _l("The staff account was disabled. They were signed out everywhere and cannot sign "
           "in."), "success"),
    "staff_already_disabled": (_l("That staff account was already disabled."), "info"),
    "staff_enabled": (_l("The staff account was enabled. They can sign in again."), "success"),
    "staff_already_enabled": (_l("That staff account was not disabled."), "info"),
    "staff_disable_self": (_l("You cannot disable your own account."), "error"),
    "staff_disable_last_admin": (
        _l("This is the last active practice admin, so it cannot be disabled. Make another "
           "staff member an admin first."), "error"),
    "staff_wrong_password": (_l("That is not your current password. Check it and try again."),
                             "error"),
    "staff_same_password": (_l("Choose a new password, not the one you use now."), "error"),
    "staff_password_changed": (
        _l("Your password was changed. Any other device signed in to your account has been "
           "signed out."), "success"),
    # -- enroll (issue 21): enrollment ends signed in --
    "enroll_finished": (_l("Your account is ready and you are signed in. Next time, sign in "
                           "with your username and password."), "success"),
    "enroll_email_to_confirm": (_l("We sent a link to %(email)s. Open it to add that email "
                                   "address to your account."), "info"),
}


def get_message(key, **values):
    """The (text, category) pair for a key, text rendered in the current language with its
    placeholders filled from `values` (and %(minutes)s from the rule it quotes)."""
    text, category = FLASHES[key]
    minutes = quoted_minutes(key)
    if minutes is not None:
        values.setdefault("minutes", minutes)
    return (str(text) % values if values else str(text)), category


def flash_message(key, **values):
    """Flash the catalogue message `key`, its placeholders filled from `values`."""
    text, category = get_message(key, **values)
    flash(text, category)
