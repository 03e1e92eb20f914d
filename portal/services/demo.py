"""The demo practice: fictional settings, an admin with a generated password, sample charts.

Everything here is invented. Running it again adds nothing that is already there.
"""

import secrets
from datetime import date

from sqlalchemy import select

from ..extensions import db
from ..models import Conversation, Patient, Practice
from .accounts import account_for_patient, create_account
from .audit import SYSTEM
from .consents import documents, signing
from .messages import conversations, topics
from .patients import create_patient
from .practice import PRACTICE_ID
from .setup import install_defaults
from .signin import find_staff_by_email
from .staff import create_staff_account
from .tokens import external_url

DEMO_ADMIN_EMAIL = "admin@maple-grove.example"
# The demo adult with an active portal account; DEMO-1002 is left uninvited.
DEMO_PATIENT_ACCOUNT = "DEMO-1001"
DEMO_PATIENT_USERNAME = "avery"
DEMO_PRACTICE = {
    "name": "Maple Grove Family Medicine",
    "address_line1": "100 Example Avenue, Suite 2",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62701",
    "phone": "555-010-0100",
    "fax": "555-010-0101",
    "email": "office@maple-grove.example",
    "time_zone": "America/Chicago",
    "office_hours": "Mon-Fri 8:00 am - 5:00 pm",
    "reply_time_promise": "We answer portal messages within 2 business days.",
    "emergency_notice": "In an emergency, call 911. Do not use the portal for urgent needs.",
}
# (first, last, sex, date of birth): invented people.
DEMO_PATIENTS = [
    ("Avery", "Lindqvist", "female", date(1984, 3, 14)),
    ("Jordan", "Okafor", "male", date(1971, 11, 2)),
    ("Riley", "Marchetti", "female", date(2012, 6, 30)),
    ("Casey", "Brennan", "male", date(1958, 1, 19)),
    ("Morgan", "Delacroix", "female", date(1992, 9, 8)),
    ("Quinn", "Abernathy", "other", date(2001, 4, 22)),
    ("Harper", "Yamamoto", "female", date(1966, 12, 5)),
    ("Rowan", "Fitzgerald", "male", date(1979, 7, 17)),
    ("Emerson", "Castellanos", "female", date(1988, 2, 29)),
    ("Sawyer", "Novak", "male", date(2015, 10, 11)),
    ("Finley", "Osei", "female", date(1949, 5, 3)),
    ("Reese", "Halvorsen", "male", date(1995, 8, 26)),
    ("Dakota", "Ferreira", "female", date(1973, 3, 9)),
    ("Skyler", "Kowalski", "male", date(2008, 1, 27)),
    ("Parker", "Nakamura", "female", date(1960, 11, 15)),
    ("Hayden", "Quintero", "male", date(1986, 4, 4)),
    ("Blake", "Sorensen", "female", date(1999, 12, 31)),
    ("Kendall", "Achebe", "male", date(1955, 6, 21)),
    ("Logan", "Villanueva", "female", date(1990, 9, 13)),
    ("Peyton", "Gallagher", "male", date(1982, 2, 6)),
    ("Drew", "Mwangi", "female", date(1977, 10, 30)),
    ("Cameron", "Petrov", "male", date(2004, 7, 1)),
    ("Elliot", "Haddad", "female", date(1968, 8, 18)),
    ("Jamie", "Rasmussen", "male", date(1993, 5, 25)),
    ("Alexis", "Oyelaran", "female", date(1952, 3, 28)),
    ("Taylor", "Bergstrom", "male", date(1987, 11, 23)),
    ("Charlie", "Moreau", "female", date(2010, 1, 9)),
    ("Robin", "Takahashi", "male", date(1975, 12, 12)),
]


def _load_practice():
    if db.session.get(Practice, PRACTICE_ID) is not None:
        return "The demo practice's settings are already there."
    db.session.add(Practice(id=PRACTICE_ID, **DEMO_PRACTICE))
    return f"Set up the demo practice: {DEMO_PRACTICE['name']}."


