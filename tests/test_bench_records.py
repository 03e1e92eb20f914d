"""make bench seeds health records in bulk (scripts/bench_records.py): the counts it promises,
the demo patient's share of released entries of every kind, and rows the patient's pages and
files read as if staff had published them."""

import importlib.util
import random
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import Patient, RecordEntry
from portal.services.records import categories, entries

SCRIPT = Path(__file__).parent.parent / "scripts" / "bench_records.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_records", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def demo(app, make_account, make_staff, bench):
    """The demo patient's account, then 30 charts and 400 record entries in all."""
    make_staff("admin")
    account = make_account(username="avery", account_number="DEMO-1001")
    with app.app_context():
        assert bench.seed(30, 400, random.Random(1)) == (29, 400)
    return account


def count(*where):
    return db.session.scalar(select(func.count()).select_from(RecordEntry).where(*where))


def test_the_counts_and_the_demo_patient_s_share(app, demo, bench):
    with app.app_context():
        mine = (RecordEntry.patient_id == demo.patient_id,)
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 30
        assert count() == 400
        assert count(*mine) == count(*mine, RecordEntry.status == "released") == 200  # half
        by_kind = dict(db.session.execute(select(RecordEntry.category, func.count())
                                          .where(*mine).group_by(RecordEntry.category)).all())
        assert by_kind == {"lab": 80, "immunization": 20, "medication": 20, "allergy": 10,
                           "problem": 10, "appointment": 20, "visit": 20, "statement": 10,
                           "document": 10}
        others = set(db.session.scalars(select(RecordEntry.status)
                                        .where(RecordEntry.patient_id != demo.patient_id)))
        assert "released" in others and others & {"draft", "held", "retracted"}
        # Asking again for what is there adds nothing; asking for more adds the difference,
        # and the demo patient has at most 500.
        assert bench.seed(30, 400) == (0, 0)
        assert bench.seed(40, 1400) == (10, 1000)
        assert count() == 1400 and count(*mine) == 500


def test_the_rows_read_as_published(app, demo):
    with app.app_context():
        page = entries.patient_page(demo.patient_id, "lab")
        assert page.total == 80 and len(page.items) == 25
        newest = page.items[0]
        assert newest.title == "Test 0" and newest.facts["resulted_on"] == "2026-01-01"
        assert dict(categories.facts_for_people(newest))["Resulted on"] == "01/01/2026"
        assert [entry.recorded_on for entry in page.items] == sorted(
            (entry.recorded_on for entry in page.items), reverse=True)
        abnormal = [entry for entry in page.items if entry.abnormal]
        assert abnormal and all(entry.facts["flag"] == "high" for entry in abnormal)
        [document, *_] = entries.patient_category_entries(demo.patient_id, "document")
        assert entries.document_file(document).startswith(b"%PDF-")
        held = db.session.scalars(select(RecordEntry).where(RecordEntry.status == "held")).all()
        assert all(entry.category == "lab" and entry.hold_reason for entry in held)
        assert entries.overview(demo.patient_id)["lab"] == (80, 8)  # the 20 newest are new
