"""Plain helpers that test modules share, none of them a fixture (fixtures live in conftest.py):
a PDF's text, the rows and count of a table, the admin's practice settings form, every GET
route, and an SMTP server's inbox on a free port. Import them by name:
`from helpers import pdf_text`. Data and steps of one capability have modules of their own:
records_data.py, consent_data.py, messages_data.py, account_steps.py, seal_data.py."""

import socket
import subprocess
from email import policy
from email.parser import BytesParser

from sqlalchemy import func, select

from portal.extensions import db


def pdf_text(pdf):
    """The text of a PDF (its bytes, or a path to it) as pdftotext reads it, laid out as on
    the page, with each run of white space made one space (a phrase may wrap anywhere)."""
    if isinstance(pdf, bytes | bytearray):
        read = subprocess.run(["pdftotext", "-layout", "-", "-"], input=bytes(pdf),
                              capture_output=True, check=True)
    else:
        read = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              check=True)
    return " ".join(read.stdout.decode().split())


def rows(app, model):
    """Every row of `model` (detached), in id order."""
    with app.app_context():
        found = db.session.scalars(select(model).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def count(app, model):
    """How many rows `model`'s table holds."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


PRACTICE_SETTINGS = {
    "name": "Cedar Hollow Pediatrics",
    "address_line1": "12 Example Lane",
    "city": "Riverton",
    "state": "WY",
    "postal_code": "82501",
    "phone": "555-010-4400",
    "time_zone": "America/Denver",
    "office_hours": "Mon-Thu 9-4",
    "reply_time_promise": "We answer within one business day.",
    "emergency_notice": "Call 911 in an emergency.",
    "attachments_allowed": "y",
    "attachment_max_mb": "5",
    "attachment_types": "PDF, jpg",
    "public_verification": "y",
}
PARSE = BytesParser(policy=policy.default).parsebytes


def get_routes(app, **values):
    """Every GET route, with `values` filled in for its arguments (routes needing others skipped)."""
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and rule.endpoint != "static" and rule.arguments <= set(values):
            yield rule.endpoint, {name: values[name] for name in rule.arguments}


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(PARSE(envelope.content))
        return "250 Message accepted"

    @property
    def message_ids(self):
        return [message["Message-ID"] for message in self.messages]


def use_smtp(app, port, **settings):
    """Deliver over SMTP to 127.0.0.1:port (plain unless settings say otherwise)."""
    app.config.update({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_SECURITY": "none",
                       "MAIL_TIMEOUT": 5, **settings})