def _load_admin():
    if find_staff_by_email(DEMO_ADMIN_EMAIL) is not None:
        return [
            f"The demo admin {DEMO_ADMIN_EMAIL} already exists (its password was shown once, "
            "when it was made).",
            f"  To choose a new one: .venv/bin/portal reset-staff-password {DEMO_ADMIN_EMAIL}",
        ]
    password = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    create_staff_account(DEMO_ADMIN_EMAIL, "Dana Whitfield", "admin", password, SYSTEM)
    return [
        f"Demo admin created. Sign in at {external_url('/staff/sign-in')} with:",
        f"  email:    {DEMO_ADMIN_EMAIL}",
        f"  password: {password}",
        "  (shown only this once; staff set up two-step sign-in with an authenticator app",
        "   at their first sign-in)",
    ]


def _load_patients():
    existing = set(db.session.scalars(select(Patient.account_number)))
    added = 0
    for number, (first, last, sex, born) in enumerate(DEMO_PATIENTS, start=1001):
        account = f"DEMO-{number}"
        if account in existing:
            continue
        create_patient({
            "account_number": account, "first_name": first, "last_name": last, "sex": sex,
            "date_of_birth": born, "email": f"{first.lower()}.{last.lower()}@patients.example",
            "phone": f"555-010-{number + 1000}", "city": "Springfield", "state": "IL",
            "postal_code": "62701", "status": "active",
        }, SYSTEM)
        added += 1
    return f"Added {added} demo patient chart(s)." if added else "The demo charts are already there."


def _load_patient_account():
    """Give the first demo patient an active portal account (the second stays uninvited)."""
    patient = db.session.scalar(select(Patient).where(Patient.account_number == DEMO_PATIENT_ACCOUNT))
    if account_for_patient(patient.id) is not None:
        return [f"The demo patient account '{DEMO_PATIENT_USERNAME}' already exists (its password "
                "was shown once, when it was made)."]
    password = "-".join(secrets.token_urlsafe(6) for _ in range(4))
    practice = db.session.get(Practice, PRACTICE_ID)
    _document, consent = documents.portal_consent()
    account = create_account(patient, username=DEMO_PATIENT_USERNAME, email=patient.email,
                             password=password, question="childhood_hero", answer="Grace Hopper",
                             policy_text=consent.body, origin=SYSTEM)
    signing.sign(patient, consent, signer=signing.Signer(patient.full_name, "patient", account),
                 answers={}, attestations=consent.attestations, drawing=None,
                 submission_key=signing.new_submission_key(), practice=practice, origin=SYSTEM)
    return [
        f"Demo patient account created. Sign in at {external_url('/sign-in')} with:",
        f"  username: {DEMO_PATIENT_USERNAME}",
        f"  password: {password}",
        "  security answer (childhood hero): Grace Hopper",
        "  (the password is shown only this once)",
    ]


def _load_messages():
    """One answered conversation for the demo patient (on a default topic)."""
    patient = db.session.scalar(select(Patient).where(Patient.account_number == DEMO_PATIENT_ACCOUNT))
    if db.session.scalar(select(Conversation.id).where(Conversation.patient_id == patient.id).limit(1)):
        return "The demo conversation is already there."
    account = account_for_patient(patient.id)
    admin = find_staff_by_email(DEMO_ADMIN_EMAIL)
    refill = next(topic for topic in topics.offered_topics() if topic.form == "refill")
    conversation = conversations.start_conversation(
        account, refill, subject="Refill for my inhaler",
        body="Could you renew my inhaler prescription? I have about a week left.",
        details={"medication": "Albuterol inhaler", "dose": "2 puffs as needed",
                 "pharmacy": "Springfield Corner Pharmacy"}, origin=SYSTEM)
    conversations.staff_reply(admin, conversation, origin=SYSTEM,
                              body="We have sent the renewal to your pharmacy. It should be "
                                   "ready tomorrow afternoon.")
    return "Added a demo conversation for the demo patient."


def load_demo():
    """Load whatever part of the demo practice is missing; return lines to print (the caller
    commits)."""
    lines = [_load_practice(), *_load_admin(), _load_patients()]
    install_defaults(SYSTEM)  # as `portal setup` does: the demo signs a consent, writes on a topic
    db.session.flush()
    lines += _load_patient_account()
    db.session.flush()
    return [*lines, _load_messages()]
