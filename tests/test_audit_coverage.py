"""What HIPAA expects on the audit trail: lists and searches by chart id, the edit form,
refused access to a patient URL, exports, and the six-year retention kept by `audit prune`."""

from datetime import UTC, datetime, timedelta

import pytest
from conftest import add_patients, post_form
from freezegun import freeze_time
from sqlalchemy import func, select

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import audit


def shown(ids):
    return ", ".join(str(patient_id) for patient_id in ids)


# -- the patient list and searches ------------------------------------------------------------

def test_the_patient_list_records_which_charts_were_shown(client, admin, app, audit_trail):
    ids = add_patients(app, 3)
    client.get("/staff/patients")
    [row] = audit_trail.rows("patient.listed")
    assert row.detail == f"search: none; page: 1; shown: {shown(ids)}"
    assert row.actor_label == admin.email and row.ip == "127.0.0.1"


def test_each_page_view_is_one_row_with_that_page_s_ids(client, admin, app, audit_trail):
    ids = add_patients(app, 27)  # 25 charts a page
    client.get("/staff/patients?page=2")
    [row] = audit_trail.rows("patient.listed")
    assert row.detail == f"search: none; page: 2; shown: {shown(ids[25:])}"
    client.get("/staff/patients?page=9")
    assert audit_trail.rows("patient.listed")[-1].detail == "search: none; page: 9; shown: none"


@pytest.mark.parametrize("query, kind", [("Last0001", "name_or_account"),
                                         ("p0001", "name_or_account"),
                                         ("01/02/1970", "birth_date")])
def test_a_search_records_its_kind_and_the_ids_never_the_text(client, admin, app, query, kind, audit_trail):
    ids = add_patients(app, 3)
    post_form(client, "/staff/patients", {"q": query})
    assert "1 patient matches" in client.get("/staff/patients").get_data(as_text=True)
    [row] = audit_trail.rows("patient.searched")
    assert row.detail == f"search: {kind}; page: 1; shown: {ids[1]}"
    with app.app_context():
        trail = " ".join(db.session.scalars(
            select(AuditEvent.detail + AuditEvent.object_id + AuditEvent.object_type)))
    for fragment in ("Last0001", "P0001", "p0001", "1970", "01/02"):
        assert fragment not in trail


# -- the chart and its edit form -----------------------------------------------------------------

def test_opening_the_edit_form_is_audited_as_a_view(client, admin, app, audit_trail):
    [patient_id] = add_patients(app, 1)
    assert client.get(f"/staff/patients/{patient_id}/edit").status_code == 200
    [row] = audit_trail.rows("patient.edit_viewed")
    assert row.patient_id == patient_id and row.object_id == str(patient_id)
    assert row.actor_label == admin.email


def test_the_chart_view_is_audited(client, admin, app, audit_trail):
    [patient_id] = add_patients(app, 1)
    client.get(f"/staff/patients/{patient_id}")
    [row] = audit_trail.rows("patient.viewed")
    assert row.patient_id == patient_id and row.actor_label == admin.email


# -- refused access on a patient URL -------------------------------------------------------------

@pytest.mark.parametrize("url, patient_id", [
    ("/staff/patients/999", 999),
    ("/staff/patients/999/edit", 999),
    ("/staff/patients/12/no-such-page", 12),
    ("/staff/patients/not-a-number", None),
    ("/staff/patients/99999999999999999999999/no-such-page", None),  # no 32-bit id
])
def test_a_404_on_a_patient_url_is_audited(client, admin, app, url, patient_id, audit_trail):
    assert client.get(url).status_code == 404
    [row] = audit_trail.rows("patient.access_refused")
    assert row.patient_id == patient_id and row.detail == "status: 404"
    assert row.actor_kind == "staff" and row.actor_label == admin.email


