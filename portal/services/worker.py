"""One round of the mail worker (`portal send-mail`): the only place mail is made or sent
outside the request that caused it."""

from flask import g

from . import mail, recovery
from .practice import get_practice


def run_once():
    """Answer waiting recovery requests, then deliver what is due. Returns (sent, failed)."""
    g.practice = get_practice()  # the emails' letterhead
    recovery.process_requests()
    return mail.deliver_due()
