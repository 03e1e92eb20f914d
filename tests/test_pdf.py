"""The PDF service: US Letter pages under the practice letterhead, a page count on every page,
archival PDF/A-3b, read back with pypdf and pdftotext as a person or an archive would."""

import base64
import http.server
import io
import logging
import subprocess
import threading

import jinja2
import pikepdf
import pytest
from PIL import Image
from pypdf import PdfReader

from portal.services import pdf as pdf_service
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


# -- nothing from outside (issue 19) ----------------------------------------------------------

class Recorder(http.server.BaseHTTPRequestHandler):
    """A web server that answers every request with a small PNG and writes down its path."""

    requests = []

    def do_GET(self):  # noqa: N802 - http.server's name
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(png(40, 30))

    def log_message(self, *args):
        pass


def png(width, height):
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def web_server():
    """http://127.0.0.1:<port>: a server on this machine that records what is asked of it."""
    Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def image_sizes(pdf):
    """(width, height) of every image the PDF draws."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        return sorted((int(image.Width), int(image.Height))
                      for page in document.pages for image in page.get_images().values())


def test_a_pdf_loads_only_the_portals_static_files_and_data_urls(app, practice, web_server,
                                                                   tmp_path, caplog):
    local_png = tmp_path / "private.png"
    local_png.write_bytes(png(50, 20))
    inline = base64.b64encode(png(60, 10)).decode()
    outside = [f"{web_server}/image.png", f"{web_server}/style.css", f"{web_server}/background.png",
               "file:///etc/hostname", local_png.as_uri(), f"{web_server}/static/img/favicon.ico",
               "/static/../__init__.py", "/static/%2e%2e/config.py"]
    markup = f"""{{% extends "pdf/base.html" %}}{{% block body %}}
        <link rel="stylesheet" href="{web_server}/style.css">
        <p style="background: url({web_server}/background.png)">Background</p>
        <img src="file:///etc/hostname" alt="host"> <img src="{local_png.as_uri()}" alt="local">
        <img src="{web_server}/image.png" alt="web">
        <img src="{web_server}/static/img/favicon.ico" alt="another host's static file">
        <img src="/static/../__init__.py" alt="climbing"> <img src="/static/%2e%2e/config.py" alt="climbing">
        <img src="/static/img/favicon.ico" alt="the portal's icon">
        <img src="data:image/png;base64,{inline}" alt="inline">
        {{% endblock %}}"""
    app.jinja_loader = jinja2.ChoiceLoader([jinja2.DictLoader({"pdf/fetching.html": markup}),
                                            app.jinja_loader])
    with app.app_context(), caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf("fetching", title="Fetching", practice=get_practice())
    assert Recorder.requests == []
    assert image_sizes(pdf) == [(16, 16), (60, 10)]  # the portal's icon and the data: URL
    refused = [record.getMessage() for record in caplog.records
               if "a PDF loads only the portal's own static files" in record.getMessage()]
    for url in outside:
        assert any(url.split("/")[-1] in message for message in refused), url


def test_the_fetcher_serves_a_static_file_and_refuses_the_rest(app):
    with app.app_context():
        fetcher, base = pdf_service.url_fetcher()
    assert base == "http://portal.test/"
    icon = fetcher.fetch("http://portal.test/static/img/favicon.ico")
    assert icon.read()[:4] == b"\x00\x00\x01\x00" and icon.content_type == "image/vnd.microsoft.icon"
    for url in ("file:///etc/hostname", "http://127.0.0.1/static/img/favicon.ico",
                "https://portal.test/static/img/favicon.ico", "http://portal.test/static/",
                "http://portal.test/static/../../etc/hostname", "http://portal.test/static/nope.png",
                "http://portal.test/static/img/favicon.ico?x=1", "ftp://portal.test/static/x"):
        with pytest.raises(ValueError, match="only the portal's own static files"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain;base64,aGk=").read() == b"hi"
