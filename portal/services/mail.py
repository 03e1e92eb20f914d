"""Email through the transactional outbox.

send_email() only adds a row to the caller's transaction, so an email exists exactly when the
change that caused it was committed. deliver_due() then sends what is due, over SMTP when
MAIL_SERVER is set, else as one .eml file per message in instance/outbox/ (mode 0600). A row is
claimed before sending and marked sent after; a worker that dies in between leaves the claim to
lapse, and the row is sent again later with the same Message-ID (at-least-once delivery).

Only the mail worker (`portal send-mail --watch`) calls deliver_due(): a request never talks
to the SMTP server, so a slow or silent server cannot hold a web worker. Once a message is
sent its bodies (and the link in them) are cleared; the row keeps the headers, the template
name and the SHA-256 of the text body, enough to show what was sent without keeping the link.
"""

import hashlib
import logging
import os
import smtplib
import ssl
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import OutboxEmail
from ..models.types import utcnow
from .practice import get_practice

log = logging.getLogger(__name__)

CLAIM_SECONDS = 300
MAX_ATTEMPTS = 12
MAX_BACKOFF = timedelta(hours=6)
SECURITY_MODES = ("starttls", "ssl", "none")


def send_email(recipient, subject, template, **context):
    """Queue an email rendered from templates/email/<template>.txt and .html, and return its
    row; None when there is no address (an account set up by activation letter may have none).

    The row joins the current transaction: commit it with the change it reports.
    Emails carry no health information: a short notice and, at most, a link.
    """
    if not recipient:
        return None
    context.setdefault("practice", get_practice())  # the letterhead
    body_text = render_template(f"email/{template}.txt", **context)
    email = OutboxEmail(
        recipient=recipient,
        subject=str(subject),
        template=template,
        body_text=body_text,
        body_html=render_template(f"email/{template}.html", **context),
        body_sha256=hashlib.sha256(body_text.encode()).hexdigest(),
        message_id=make_msgid(idstring=uuid.uuid4().hex, domain="portal.invalid"),
    )
    db.session.add(email)
    return email


def build_message(email, sender):
    """The RFC 5322 message for an outbox row."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.recipient
    message["Subject"] = email.subject
    message["Date"] = format_datetime(email.created_at)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    return message


def _write_eml(message, email, folder):
    """Write the message as <folder>/<id>.eml, atomically; a retry overwrites the same file.

    The folder is 0700 and the file 0600: the message carries a sign-in or enrollment link.
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = folder / f"{email.created_at:%Y%m%dT%H%M%S}-{email.id:08d}.eml"
    partial = final.with_suffix(".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a .part left by a dead worker may have had other bits
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(bytes(message))
    os.replace(partial, final)


def _send_smtp(message, config):
    """Hand the message to the configured SMTP server (STARTTLS, SSL or plain; auth if set)."""
    security = (config["MAIL_SECURITY"] or "starttls").strip().lower()
    if security not in SECURITY_MODES:
        # Never fall back to plain text on a typo: the row waits until the setting is fixed.
        raise ValueError(f"MAIL_SECURITY must be one of {', '.join(SECURITY_MODES)}")
    context = ssl.create_default_context(cafile=config["MAIL_CA_FILE"] or None)
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    if security == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    with client:
        if security == "starttls":
            client.starttls(context=context)
        if config["MAIL_USERNAME"]:
            client.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        client.send_message(message)


def _deliver(message, email):
    config = current_app.config
    if config["MAIL_SERVER"]:
        _send_smtp(message, config)
    else:
        _write_eml(message, email, Path(current_app.instance_path) / "outbox")


def _claim(email_id):
    """Take one due row for this worker; False when another worker has it or it is done.

    The claim runs from now, not from the start of the run: a run slowed by earlier rows must
    not take a claim that has already lapsed, which another worker could take at once.
    """
    now = utcnow()
    claimed = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.gave_up_at.is_(None),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
        )
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS),
                attempts=OutboxEmail.attempts + 1)
    ).rowcount
    db.session.commit()
    return claimed == 1


def backoff(attempts):
    """Wait before the next try: one minute, doubling, at most six hours."""
    # The exponent is bounded first: 2 ** 40 minutes and more overflow timedelta.
    return min(timedelta(minutes=2 ** min(max(attempts - 1, 0), 20)), MAX_BACKOFF)


def deliver_due(limit=100):
    """Send the emails that are due. Returns (sent, failed) counts for this run."""
    now = utcnow()
    due = db.session.scalars(
        select(OutboxEmail.id)
        .where(
            OutboxEmail.sent_at.is_(None),
            OutboxEmail.gave_up_at.is_(None),
            OutboxEmail.next_attempt_at <= now,
            or_(OutboxEmail.claimed_until.is_(None), OutboxEmail.claimed_until < now),
        )
        .order_by(OutboxEmail.id)
        .limit(limit)
    ).all()
    db.session.commit()
    sent = failed = 0
    for email_id in due:
        if not _claim(email_id):
            continue
        email = db.session.get(OutboxEmail, email_id)
        try:
            message = build_message(email, current_app.config["MAIL_FROM"])
            # End the read before the network: no transaction stays open (and no lock held)
            # while a slow SMTP server takes its time.
            db.session.commit()
            _deliver(message, email)
        except Exception as error:  # any failure is retried with backoff, never crashes the run:
            # smtplib raises UnicodeEncodeError (not OSError) on a non-ASCII MAIL_PASSWORD
            failed += 1
            _record_failure(email, error)
        else:
            sent += 1
            email.sent_at = utcnow()
            email.claimed_until = None
            email.last_error = ""
            # Sent: the link has done its job here. Headers, template and hash stay.
            email.body_text = ""
            email.body_html = ""
        db.session.commit()
    return sent, failed


def _record_failure(email, error):
    """Schedule the next try, or give up after MAX_ATTEMPTS; log without the address."""
    now = utcnow()
    email.claimed_until = None
    email.last_error = f"{type(error).__name__}: {error}"[:300]
    email.next_attempt_at = now + backoff(email.attempts)
    if email.attempts >= MAX_ATTEMPTS:
        email.gave_up_at = now
    log.warning("outbox email %s not delivered (attempt %s): %s",
                email.id, email.attempts, type(error).__name__)

