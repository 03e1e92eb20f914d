"""Uploads that cannot exhaust the server (issue 19, part 3): an image's size is read before it
is decoded, so a 642 KB picture of 13000 x 13000 pixels is refused at once, in a message and in
a published document; an uploaded PDF loses its scripts, actions and embedded files before it
is stored, and one that cannot be read is refused. Both upload paths go through
services/uploads.clean_upload."""

import functools
import io
import re
import struct
import time
import zlib

import pikepdf
import pytest
from conftest import csrf_token
from messages_data import KEY, compose, question
from PIL import Image
from records_data import DOCUMENT, PDF, entries, post_entry_form, published_id, text
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.extensions import db
from portal.models import MessageAttachment, Practice, RecordEntry
from portal.services.practice import PRACTICE_ID

MB = 1024 * 1024


@functools.cache
def zero_png(width=13000, height=13000):
    """An all-zero RGB PNG of width x height, its chunks written here with zlib a row at a
    time (never the whole picture in memory): 13000 x 13000 compresses to about 500 KB and
    would take more than 600 MB decoded."""
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    packer, row, parts = zlib.compressobj(9), b"\x00" * (1 + 3 * width), []
    for _ in range(height):
        parts.append(packer.compress(row))
    parts.append(packer.flush())
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def peak_growth(action):
    """(what action() returned, seconds it took, how far the process's peak resident memory
    rose above what it held before, in bytes). The peak (VmHWM) is reset first, so an image
    decoded inside `action` shows however high earlier tests went."""
    def status(field):
        with open("/proc/self/status") as lines:
            return next(int(line.split()[1]) * 1024 for line in lines if line.startswith(field))

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # reset the peak resident set size to the current one
    before = status("VmRSS:")
    started = time.perf_counter()
    result = action()
    return result, time.perf_counter() - started, status("VmHWM:") - before


def test_the_bomb_is_a_real_one():
    """The picture the refusal tests send is what the issue measured: under 1 MB on the wire,
    169 megapixels, a valid PNG Pillow would decode."""
    data = zero_png()
    assert len(data) < MB
    with pytest.warns(Image.DecompressionBombWarning), Image.open(io.BytesIO(data)) as image:
        assert image.size == (13000, 13000) and image.format == "PNG"
    with Image.open(io.BytesIO(zero_png(300, 200))) as small:  # the same writer, decoded
        small.load()
        assert small.getextrema() == ((0, 0), (0, 0), (0, 0))


# -- messages ------------------------------------------------------------------------------

@pytest.fixture
def sender(make_account, patient_client):
    make_account()
    return patient_client("robin")


def attachments(app):
    """(bytes, size recorded) of every stored attachment."""
    with app.app_context():
        return [(row.data, row.size) for row in db.session.scalars(select(MessageAttachment))]


def ready_to_send(browser, topic_id, files):
    """The message step opened and its form filled (as compose does): a function that sends
    it and returns the response."""
    page = browser.get(f"/messages/new?topic={topic_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(browser, f"/messages/new?topic={topic_id}"),
            "submission_key": KEY.search(page).group(1), "topic": str(topic_id),
            "subject": "Knee pain", "body": "My knee hurts when I walk."}
    boundary, body = encode_multipart(MultiDict([
        *data.items(), *[("attachments", FileStorage(io.BytesIO(content), name))
                         for content, name in files]]))
    return lambda: browser.post("/messages/new", data=body,
                                content_type=f"multipart/form-data; boundary={boundary}")


def test_a_huge_picture_in_a_message_is_refused_at_once_without_decoding(app, sender, topics):
    send = ready_to_send(sender, question(topics), [(zero_png(), "rash.png")])
    response, seconds, growth = peak_growth(send)  # the POST alone is measured
    assert growth < 200 * MB
    assert seconds < 1
    assert response.status_code == 200
    message = "rash.png is too large a picture (more than 40 megapixels). Save a smaller copy and attach it."
    page = text(response)
    assert f'<a href="#attachments">{message}</a>' in page  # the error summary
    assert re.search(r'<p class="field-error" id="attachments-error">.*' + re.escape(message),
                     page, re.S)
    assert "My knee hurts when I walk." in page  # what was typed is kept
    assert attachments(app) == []


