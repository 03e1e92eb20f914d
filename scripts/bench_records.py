"""Time the whole-record ZIP (issue 10: a 500-entry archive), in this process.

Usage: bench_records.py [ENTRIES [RUNS]]   (defaults 500 and 3)

Against the database the environment names (PORTAL_DATABASE_URL, PORTAL_INSTANCE_PATH), after
`portal demo`: tops the demo patient (DEMO-1001) up to ENTRIES released entries of every
category (labs most, a document in twenty with a small PDF), published by the demo admin as
staff would, then builds the archive RUNS times as /records/download.zip does and prints the
median time, the archive's size and the process's peak memory. Not wired into bench.sh yet.
"""

import os
import resource
import statistics
import sys
import time
from datetime import date, timedelta

# category, share of the entries (in twentieths)
MIX = (("lab", 8), ("immunization", 2), ("medication", 2), ("allergy", 1), ("problem", 1),
       ("appointment", 2), ("visit", 2), ("statement", 1), ("document", 1))
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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


def seed(patient, staff, wanted):
    """Publish released entries until the patient has `wanted`; how many were added."""
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.models import RecordEntry
    from portal.services import audit, records

    have = db.session.scalar(select(func.count()).select_from(RecordEntry)
                             .where(RecordEntry.patient_id == patient.id))
    kinds = [category for category, share in MIX for _ in range(share)]
    origin = audit.Origin(staff, "127.0.0.1", "bench")
    for number in range(have, wanted):
        category = kinds[number % len(kinds)]
        day = date(2026, 1, 1) - timedelta(days=number)
        records.publish(patient, category, values(category, number, day), origin, release=True,
                        file=PDF if category == "document" else None)
    db.session.commit()
    return max(0, wanted - have)


def main(entries=500, runs=3):
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from portal import create_app
    from portal.extensions import db
    from portal.models import Patient, StaffUser
    from portal.services import record_export
    from portal.services.demo import DEMO_ADMIN_EMAIL, DEMO_PATIENT_ACCOUNT
    from portal.services.practice import get_practice

    app = create_app()
    with app.test_request_context():
        patient = db.session.scalar(select(Patient)
                                    .where(Patient.account_number == DEMO_PATIENT_ACCOUNT))
        staff = db.session.scalar(select(StaffUser).where(StaffUser.email == DEMO_ADMIN_EMAIL))
        if patient is None or staff is None:
            print("bench_records: run `portal demo` first", file=sys.stderr)
            return 1
        print(f"  seeded {seed(patient, staff, int(entries))} entries")
        practice = get_practice()
        times = []
        for _ in range(int(runs)):
            started = time.perf_counter()
            made = record_export.build_archive(patient, practice, ZoneInfo(practice.time_zone))
            times.append(time.perf_counter() - started)
            made.file.close()
            db.session.rollback()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  whole-record ZIP of {len(made.entries)} entries ({made.size / 1024:.0f} KiB): "
          f"median {statistics.median(times):.2f} s, min {min(times):.2f}, max {max(times):.2f} "
          f"({runs} runs); peak memory {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PORTAL_ENV", "development")
    sys.exit(main(*sys.argv[1:]))
