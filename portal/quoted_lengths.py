"""The policy lengths the flash texts quote as %(minutes)s (flash_messages.FLASHES), read from
the rule itself when a text is shown, so a text never states a length its rule has changed."""

from datetime import timedelta

from .services import recovery, sessions, throttle

# The rule whose length a message quotes as %(minutes)s, read when the message is shown.
MINUTES_FROM = {
    "two_step_expired": lambda: sessions.PENDING_LIFETIME,
    "staff_sign_in_failed": lambda: throttle.WINDOW,
    "patient_sign_in_failed": lambda: throttle.WINDOW,
    "two_step_code_failed": lambda: throttle.WINDOW,
    "session_expired": lambda: sessions.IDLE_TIMEOUT,
    "reset_requested": lambda: recovery.RESET_LIFETIME,
    "assisted_reset_sent": lambda: recovery.RESET_LIFETIME,
    "two_step_reset_patient": lambda: recovery.RESET_LIFETIME,
}


def quoted_minutes(key):
    """The whole minutes of the rule the flash text `key` quotes, else None."""
    rule = MINUTES_FROM.get(key)
    return None if rule is None else rule() // timedelta(minutes=1)