def test_a_patient_refused_a_staff_chart_url_is_audited(client, auth, app, make_account, audit_trail):
    account = make_account()
    auth.patient_sign_in(account.username)
    assert client.get(f"/staff/patients/{account.patient_id}").status_code == 403
    [row] = audit_trail.rows("patient.access_refused")
    assert row.patient_id == account.patient_id and row.detail == "status: 403"
    assert row.actor_kind == "patient" and row.actor_id == account.id


def test_a_refused_post_on_a_patient_url_is_audited(client, admin, app, audit_trail):
    response = post_form(client, "/staff/patients/999/invitation", {},
                         page_url="/staff/patients")
    assert response.status_code == 404
    [row] = audit_trail.rows("patient.access_refused")
    assert row.patient_id == 999 and row.actor_label == admin.email


def test_other_refusals_and_sign_in_redirects_are_not_patient_access(client, app, make_staff,
                                                                      auth, audit_trail):
    assert client.get("/staff/patients/5").status_code == 302  # not signed in: sign in first
    auth.sign_in(make_staff("nurse").email)
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/no-such-page").status_code == 404
    assert audit_trail.rows("patient.access_refused") == []


# -- exports ------------------------------------------------------------------------------------

def test_record_export_puts_a_download_on_the_record(app, make_staff, audit_trail):
    staff = make_staff("provider")
    with app.app_context():
        origin = audit.Origin(staff, "10.0.0.9", "Test browser")
        audit.record_export(origin, "consent", 7, patient_id=3, file_format="pdf",
                            byte_count=1234)
        db.session.commit()
    [row] = audit_trail.rows("consent.exported")
    assert (row.patient_id, row.object_type, row.object_id) == (3, "consent", "7")
    assert row.detail == "format: pdf; bytes: 1234"
    assert row.actor_label == staff.email and row.ip == "10.0.0.9" and row.at is not None


def test_no_download_route_goes_unaudited(app):
    """Today nothing is downloadable; a new download or export route must use record_export
    (this list is where its test is added)."""
    audited = {
        # test_staff_consents.py: test_a_signed_pdf_downloads_checked_audited_and_never_cached
        "/staff/patients/<int:patient_id>/signatures/<int:signature_id>.pdf",
        # test_staff_consents.py: test_a_parent_s_paper_signature_for_a_minor_is_stored_...
        "/staff/patients/<int:patient_id>/signatures/<int:signature_id>/scan/download",
        # test_staff_consents.py: test_the_wet_signature_pdf_is_prefilled_with_blank_lines
        "/staff/patients/<int:patient_id>/consents/<int:document_id>/wet-signature.pdf",
        # test_consents.py: test_a_signed_consent_keeps_its_evidence_and_a_sealed_pdf
        "/consents/signed/<int:signature_id>.pdf",
        # test_messages_staff.py: test_staff_download_an_attachment_safely_and_on_the_record
        "/staff/messages/attachments/<int:attachment_id>",
        # test_staff_image_attachments.py: test_staff_see_the_image_in_the_conversation_from_...
        "/staff/messages/attachments/<int:attachment_id>/image",
        # test_messages_patient.py: test_png_and_pdf_attachments_are_stored_and_download_safely
        "/messages/attachments/<int:attachment_id>",
        # test_activation.py: test_print_a_letter_enroll_with_its_code_and_sign_in
        "/staff/patients/<int:patient_id>/activation-letter.pdf",
        # test_proxy_access.py: test_a_parent_at_the_desk_joins_with_a_printed_letter
        "/staff/patients/<int:patient_id>/access/grants/<int:grant_id>/letter.pdf",
        # test_records_staff.py: test_a_document_is_typed_by_its_bytes_and_downloads_safely
        "/staff/patients/<int:patient_id>/records/<int:entry_id>/file",
        # test_records_patient.py: test_an_entry_pdf_holds_its_facts_downloads_safely_audited
        "/records/<category>/<int:entry_id>.pdf",
        # test_records_patient.py: test_a_category_pdf_holds_every_released_entry_and_no_other
        "/records/<category>.pdf",
        # test_records_patient.py: test_a_document_s_original_file_downloads_safely_audited
        "/records/documents/<int:entry_id>/file",
        # test_records_export.py: test_the_whole_record_downloads_as_one_audited_zip
        "/records/download.zip",
        # test_records_share.py: test_the_provider_reads_and_downloads_the_shared_record (all 4)
        "/record-share/record/<category>/<int:entry_id>.pdf",
        "/record-share/record/<category>.pdf",
        "/record-share/record/documents/<int:entry_id>/file",
        "/record-share/record/download.zip",
    }
    # An address that moved (web/routing.keep_old_url) only redirects to one of these.
    downloads = {rule.rule for rule in app.url_map.iter_rules()
                 if any(word in rule.rule for word in ("download", "export", ".csv", ".pdf",
                                                        "attachments/", "/file"))
                 and not rule.endpoint.rsplit(".", 1)[-1].startswith("old_")}
    assert downloads <= audited


