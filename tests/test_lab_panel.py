"""Staff publish a lab panel in one form (issue 21, part 5): a panel name, one collected and
one resulted date (today in the practice's zone to start with), result rows with the flag
suggested from the range; "Add more rows" works without JavaScript and keeps what was typed;
blank rows are ignored; a half-filled row is refused on its row and nothing is lost or
stored; each row is one lab entry under the usual draft/release rules and permissions."""

import re

import pytest
from conftest import csrf_token
from records_data import entries, text, words

from portal.extensions import db
from portal.models import AuditEvent, Practice
from portal.services.practice import PRACTICE_ID
from portal.services.records.panels import suggested_flag

# 03:00 UTC on 24 November is still 23 November in the practice's zone (America/New_York).
LATE_EVENING = "2026-11-24T03:00:00Z"


@pytest.fixture(autouse=True)
def practice(app):
    with app.app_context():
        db.session.add(Practice(id=PRACTICE_ID, name="Maple Street Family Practice"))
        db.session.commit()


def panel_url(patient_id):
    return f"/staff/patients/{patient_id}/records/panel"


def panel_form(name="Basic metabolic panel", collected="11/20/2026", resulted="11/21/2026",
               rows=(), count=5, **extra):
    """The form's fields as a browser sends them: `count` rows, `rows` filled first."""
    data = {"name": name, "collected_on": collected, "resulted_on": resulted, **extra}
    for index in range(count):
        row = rows[index] if index < len(rows) else {}
        for field in ("test", "value", "unit", "reference_range", "flag"):
            data[f"rows-{index}-{field}"] = row.get(field, "")
    return data


def post_panel(browser, patient_id, data):
    token = csrf_token(browser, panel_url(patient_id))
    return browser.post(panel_url(patient_id), data={"csrf_token": token, **data})


GLUCOSE = {"test": "Glucose", "value": "126", "unit": "mg/dL", "reference_range": "70-99"}
POTASSIUM = {"test": "Potassium", "value": "3.1", "unit": "mmol/L", "reference_range": "3.5-5.1"}
SODIUM = {"test": "Sodium", "value": "140", "unit": "mmol/L", "reference_range": "135-145",
          "flag": "abnormal"}  # staff overrule the suggestion


@pytest.mark.parametrize("value, reference_range, flag", [
    ("126", "70-99", "high"), ("3.1", "3.5 - 5.1", "low"), ("99", "70-99", "normal"),
    ("70", "70 to 99", "normal"), ("6", "<5", "high"), ("4.9", "< 5", "normal"),
    ("30", ">40", "low"), ("1,200", "150-450", "high"), ("negative", "negative", ""),
    ("12", "", ""), ("see note", "70-99", ""),
])
def test_the_flag_suggested_by_the_range(value, reference_range, flag):
    assert suggested_flag(value, reference_range) == flag


def test_the_form_starts_with_5_rows_and_today_in_the_practice_s_zone(
        app, clock, staff_client, make_patient):
    clock.move_to(LATE_EVENING)
    patient = make_patient()
    nurse = staff_client("nurse", direct=True)
    choose = text(nurse.get(f"/staff/patients/{patient.id}/records/new"))
    assert f'href="{panel_url(patient.id)}"' in choose
    page = text(nurse.get(panel_url(patient.id)))
    assert re.search(r'id="resulted_on"[^>]*value="11/23/2026"', page)
    assert len(re.findall(r'<legend>Result \d+</legend>', page)) == 5
    assert 'name="rows-4-test"' in page and 'name="rows-5-test"' not in page
    assert page.index('name="more"') < page.index('name="publish"')  # Enter adds rows


def test_add_more_rows_keeps_what_was_typed_and_suggests_flags(app, staff_client,
                                                             make_patient):
    patient = make_patient()
    nurse = staff_client("nurse", direct=True)
    response = post_panel(nurse, patient.id, panel_form(rows=[GLUCOSE, POTASSIUM], more="1"))
    page = text(response)
    assert response.status_code == 200
    assert len(re.findall(r'<legend>Result \d+</legend>', page)) == 10
    assert 'value="Basic metabolic panel"' in page and 'value="11/20/2026"' in page
    assert 'name="rows-1-test" type="text" value="Potassium"' in page
    assert re.search(r'name="rows-0-flag">.*?<option selected value="high">', page, re.S)
    assert re.search(r'name="rows-1-flag">.*?<option selected value="low">', page, re.S)
    assert entries(app) == []


