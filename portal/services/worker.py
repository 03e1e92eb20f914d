"""One round of the mail worker (`portal send-mail`): the only place mail is made or sent
outside the request that caused it."""

from . import kept_drafts, mail, patient_notices, recovery_requests
from .consents import gate
from .proxies import notices as proxy_notices


def run_once():
    """Answer waiting recovery requests, queue consent renewal reminders, the gathered results
    notices, the day-before appointment reminders and the guardians' notices 30 days before a
    child turns 18, forget drafts kept from the idle sign-out a day ago, then deliver what is
    due. Returns (sent, failed)."""
    recovery_requests.process_requests()
    gate.send_renewal_reminders()
    patient_notices.send_results_notices()
    patient_notices.send_appointment_reminders()
    proxy_notices.send_ending_notices()
    kept_drafts.forget_expired()
    return mail.deliver_due()