def test_a_picture_of_40_megapixels_is_the_largest_a_message_takes(app, sender, topics):
    refused = compose(sender, question(topics), files=[(zero_png(8001, 5000), "scan.png")])
    assert "scan.png is too large a picture (more than 40 megapixels)." in text(refused)
    assert compose(sender, question(topics),
                   files=[(zero_png(8000, 5000), "scan.png")]).status_code == 302
    [(stored, _)] = attachments(app)
    with Image.open(io.BytesIO(stored)) as image:
        assert image.size == (8000, 5000)


def test_a_pdf_in_a_message_is_stored_without_what_could_run(app, sender, topics):
    response = compose(sender, question(topics), files=[(dangerous_pdf(), "letter.pdf")])
    assert response.status_code == 302, text(response)
    [(stored, size)] = attachments(app)
    assert_harmless_and_readable(stored)
    assert size == len(stored)


@pytest.mark.parametrize("data", [
    b"%PDF-1.7\n" + b"\x00" * 2000,
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
], ids=["zeros", "no-pages"])
def test_a_broken_pdf_in_a_message_is_refused(app, sender, topics, data):
    response = compose(sender, question(topics), files=[(data, "letter.pdf")])
    assert response.status_code == 200
    assert ("letter.pdf could not be read as a PDF. Save it again, without a password, and "
            "attach the new copy.") in text(response)
    assert attachments(app) == []


# -- staff documents -----------------------------------------------------------------------

@pytest.fixture
def patient(app, make_patient):
    with app.app_context():
        if db.session.get(Practice, PRACTICE_ID) is None:
            db.session.add(Practice(id=PRACTICE_ID, name="Maple Street Family Practice"))
            db.session.commit()
    return make_patient(account_number="REC-1")


def test_a_huge_picture_published_as_a_document_is_refused_at_once(app, staff_client, patient):
    nurse = staff_client("nurse", direct=True)
    url = f"/staff/patients/{patient.id}/records/new?category=document"
    boundary, body = encode_multipart({"csrf_token": csrf_token(nurse, url), **DOCUMENT,
                                       "publish": "Publish now",
                                       "file": FileStorage(io.BytesIO(zero_png()), "x-ray.png")})
    response, seconds, growth = peak_growth(lambda: nurse.post(
        url, data=body, content_type=f"multipart/form-data; boundary={boundary}"))
    assert growth < 200 * MB
    assert seconds < 1
    assert response.status_code == 200
    message = ("The image is too large (more than 40 megapixels). Save a smaller copy and "
               "publish it.")
    page = text(response)
    assert f'<a href="#file">{message}</a>' in page
    assert 'value="Chest X-ray report"' in page
    assert entries(app) == []


def test_a_published_pdf_is_stored_without_what_could_run(app, staff_client, patient):
    nurse = staff_client("nurse", direct=True)
    entry_id = published_id(post_entry_form(nurse, patient.id, "document", DOCUMENT,
                                    file=("report.pdf", dangerous_pdf())), patient.id)
    with app.app_context():
        stored = db.session.get(RecordEntry, entry_id)
        assert stored.file_type == "application/pdf" and stored.file_size == len(stored.file_data)
        data = stored.file_data
    assert_harmless_and_readable(data)
    downloaded = nurse.get(f"/staff/patients/{patient.id}/records/{entry_id}/file")
    assert downloaded.status_code == 200 and downloaded.data == data


def test_a_clean_pdf_is_stored_as_it_was_sent(app, staff_client, patient):
    nurse = staff_client("nurse", direct=True)
    entry_id = published_id(post_entry_form(nurse, patient.id, "document", DOCUMENT,
                                    file=("report.pdf", PDF)), patient.id)
    with app.app_context():
        assert db.session.get(RecordEntry, entry_id).file_data == PDF


def test_a_broken_or_locked_pdf_is_not_published(app, staff_client, patient):
    nurse = staff_client("nurse", direct=True)
    locked = io.BytesIO()
    with pikepdf.open(io.BytesIO(dangerous_pdf())) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    for data in (b"%PDF-1.7\n" + b"\x00" * 2000, locked.getvalue()):
        response = post_entry_form(nurse, patient.id, "document", DOCUMENT, file=("report.pdf", data))
        assert response.status_code == 200
        assert ('<a href="#file">The PDF could not be read. Save it again, without a password, '
                'and publish the new copy.</a>') in text(response)
    assert entries(app) == []


