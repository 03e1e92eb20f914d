"""One round of the mail worker (`portal send-mail`): the only place mail is made or sent
outside the request that caused it."""

from . import mail, recovery


def run_once():
    """Answer waiting recovery requests, then deliver what is due. Returns (sent, failed)."""
    recovery.process_requests()
    return mail.deliver_due()
