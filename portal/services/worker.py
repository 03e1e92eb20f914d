"""One round of the mail worker (`portal send-mail`): the only place mail is made or sent
outside the request that caused it."""

from . import mail, recovery_requests
from .consents import gate


def run_once():
    """Answer waiting recovery requests, queue consent renewal reminders, then deliver what
    is due. Returns (sent, failed)."""
    recovery_requests.process_requests()
    gate.send_renewal_reminders()
    return mail.deliver_due()