# -- the PDF every test sends --------------------------------------------------------------

SCRIPT = b"app.alert('opened')"


def dangerous_pdf():
    """A one-page PDF that says "Chest X-ray report" and carries everything that must go: an
    /OpenAction and a document /AA running JavaScript, a script in the Names tree, a page /AA
    and a link that launch programs, and an embedded file (in the Names tree and as a
    file-attachment annotation)."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(612, 792))
    page = pdf.pages[0].obj
    page.Contents = pdf.make_stream(b"BT /F1 24 Tf 72 700 Td (Chest X-ray report) Tj ET")
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)))

    def script(code):
        return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pdf.make_stream(code))

    def launch(program):
        return pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String(program))

    pdf.Root.OpenAction = script(SCRIPT)
    pdf.Root.AA = pikepdf.Dictionary(WC=script(b"app.alert('closing')"))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=pikepdf.Array([
        pikepdf.String("hello"), pdf.make_indirect(script(b"app.alert('named')"))])))
    pdf.attachments["payload.exe"] = pikepdf.AttachedFileSpec(pdf, b"MZ-embedded-program")
    page.AA = pikepdf.Dictionary(O=launch("calc.exe"))
    filespec = pikepdf.AttachedFileSpec(pdf, b"MZ-annotated-program", filename="b.exe")
    page.Annots = pdf.make_indirect(pikepdf.Array([
        pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link,
                                             Rect=[0, 0, 100, 100], A=launch("cmd.exe"))),
        pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Annot,
                                             Subtype=pikepdf.Name.FileAttachment,
                                             Rect=[0, 0, 20, 20], FS=filespec.obj)),
    ]))
    out = io.BytesIO()
    pdf.save(out, compress_streams=False)  # the script and the files readable in the bytes
    data = out.getvalue()
    assert_dangerous(data)
    return data


def every_object(pdf):
    """Every dictionary and stream the file holds, read back by pikepdf, and every one
    written inside another."""
    found, stack = [], list(pdf.objects)
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            found.append(item)
            stack.extend(value for key, value in item.items()
                         if isinstance(value, pikepdf.Object) and not value.is_indirect
                         and key != "/Parent")
        elif isinstance(item, pikepdf.Array):
            stack.extend(value for value in item
                         if isinstance(value, pikepdf.Object) and not value.is_indirect)
    return found


def dangers(data):
    """What of the dangerous parts a PDF still holds, by name."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        found = set()
        names = pdf.Root.get("/Names", pikepdf.Dictionary())
        for key in ("/OpenAction", "/AA"):
            if key in pdf.Root:
                found.add(key)
        for key in ("/JavaScript", "/EmbeddedFiles"):
            if key in names:
                found.add(key)
        if len(pdf.attachments):
            found.add("attachments")
        for item in every_object(pdf):
            if "/AA" in item:
                found.add("/AA")
            if "/JS" in item or item.get("/S") == pikepdf.Name.JavaScript:
                found.add("script")
            if item.get("/S") == pikepdf.Name.Launch:
                found.add("/Launch")
            if "/EF" in item or item.get("/Type") == pikepdf.Name.EmbeddedFile:
                found.add("embedded file")
            if item.get("/Subtype") == pikepdf.Name.FileAttachment:
                found.add("file annotation")
    for raw in (SCRIPT, b"MZ-embedded-program", b"MZ-annotated-program"):
        if raw in data:
            found.add(raw.decode())
    return found


def assert_dangerous(data):
    """The test PDF holds what it should (so the clean one's test can fail)."""
    assert dangers(data) == {"/OpenAction", "/AA", "/JavaScript", "/EmbeddedFiles", "attachments",
                             "script", "/Launch", "embedded file", "file annotation",
                             SCRIPT.decode(), "MZ-embedded-program", "MZ-annotated-program"}


def assert_harmless_and_readable(data):
    """Nothing dangerous is left, and the page still reads "Chest X-ray report"."""
    assert dangers(data) == set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert len(pdf.pages) == 1
        assert b"(Chest X-ray report) Tj" in pdf.pages[0].Contents.read_bytes()