# -- retention: portal audit prune ------------------------------------------------------------

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def add_event(app, action, at):
    with app.app_context():
        db.session.add(AuditEvent(action=action, actor_kind="system", at=at))
        db.session.commit()


@pytest.mark.no_defaults  # counts every row it makes
def test_prune_deletes_rows_older_than_6_years_and_keeps_younger(runner, app, audit_trail):
    add_event(app, "test.seven_years_old", NOW - timedelta(days=7 * 365))
    add_event(app, "test.five_years_old", NOW - timedelta(days=5 * 365))
    add_event(app, "test.six_calendar_years_old", datetime(2020, 3, 1, 12, 0, tzinfo=UTC))
    add_event(app, "test.2192_days_old", NOW - timedelta(days=2192))
    with freeze_time(NOW):
        result = runner.invoke(args=["audit", "prune", "--older-than-years", "6"])
    assert result.exit_code == 0, result.output
    assert "Deleted 1 audit entry older than 6 years." in result.output
    assert set(audit_trail.actions()) == {"test.five_years_old", "test.six_calendar_years_old",
                            "test.2192_days_old", "audit.pruned"}
    [row] = audit_trail.rows("audit.pruned")
    assert row.detail == "pruned: 1; older than: 6 years"
    assert row.actor_kind == "system" and row.at == NOW


@pytest.mark.parametrize("years", ["5", "0", "-1"])
@pytest.mark.no_defaults  # counts every row it makes
def test_prune_refuses_less_than_6_years_and_deletes_nothing(runner, app, years, audit_trail):
    add_event(app, "test.seven_years_old", NOW - timedelta(days=7 * 365))
    add_event(app, "test.five_years_old", NOW - timedelta(days=5 * 365))
    with freeze_time(NOW):
        result = runner.invoke(args=["audit", "prune", "--older-than-years", years])
    assert result.exit_code != 0
    assert "Audit entries are kept for 6 years: --older-than-years must be 6 or more." \
        in result.output
    assert set(audit_trail.actions()) == {"test.seven_years_old", "test.five_years_old"}


@pytest.mark.no_defaults  # counts every row it makes
def test_prune_with_more_years_keeps_more(runner, app, audit_trail):
    add_event(app, "test.seven_years_old", NOW - timedelta(days=7 * 365))
    add_event(app, "test.ten_years_old", NOW - timedelta(days=10 * 365))
    with freeze_time(NOW):
        result = runner.invoke(args=["audit", "prune", "--older-than-years", "8"])
    assert result.exit_code == 0, result.output
    assert set(audit_trail.actions()) == {"test.seven_years_old", "audit.pruned"}
    with app.app_context():
        assert db.session.scalar(select(func.count(AuditEvent.id))) == 2


def test_the_audit_page_promises_the_retention_prune_keeps(client, admin):
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Entries are kept for six years" in page
    assert audit.RETENTION_YEARS == 6
