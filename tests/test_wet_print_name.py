"""A consent printed for a wet signature is named by the chart's account number and the
practice's today, never by a name (issue 21, part 5), like the other downloads."""

from datetime import date

from consent_data import default_documents

# 03:00 UTC on 24 November is still 23 November in the practice's zone (America/New_York).
LATE_EVENING = "2026-11-24T03:00:00Z"


def test_the_wet_signature_print_is_named_by_account_number_and_practice_date(
        app, clock, staff_client, make_patient, audit_trail):
    clock.move_to(LATE_EVENING)
    patient = make_patient(first_name="Avery", last_name="Lindqvist",
                           date_of_birth=date(1984, 3, 14), account_number="T-3003")
    consent = default_documents(app)["consent"]
    browser = staff_client()
    response = browser.get(f"/staff/patients/{patient.id}/consents/{consent}/wet-signature.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="consent-for-signature-T-3003-2026-11-23.pdf"')
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    [row] = audit_trail.rows("wet_signature_form.exported")
    assert row.patient_id == patient.id
