"""Health records for make bench (issue 10), against the bench's throwaway database.

Usage: bench_records.py seed N_PATIENTS N_ENTRIES
       bench_records.py queries OUT.json [EARLIER.json]
       bench_records.py pdf BASE_URL PATIENT_COOKIE [RUNS]
       bench_records.py zip [RUNS]

seed: add fictional charts (scripts/bench_messages.py makes them, each with a portal account)
   and record entries until the database holds N_PATIENTS charts and N_ENTRIES entries. Bulk
   inserts (SQLAlchemy Core, one transaction per batch), so 50,000 entries take seconds; the
   rows are what entries.publish would have stored (facts through categories.checked_facts,
   documents with a small PDF and its SHA-256), without its audit rows. The demo patient
   (DEMO-1001, username avery) gets 500 released entries of every category (up to half of
   N_ENTRIES; labs most, a document in twenty), so their pages and their whole-record ZIP are
   measured at that size; the rest is spread over the other charts, mostly released, some
   drafts, held results and retracted entries.
queries: the SQL statements each record page runs, in this process through the app's test
   client, signed in like the tests: the record overview (/records) and the lab and visit
   lists (/records/lab first and last page, /records/visit) for the demo patient and for a
   patient with a few entries. Saves the counts to OUT.json; prints PROBLEM when two cases of
   a page differ, or differ from EARLIER.json (the same pages with fewer entries in the
   database).
pdf: one entry as a PDF (/records/lab/<id>.pdf, an abnormal result of the demo patient)
   through gunicorn with the patient's cookie, RUNS times (20) after warming both workers;
   issue 10 asks for a median <= 200 ms.
zip: the demo patient's whole record as a ZIP (services/records/export.build_archive, as
   /records/download.zip makes it), in this process, RUNS times (3); issue 10 asks for a
   median <= 2 s. Prints its size and the process's peak memory.
Prints PROBLEM lines and exits 1 when a promise is not kept.
"""

import hashlib
import importlib.util
import os
import random
import resource
import statistics
import sys
import threading
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path

BATCH = 5000               # entries per transaction
DEMO_ENTRIES = 500         # the demo patient's released entries, at most half of all
# category, share of the entries (in twentieths)
MIX = (("lab", 8), ("immunization", 2), ("medication", 2), ("allergy", 1), ("problem", 1),
       ("appointment", 2), ("visit", 2), ("statement", 1), ("document", 1))
# The other charts' entries: mostly released, a few not (a patient never sees those).
OTHER_STATUSES = (("released", 94), ("draft", 3), ("held", 2), ("retracted", 1))
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
FEW = (1, 5)               # the "few entries" patient has this many released labs
PDF_RUNS, ZIP_RUNS = 20, 3
problems = []


def _app():
    from portal import create_app

    return create_app(migrations=False)