def test_each_filled_row_becomes_one_released_lab_entry(app, staff_client, robin_account,
                                                      robin_client):
    nurse = staff_client("nurse", direct=True)
    response = post_panel(nurse, robin_account.patient_id,
                          panel_form(rows=[GLUCOSE, {}, POTASSIUM, SODIUM], publish="1"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/patients/{robin_account.patient_id}/records"
    made = entries(app)
    assert [(e.title, e.facts["flag"], e.status, e.abnormal) for e in made] == [
        ("Glucose", "high", "released", True), ("Potassium", "low", "released", True),
        ("Sodium", "abnormal", "released", True)]
    assert {(e.facts["panel"], e.facts["collected_on"], e.facts["resulted_on"])
            for e in made} == {("Basic metabolic panel", "2026-11-20", "2026-11-21")}
    assert "Results published from the panel: 3." in words(
        nurse.get(f"/staff/patients/{robin_account.patient_id}/records"))
    with app.app_context():
        assert db.session.query(AuditEvent).filter_by(action="record.published").count() == 3
    lab = words(robin_client.get(f"/records/lab/{made[0].id}"))
    assert "Result 126 Unit mg/dL Reference range 70-99 Flag High" in lab
    assert "Panel Basic metabolic panel" in lab


def test_a_panel_saved_as_drafts_is_not_shown_to_the_patient(app, staff_client, robin_account,
                                                             robin_client):
    nurse = staff_client("nurse", direct=True)
    response = post_panel(nurse, robin_account.patient_id, panel_form(rows=[GLUCOSE], draft="1"))
    assert "Results saved as drafts from the panel: 1." in words(
        nurse.get(response.headers["Location"]))
    [draft] = entries(app)
    assert draft.status == "draft"
    assert robin_client.get(f"/records/lab/{draft.id}").status_code == 404


def test_a_half_filled_row_is_refused_on_its_row_and_nothing_is_lost(app, staff_client,
                                                                     make_patient):
    patient = make_patient()
    nurse = staff_client("nurse", direct=True)
    half = {"test": "Creatinine", "unit": "mg/dL"}
    no_range = {"test": "Urine protein", "value": "trace"}
    response = post_panel(nurse, patient.id, panel_form(rows=[GLUCOSE, half, no_range],
                                                        publish="1"))
    page = text(response)
    assert response.status_code == 200 and entries(app) == []
    assert '<a href="#rows-1-value">Result 2: Enter result.</a>' in page
    assert ('<a href="#rows-2-flag">Result 3: Choose the flag: the reference range gives no '
            'numbers to compare.</a>') in page
    assert re.search(r'id="rows-1-value-error"', page)
    assert 'value="Creatinine"' in page and 'value="trace"' in page and 'value="126"' in page


@pytest.mark.parametrize("change, message", [
    ({"name": ""}, "Enter the panel&#39;s name."),
    ({"resulted": ""}, "Enter resulted on."),
    ({"resulted": "31/31/2026"}, "Enter the date as MM/DD/YYYY."),
    ({"rows": ()}, "Enter at least one result: a test name and its result."),
])
def test_the_panel_s_own_fields_are_checked(app, staff_client, make_patient, change, message):
    patient = make_patient()
    nurse = staff_client("nurse", direct=True)
    values = {"rows": [GLUCOSE], **change}
    response = post_panel(nurse, patient.id, panel_form(publish="1", **values))
    assert response.status_code == 200 and entries(app) == []
    assert message in response.get_data(as_text=True)


def test_a_role_that_may_not_publish_labs_is_refused(app, staff_client, make_patient):
    patient = make_patient()
    front_desk = staff_client("front_desk", direct=True)
    assert front_desk.get(panel_url(patient.id)).status_code == 403
    token = csrf_token(staff_client("nurse", direct=True), panel_url(patient.id))
    response = front_desk.post(panel_url(patient.id),
                               data={"csrf_token": token, **panel_form(rows=[GLUCOSE], publish="1")})
    assert response.status_code in (400, 403) and entries(app) == []
