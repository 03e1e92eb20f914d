"""The PDF service: US Letter pages under the practice letterhead, a page count on every page,
archival PDF/A-3b, read back with pypdf and pdftotext as a person or an archive would."""

import io
import subprocess

import pytest
from pypdf import PdfReader

from portal.services.pdf import render_pdf
from portal.services.practice import get_practice, update_practice

LETTER_POINTS = (612, 792)  # 8.5 x 11 inches


@pytest.fixture
def practice(app):
    from portal.extensions import db

    with app.app_context():
        update_practice(get_practice(), {
            "name": "Maple & Oak Family Medicine", "address_line1": "12 Orchard Lane",
            "city": "Springfield", "state": "IL", "postal_code": "62701",
            "mailing_address": "PO Box 19\nSpringfield, IL 62705", "phone": "555-201-0100"})
        db.session.commit()


def letter(app, paragraphs, title="A letter from the practice"):
    with app.test_request_context():
        return render_pdf("letter", title=title, practice=get_practice(),
                          paragraphs=paragraphs)


def text_of(pdf):
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def test_a_letter_is_one_letter_page_with_letterhead_and_page_count(app, practice):
    pdf = letter(app, ["Your activation code is below."])
    reader = PdfReader(io.BytesIO(pdf))
    assert pdf.startswith(b"%PDF-") and len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == LETTER_POINTS
    [text] = text_of(pdf)
    for expected in ("Maple & Oak Family Medicine", "12 Orchard Lane", "Springfield, IL 62701",
                     "Mailing address: PO Box 19, Springfield, IL 62705", "555-201-0100",
                     "A letter from the practice", "Your activation code is below.", "Page 1 of 1"):
        assert expected in text, expected
    assert reader.metadata.title == "A letter from the practice"


def test_long_documents_count_their_pages_on_every_page(app, practice):
    pdf = letter(app, [f"Paragraph {n}: " + "words " * 60 for n in range(1, 40)])
    pages = text_of(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in text
        assert "Maple & Oak Family Medicine" in text  # the footer names the practice


def test_output_is_archival_pdf_a_3b(app, practice):
    reader = PdfReader(io.BytesIO(letter(app, ["Kept for the chart."])))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "pdfaid:part" in xmp and "3" in xmp.split("pdfaid:part")[1][:10]
    assert "pdfaid:conformance" in xmp


def test_text_is_escaped_not_interpreted(app, practice):
    [text] = text_of(letter(app, ["<b>not bold</b> & <script>x</script>"]))
    assert "<b>not bold</b> & <script>x</script>" in text


def test_pdftotext_reads_it_as_a_person_would(app, practice, tmp_path):
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter(app, ["Three steps in plain words."]))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Three steps in plain words." in text and "Maple & Oak Family Medicine" in text


def test_a_documents_own_footer_is_printed_as_written_on_every_page(app, practice):
    footer = 'O\'Brien "Bo" } { \\ <b> & Co'
    with app.test_request_context():
        pdf = render_pdf("letter", title="A letter", practice=get_practice(), footer=footer,
                         paragraphs=[f"Paragraph {n}: " + "words " * 60 for n in range(1, 40)])
    pages = text_of(pdf)
    assert len(pages) >= 2
    for number, text in enumerate(pages, start=1):
        assert footer in text and f"Page {number} of {len(pages)}" in text
