"""Every page text that is chosen by a key, in one catalogue: error pages, link problems,
why a session or an invitation ended, what a failed attempt was. Flash messages have their
own catalogue (flash_messages.py). Numbers in the texts come from the rules they describe."""

from flask_babel import lazy_gettext as _l

# HTTP status -> (page heading, what to do). The 429 text names the rate-limit window:
# %(minutes)s, filled by web/errors.error_page from services/ratelimit.WINDOW.
ERROR_PAGES = {
    400: (_l("Something was wrong with that request"),
          _l("The page could not use what was sent. If you were filling in a form, go back, "
             "reload the page and try again.")),
    403: (_l("You do not have access to this page"),
          _l("Your account cannot open this page. If you think it should, ask the practice.")),
    404: (_l("Page not found"),
          _l("There is no page at this address, or you do not have access to it.")),
    405: (_l("That action is not available here"),
          _l("This page cannot be used that way. Go back and use the buttons on the page.")),
    413: (_l("The file is too large"),
          _l("What you sent is larger than the portal accepts. Try a smaller file.")),
    429: (_l("Too many attempts"),
          _l("There have been too many attempts from your network. Wait %(minutes)s minutes and try "
             "again, or call the practice.")),
    500: (_l("Something went wrong on our side"),
          _l("The portal could not finish that. Nothing you entered was saved. Please try "
             "again in a few minutes; if it keeps happening, call the practice and give them "
             "the reference below.")),
}

# Why a share stopped (services/records/shares.STOP_REASONS), for the patient's list of shares.
SHARE_STOP_REASONS = {
    "patient": _l("Stopped by you"),
    "staff": _l("Stopped by the practice"),
    "suspended": _l("Stopped when your portal access was paused"),
    "password-reset": _l("Stopped when your password was reset"),
    "two-step-reset": _l("Stopped when your two-step sign-in was reset"),
    "sign-out-all": _l("Stopped when you signed out everywhere"),
}

# A health record download over its limit (services/ratelimit.LIMITS "record-zip" and
# "record-pdf", per account and per share): (page heading, what to do), for the 429 page.
DOWNLOAD_LIMITED = {
    "zip": (_l("Too many downloads of the whole record"),
            _l("The whole record can be downloaded %(limit)s times in %(minutes)s minutes. Wait "
               "%(minutes)s minutes and try again.")),
    "pdf": (_l("Too many downloads"),
            _l("Record files can be downloaded %(limit)s times in %(minutes)s minutes. Wait "
               "%(minutes)s minutes and try again.")),
}

# Why a link cannot be used: (HTTP status, page heading, what to do).
INVITATION_PROBLEMS = {
    "missing": (400, _l("Open the link from your invitation email"),
                _l("To set up your portal account, open the link in the invitation email the "
                   "practice sent you.")),
    "invalid": (400, _l("This invitation link does not work"),
                _l("The link is incomplete or has been changed. Open it again from the email, "
                   "or copy the whole link. If it still does not work, ask the practice for a "
                   "new invitation.")),
    "expired": (410, _l("This invitation has expired"),
                _l("Invitation links work for a limited time. Ask the practice to send you a "
                   "new invitation.")),
    "used": (410, _l("This invitation has already been used"),
             _l("A portal account has been set up with this invitation. Sign in with its "
                "username and password.")),
    "void": (410, _l("This invitation no longer works"),
             _l("The practice has cancelled this invitation. If you were sent a newer one, use "
                "the link in the newest email; otherwise ask the practice for a new invitation.")),
    "identity_failures": (410, _l("This invitation no longer works"),
                          _l("The date of birth and account number did not match our records "
                             "too many times, so to protect your information this link has "
                             "stopped working. Please call the practice to get a new invitation.")),
    "signed_in": (409, _l("You are signed in"),
                  _l("Sign out first, then open the link from your invitation email again.")),
}

# An account step's username taken by another sign-up in the same moment.
USERNAME_JUST_TAKEN = _l("That username was just taken. Try another.")

