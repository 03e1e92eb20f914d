"""Staff see an image a patient sent, drawn in the conversation (issue 21, part 5): from the
copy re-encoded when it arrived, audited like a download, with a download's headers, for
staff only. Other files stay downloads."""

import html
import io
import re

from PIL import Image
from PIL.PngImagePlugin import PngInfo
from records_data import PDF
from sqlalchemy import select

from portal.extensions import db
from portal.models import MessageAttachment, MessageTopic, PatientAccount
from portal.services import audit
from portal.services.messages import attachments, conversations
from portal.services.messages.topics import ensure_topics
from portal.services.practice import get_practice

ORIGIN = audit.Origin(None, "203.0.113.7", "Test browser 1.0")
IMAGE = re.compile(r'<img src="(/staff/messages/attachments/(\d+)/image)"\s+alt="([^"]*)"')


def photo_with_metadata():
    """A PNG carrying a text chunk (as a phone's photo carries its owner and place)."""
    info = PngInfo()
    info.add_text("Author", "Robin Quill at 12 Orchard Lane")
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG", pnginfo=info)
    return out.getvalue()


def start(app, account_id, files):
    """The patient writes with `files` (through the service, as the patient page does)."""
    with app.test_request_context():
        ensure_topics()
        account = db.session.get(PatientAccount, account_id)
        topic = db.session.scalar(select(MessageTopic)
                                  .where(MessageTopic.label == "Question for my care team"))
        conversation = conversations.start_conversation(
            account, topic, subject="A rash", body="It started on Monday.", origin=ORIGIN,
            files=attachments.check_files(files, get_practice()))
        db.session.commit()
        return conversation.id


def stored_bytes(app, attachment_id):
    with app.app_context():
        return db.session.get(MessageAttachment, attachment_id).data


def page_text(response):
    return html.unescape(response.get_data(as_text=True))


def test_staff_see_the_image_in_the_conversation_from_its_re_encoded_copy(
        app, make_account, staff_client, audit_trail):
    account = make_account()
    original = photo_with_metadata()
    conversation_id = start(app, account.id, [attachments.Upload("rash photo.png", original)])
    nurse = staff_client("nurse", direct=True)
    page = page_text(nurse.get(f"/staff/messages/{conversation_id}"))
    [(address, attachment_id, alt)] = IMAGE.findall(page)
    assert alt == "Image the patient sent: attachment 1"
    assert f'href="/staff/messages/attachments/{attachment_id}">Download rash photo.png' in page

    response = nurse.get(address)
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.data == stored_bytes(app, int(attachment_id)) != original
    assert b"Orchard" not in response.data  # the re-encoded copy, without the metadata
    assert response.headers["Content-Disposition"] == \
        f'inline; filename="attachment-{attachment_id}.png"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    [export] = audit_trail.rows("message_attachment.exported")
    assert (export.patient_id, export.object_id) == (account.patient_id, attachment_id)
    assert export.detail == f"format: png; bytes: {len(response.data)}"


def test_a_pdf_stays_a_download_with_no_image_address(app, make_account, staff_client,
                                                      audit_trail):
    account = make_account()
    conversation_id = start(app, account.id, [attachments.Upload("letter.pdf", PDF)])
    nurse = staff_client("nurse", direct=True)
    page = page_text(nurse.get(f"/staff/messages/{conversation_id}"))
    assert "<img" not in page.split('class="message-list"')[1].split("</ol>")[0]
    [attachment_id] = re.findall(r'href="/staff/messages/attachments/(\d+)">Download letter.pdf',
                                 page)
    assert nurse.get(f"/staff/messages/attachments/{attachment_id}/image").status_code == 404
    assert audit_trail.rows("message_attachment.exported") == []
    download = nurse.get(f"/staff/messages/attachments/{attachment_id}")
    assert download.headers["Content-Disposition"].startswith("attachment; ")


def test_a_patient_cannot_fetch_the_image_their_own_or_another_s(
        app, make_account, patient_client, audit_trail):
    robin = make_account()
    conversation_id = start(app, robin.id, [attachments.Upload("rash.png", photo_with_metadata())])
    with app.app_context():
        attachment_id = db.session.scalar(select(MessageAttachment.id))
    make_account(username="sam", account_number="T-2002", first_name="Sam", last_name="Ortega",
                 email="sam.ortega@example.com")
    for username in ("robin", "sam"):
        browser = patient_client(username)
        response = browser.get(f"/staff/messages/attachments/{attachment_id}/image")
        assert response.status_code in (302, 403, 404)
        assert not response.data.startswith(b"\x89PNG")
    # Sam's own download address does not reach Robin's file either.
    assert browser.get(f"/messages/attachments/{attachment_id}").status_code == 404
    assert audit_trail.rows("message_attachment.exported") == []
    assert conversation_id