def _messages_bench():
    """scripts/bench_messages.py: its chart seeding and its SQL counting serve here too."""
    spec = importlib.util.spec_from_file_location(
        "bench_messages", Path(__file__).with_name("bench_messages.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- seeding --------------------------------------------------------------------------------

def values(category, number, day):
    """What staff would type for entry `number` of a category, filed on `day`."""
    when = day.strftime("%m/%d/%Y")
    return {
        "lab": {"test": f"Test {number}", "value": str(90 + number % 40), "unit": "mg/dL",
                "reference_range": "70-99", "flag": "high" if number % 40 > 9 else "normal",
                "resulted_on": when},
        "immunization": {"vaccine": f"Vaccine {number}", "given_on": when, "lot": f"L{number}"},
        "medication": {"name": f"Medication {number}", "dose": "10 mg",
                       "directions": "Once a day", "started_on": when},
        "allergy": {"substance": f"Substance {number}", "reaction": "Hives",
                    "severity": "moderate", "noted_on": when},
        "problem": {"name": f"Problem {number}", "state": "active", "noted_on": when},
        "appointment": {"day": when, "at": "09:30", "provider": "Dr Alder",
                        "reason": f"Check {number}", "state": "completed"},
        "visit": {"visited_on": when, "provider": "Dr Alder", "reason": f"Visit {number}",
                  "notes": "Blood pressure a little high.\nCome back in 3 months."},
        "statement": {"title": f"Statement {number}", "statement_on": when, "amount": "125.00",
                      "balance": "40.00"},
        "document": {"title": f"Report {number}", "kind": "Letter", "document_on": when},
    }[category]


def entry_row(patient_id, category_key, number, status, staff_id, now, seen):
    """One record_entries row as entries.publish (and release, hold) would have stored it;
    `seen`: whether the patient has opened it."""
    from portal.services.records import categories

    category = categories.CATEGORIES[category_key]
    day = date(2026, 1, 1) - timedelta(days=number % 3000)
    facts = categories.checked_facts(category, values(category_key, number, day))
    released = status in ("released", "retracted")
    row = {
        "patient_id": patient_id, "category": category_key, "status": status,
        "title": facts[category.title], "recorded_on": date.fromisoformat(facts[category.filed_by]),
        "facts": facts, "abnormal": category_key == "lab" and facts["flag"] != "normal",
        "created_by_id": staff_id, "created_at": now,
        "released_at": now if released else None, "released_by_id": staff_id if released else None,
        "held_at": now if status == "held" else None,
        "held_by_id": staff_id if status == "held" else None,
        "hold_reason": "Waiting for the provider to call the patient." if status == "held" else "",
        "patient_seen_at": now if seen and status == "released" else None,
        "file_type": "", "file_sha256": "", "file_size": 0, "file_data": None,
    }
    if category_key == "document":
        row.update(file_type="application/pdf", file_sha256=hashlib.sha256(PDF).hexdigest(),
                   file_size=len(PDF), file_data=PDF)
    return row


def _counts(connection, demo_patient_id):
    """(charts, entries, the demo patient's released entries)."""
    from sqlalchemy import func, select

    from portal.models import Patient, RecordEntry

    demo = connection.scalar(select(func.count()).select_from(RecordEntry).where(
        RecordEntry.patient_id == demo_patient_id, RecordEntry.status == "released"))
    return (connection.scalar(select(func.count()).select_from(Patient)),
            connection.scalar(select(func.count()).select_from(RecordEntry)), demo)


def _rows(to_add, demo_to_add, demo_id, demo_have, others, staff_id, now, rng):
    """The entries to add, in batches: first the demo patient's (every category by MIX,
    released, the recent ones still new to them), then the other charts'."""
    kinds = [category for category, share in MIX for _ in range(share)]
    statuses, weights = zip(*OTHER_STATUSES, strict=True)
    batch = []
    for index in range(to_add):
        if index < demo_to_add:
            number = demo_have + index
            category = kinds[number % len(kinds)]
            batch.append(entry_row(demo_id, category, number, "released", staff_id, now,
                                   seen=number >= 20))
        else:
            category = rng.choice(kinds)
            status = rng.choices(statuses, weights)[0]
            if status == "held" and category != "lab":
                status = "draft"  # only a lab result is ever held
            batch.append(entry_row(rng.choice(others), category, rng.randrange(100_000), status,
                                   staff_id, now, seen=rng.random() < 0.8))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def seed(n_patients, n_entries, rng=None):
    """Add charts and record entries until there are `n_patients` and `n_entries`; returns
    (charts added, entries added). Run inside an app context."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Patient, RecordEntry, StaffUser
    from portal.models.types import utcnow
    from portal.services.demo import DEMO_ADMIN_EMAIL, DEMO_PATIENT_ACCOUNT

    rng, now, engine = rng or random.Random(10), utcnow(), db.engine
    db.session.close()
    with engine.begin() as connection:
        demo_id = connection.scalar(select(Patient.id)
                                    .where(Patient.account_number == DEMO_PATIENT_ACCOUNT))
        staff_id = connection.scalar(select(StaffUser.id).order_by(
            (StaffUser.email != DEMO_ADMIN_EMAIL), StaffUser.id).limit(1))
        if demo_id is None:
            raise SystemExit("bench: no demo patient (run `portal demo` first)")
        patients, entries, demo_have = _counts(connection, demo_id)
    _messages_bench()._add_patients(engine, max(0, n_patients - patients), now, rng)
    with engine.begin() as connection:
        others = connection.scalars(select(Patient.id).where(Patient.id != demo_id)).all()
    to_add = max(0, n_entries - entries)
    demo_to_add = min(to_add, max(0, min(DEMO_ENTRIES, n_entries // 2) - demo_have))
    if to_add > demo_to_add and not others:
        raise SystemExit("bench: no other charts to hold entries (seed some patients)")
    for batch in _rows(to_add, demo_to_add, demo_id, demo_have, others, staff_id, now, rng):
        with engine.begin() as connection:
            connection.execute(RecordEntry.__table__.insert(), batch)
    if engine.dialect.name == "postgresql":  # the charts have explicit ids: move the sequences
        with engine.begin() as connection:
            for table in ("patients", "patient_accounts"):
                last = f"SELECT COALESCE(MAX(id), 1) FROM {table}"  # noqa: S608 - fixed names
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ({last}))")
    _messages_bench().settle(engine, ("patients", "patient_accounts", "record_entries"))
    return max(0, n_patients - patients), to_add


# --- the pages' SQL -------------------------------------------------------------------------

def _let_in(account):
    """Sign the portal consent for a seeded patient who has not, so the consent gate lets them
    in (as bench_messages.py does for its patient with few conversations)."""
    from portal.extensions import db
    from portal.services.audit import SYSTEM
    from portal.services.consents import documents, gate, signing
    from portal.services.practice import get_practice

    if gate.consent_due(account.patient) is None:
        return
    _document, consent = documents.portal_consent()
    signing.sign(account.patient, consent,
                 signer=signing.Signer(account.patient.full_name, "patient", account),
                 answers={}, attestations=consent.attestations, drawing=None,
                 submission_key=signing.new_submission_key(), practice=get_practice(),
                 origin=SYSTEM)
    db.session.commit()


def _cases(app, messages):
    """{page: {case: (who, path)}} and the signed-in clients, found in the seeded data."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import PatientAccount, RecordEntry
    from portal.services.demo import DEMO_PATIENT_USERNAME
    from portal.services.records.entries import PAGE_SIZE

    with app.test_request_context():
        demo = db.session.scalar(select(PatientAccount).where(
            PatientAccount.username == DEMO_PATIENT_USERNAME))
        labs = func.count(RecordEntry.id)
        few_id = db.session.scalar(
            select(PatientAccount.id)
            .join(RecordEntry, RecordEntry.patient_id == PatientAccount.patient_id)
            .where(PatientAccount.username.like("bench%"), RecordEntry.category == "lab",
                   RecordEntry.status == "released")
            .group_by(PatientAccount.id).having(labs.between(*FEW)).limit(1))
        few = db.session.get(PatientAccount, few_id) if few_id else None
        if few is not None:
            _let_in(few)
        demo_labs = db.session.scalar(select(func.count()).select_from(RecordEntry).where(
            RecordEntry.patient_id == demo.patient_id, RecordEntry.category == "lab",
            RecordEntry.status == "released"))
        clients = {"patient": messages._signed_in(app, demo)}
        if few is not None:
            clients["few"] = messages._signed_in(app, few)
    last = max(1, -(-demo_labs // PAGE_SIZE))
    cases = {
        "record overview": {"demo patient": ("patient", "/records")},
        "lab list": {f"{demo_labs} labs, page 1": ("patient", "/records/lab"),
                     f"{demo_labs} labs, page {last} (the last)":
                         ("patient", f"/records/lab?page={last}")},
        "visit list": {"demo patient": ("patient", "/records/visit")},
    }
    if few is not None:
        for page, path in (("record overview", "/records"), ("lab list", "/records/lab"),
                           ("visit list", "/records/visit")):
            cases[page]["a patient with a few entries"] = ("few", path)
    else:
        problems.append("no seeded patient with a few lab results to compare with")
    return cases, clients


def queries(out_path, earlier_path=None):
    """Count each page's SQL statements, save them, and flag any count that moves."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import RecordEntry

    messages = _messages_bench()
    app = _app()
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(RecordEntry))
    cases, clients = _cases(app, messages)
    problems.extend(messages.compare_statements(app, cases, clients,
                                                f"{total:,} record entries", "entries",
                                                out_path, earlier_path))


# --- the files ------------------------------------------------------------------------------

def _demo_patient():
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import Patient
    from portal.services.demo import DEMO_PATIENT_ACCOUNT

    patient = db.session.scalar(select(Patient)
                                .where(Patient.account_number == DEMO_PATIENT_ACCOUNT))
    if patient is None:
        raise SystemExit("bench: no demo patient (run `portal demo` first)")
    return patient


def pdf_path():
    """The URL path of one of the demo patient's abnormal lab results as a PDF."""
    from sqlalchemy import select

    from portal.extensions import db
    from portal.models import RecordEntry

    with _app().app_context():
        entry_id = db.session.scalar(
            select(RecordEntry.id).where(RecordEntry.patient_id == _demo_patient().id,
                                         RecordEntry.category == "lab",
                                         RecordEntry.status == "released")
            .order_by(RecordEntry.abnormal.desc(), RecordEntry.id).limit(1))
    if entry_id is None:
        raise SystemExit("bench: the demo patient has no lab result (seed first)")
    return f"/records/lab/{entry_id}.pdf"


def _get(base, path, cookie):
    """(milliseconds, status, body) of one GET on a new connection, as a browser's click."""
    from bench_sign_in import browser_headers  # beside this script, run from scripts/
    request = urllib.request.Request(base + path, headers=browser_headers(cookie))  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback only
        body = answer.read()
        status = answer.status
    return (time.perf_counter() - started) * 1000, status, body


def entry_pdf(base, cookie, runs=PDF_RUNS):
    """Time the one-item PDF through gunicorn, warm."""
    path = pdf_path()
    for _ in range(3):  # two at a time, so both workers have drawn a PDF before the timing
        pair = [threading.Thread(target=_get, args=(base, path, cookie)) for _ in range(2)]
        for one in pair:
            one.start()
        for one in pair:
            one.join()
    times, size = [], 0
    for _ in range(int(runs)):
        milliseconds, status, body = _get(base, path, cookie)
        if status != 200 or not body.startswith(b"%PDF-"):
            problems.append(f"GET {path} answered {status}, not a PDF")
            return
        times.append(milliseconds)
        size = len(body)
    median = statistics.median(times)
    print(f"  one entry as a PDF through gunicorn (GET {path}, {size / 1024:.0f} KiB): warm "
          f"median {median:.0f} ms, min {min(times):.0f}, max {max(times):.0f} ({runs} runs)")
    if median > 200:
        problems.append(f"the one-entry PDF's median {median:.0f} ms is over 200 ms")


def whole_record(runs=ZIP_RUNS):
    """Time the demo patient's whole-record ZIP, built as /records/download.zip builds it."""
    from zoneinfo import ZoneInfo

    from portal.extensions import db
    from portal.services import pdf
    from portal.services.practice import get_practice
    from portal.services.records import export

    app = _app()
    with app.test_request_context():
        patient = _demo_patient()
        practice = get_practice()
        zone = ZoneInfo(practice.time_zone)
        export.build_archive(patient, practice, zone).file.close()  # a warm worker
        db.session.rollback()
        pdf.give_back_memory()  # as a worker does once a PDF's response has gone out
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        times = []
        for _ in range(int(runs)):
            started = time.perf_counter()
            made = export.build_archive(patient, practice, zone)
            times.append(time.perf_counter() - started)
            made.file.close()
            db.session.rollback()
            pdf.give_back_memory()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    median = statistics.median(times)
    print(f"  whole-record ZIP of {len(made.entries)} entries ({made.size / 1024:.0f} KiB), in "
          f"this process: median {median:.2f} s, min {min(times):.2f}, max {max(times):.2f} "
          f"({runs} runs); peak memory {peak:.0f} MB ({peak - before:+.0f} MB over the warm-up)")
    if median > 2:
        problems.append(f"the whole-record ZIP's median {median:.2f} s is over 2 s")


def main(mode, *arguments):
    if mode == "seed":
        from portal.extensions import db

        started = time.perf_counter()
        with _app().app_context():
            charts, entries = seed(int(arguments[0]), int(arguments[1]))
            with db.engine.connect() as connection:
                demo = _counts(connection, _demo_patient().id)[2]
        print(f"  seeded {charts:,} charts and {entries:,} record entries in "
              f"{time.perf_counter() - started:.1f} s (for {int(arguments[0]):,} charts and "
              f"{int(arguments[1]):,} entries in all; the demo patient has {demo} released)")
    elif mode == "queries":
        queries(*arguments)
    elif mode == "pdf":
        entry_pdf(*arguments)
    elif mode == "zip":
        whole_record(*arguments)
    else:
        raise SystemExit(__doc__)
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PORTAL_ENV", "development")
    sys.exit(main(*sys.argv[1:]))