# Why an invitation to act for a patient (a guardian's, a representative's) cannot be used,
# where its words differ from a patient's own invitation.
PROXY_PROBLEMS = {
    "used": (410, _l("This invitation has already been used"),
             _l("The record has been added to a portal account with this invitation. Sign in "
                "with that account's username and password.")),
    "identity_failures": (410, _l("This invitation no longer works"),
                          _l("The details typed did not match our records too many times, so "
                             "to protect the patient's information this link has stopped "
                             "working. Please ask for a new invitation.")),
}

# Why an activation letter's code cannot be used (as INVITATION_PROBLEMS).
LETTER_PROBLEMS = {
    "missing": (400, _l("Type the code from your activation letter"),
                _l("To set up your portal account with a letter from the practice, type its "
                   "activation code on the activation page first.")),
    "expired": (410, _l("This activation code has expired"),
                _l("Activation codes work for a limited time. Ask the practice for a new "
                   "letter.")),
    "used": (410, _l("This activation code has already been used"),
             _l("A portal account has been set up with this code. Sign in with its username "
                "and password.")),
    "void": (410, _l("This activation code no longer works"),
             _l("A newer letter or an emailed invitation replaced it, or the practice cancelled "
                "it. Use the newest letter or email, or ask the practice for a new letter.")),
    "identity_failures": (410, _l("This activation code no longer works"),
                          _l("The date of birth and account number did not match our records "
                             "too many times, so to protect your information this code has "
                             "stopped working. Please call the practice to get a new letter.")),
    "signed_in": (409, _l("You are signed in"),
                  _l("Sign out first, then type the code from your activation letter again.")),
}

# A shared health record's link that opens nothing: problem -> (status, heading, what to do).
SHARE_PROBLEMS = {
    "missing": (400, _l("Open the link you were given"),
                _l("To read a health record a patient shared with you, open the link they gave "
                   "you, then type its access code.")),
    "unknown": (404, _l("This link does not open a shared record"),
                _l("Check that the whole link was copied. If it still does not work, ask the "
                   "patient for a new link and code.")),
    "expired": (410, _l("This shared record has expired"),
                _l("The patient shared it for a limited time, which has passed. Ask the patient "
                   "to share it again.")),
    "revoked": (410, _l("This shared record was stopped"),
                _l("This link and its code no longer open anything. Ask the patient if you still "
                   "need the record.")),
    "locked": (410, _l("This shared record is locked"),
               _l("A wrong access code was typed too many times, so to protect the patient the "
                  "link no longer works. Ask the patient to share the record again.")),
}

# Why an invitation stopped working, for the chart.
INVITATION_VOID_REASONS = {
    "superseded": _l("a newer invitation replaced it"),
    "revoked": _l("staff revoked it"),
    "email_changed": _l("the chart's email address changed"),
    # %(n)s: services/invitations.MAX_IDENTITY_FAILURES
    "identity_failures": _l("the date of birth and account number were entered wrongly %(n)s "
                            "times"),
}

# Why a session ended, for the sign-in activity pages.
SESSION_END_REASONS = {
    "sign-out": _l("Signed out"),
    "timeout": _l("Timed out"),
    "password-change": _l("Password changed"),
    "password-reset": _l("Password reset"),
    "sign-out-all": _l("Signed out everywhere"),
    "suspended": _l("Portal access paused"),
    "disabled": _l("Account disabled"),
    "two-step reset": _l("Two-step sign-in reset by the practice"),
    "reauth-failed": _l("Signed out: wrong current password 5 times"),
}

# What the activity page lists as failed attempts, by the last part of the audit action.
FAILURE_LABELS = {
    "sign_in_failed": _l("Wrong password"),
    "sign_in_refused_locked": _l("Refused: sign-in was paused"),
    "code_failed": _l("Wrong two-step code"),
    "reauth_failed": _l("Wrong current password"),
}
