"""PDF timings for make bench, against the running gunicorn and its throwaway database.

Usage: bench_pdf.py render RUNS
       bench_pdf.py serve BASE_URL PATIENT_COOKIE STAFF_COOKIE GUNICORN_PID

render:
1. Render and seal, warm, in this process: the demo patient's portal consent, as signing
   renders it (WeasyPrint, then the pyHanko seal). Issue 8 asks for a median <= 200 ms.
   bench.sh runs it before the load: after a minute of both cores at full load this machine
   runs about a quarter slower for a while, which measures the host, not the code.
serve:
2. 200 signatures through gunicorn, as the patient signs (GET the page, POST the form), then
   the resident memory of each worker. Issue 8 asks for < 150 MB after 200 renders. A consent
   that is current is not signed again (issue 21), so the patient signs 200 optional consents
   made here with the portal consent's text, each once.
3. Batch print of those 200 stored consents by staff: a first page that lists them, then the
   stored PDFs joined as they are. Issue 8 asks for <= 3 s.
Prints PROBLEM lines and exits 1 when a promise is not kept.
"""

import os
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from datetime import date

from bench_sign_in import browser_headers

CSRF = re.compile(r'name="csrf_token"[^>]*? value="([^"]+)"')
KEY = re.compile(r'id="submission_key" name="submission_key" type="hidden" value="([^"]+)"'
                 r'|name="submission_key" type="hidden" value="([^"]+)"')
VERSION = re.compile(r'name="version_id" value="(\d+)"')
SIGNATURES = 200
problems = []


def render_and_seal(runs):
    """Times the warm render and seal of the portal consent, as signing makes it."""
    from portal import create_app
    from portal.extensions import db
    from portal.models import Patient, Signature
    from portal.models.types import utcnow
    from portal.services.consents import documents, signing
    from portal.services.practice import get_practice

    app = create_app()
    with app.test_request_context():
        patient = db.session.query(Patient).filter_by(account_number="DEMO-1001").one()
        document, version = documents.portal_consent()
        practice = get_practice()
        now = utcnow()
        signature = Signature(
            patient_id=patient.id, document_id=version.document_id, version_id=version.id,
            version_sha256=version.sha256, kind="consent", method="online",
            values={"answers": {}, "attestations": []}, signer_name=patient.full_name,
            signer_role="patient", signed_at=now, signed_at_local=now.isoformat(),
            time_zone=practice.time_zone, ip_address="127.0.0.1", user_agent="bench",
            verification_code=signing.new_verification_code(), drawn_signature=None)
        started = time.perf_counter()
        signing.signed_pdf(signature, patient, version, practice, recorded_at=now)
        cold = (time.perf_counter() - started) * 1000
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            pdf = signing.signed_pdf(signature, patient, version, practice, recorded_at=now)
            times.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    median = statistics.median(times)
    print(f"  render + seal, the portal consent ({len(pdf) / 1024:.0f} KiB): cold {cold:.0f} ms; "
          f"warm median {median:.1f} ms, min {min(times):.1f}, max {max(times):.1f} ({runs} runs)")
    if median > 200:
        problems.append(f"render + seal median {median:.0f} ms is over 200 ms")


def _open(base, path, cookie, data=None):
    request = urllib.request.Request(base + path, headers=browser_headers(cookie))  # noqa: S310
    if data is not None:
        request.data = urllib.parse.urlencode(data, doseq=True).encode()
    return urllib.request.urlopen(request)  # noqa: S310 - loopback only


def bench_consents(count):
    """The ids of COUNT optional consents with the portal consent's text, published through
    the admin's service, for the demo patient to sign each once."""
    from portal import create_app
    from portal.extensions import db
    from portal.services import audit
    from portal.services.consents import documents

    with create_app().app_context():
        _document, portal_version = documents.portal_consent()
        ids = []
        for number in range(count):
            version = documents.new_document("consent", f"Bench consent {number + 1}",
                                             audit.SYSTEM)
            documents.update_draft(version, body=portal_version.body)
            documents.publish(version, audit.SYSTEM)
            ids.append(version.document_id)
        db.session.commit()
        return ids


def sign_many(base, cookie, document_ids):
    """The demo patient signs each consent once through gunicorn."""
    times = []
    for document_id in document_ids:
        path = f"/consents/{document_id}/sign"
        page = _open(base, path, cookie).read().decode()
        key = next(group for group in KEY.search(page).groups() if group)
        form = {"csrf_token": CSRF.search(page).group(1), "submission_key": key,
                "version_id": VERSION.search(page).group(1), "legal_name": "Avery Lindqvist",
                "agree": "y"}
        started = time.perf_counter()
        answer = _open(base, path, cookie, form)
        times.append((time.perf_counter() - started) * 1000)
        if "/consents?signed=" not in answer.geturl():
            problems.append(f"signing answered {answer.geturl()}")
            return
    print(f"  {SIGNATURES} signatures through gunicorn: median {statistics.median(times):.0f} ms "
          f"per signing request (render, seal, store), max {max(times):.0f} ms")


def worker_memory(master_pid):
    with open(f"/proc/{master_pid}/task/{master_pid}/children") as listed:
        children = [int(pid) for pid in listed.read().split()]
    for pid in children:
        with open(f"/proc/{pid}/status") as status:
            rss_kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        print(f"  gunicorn worker {pid}: {rss_kb / 1024:.0f} MB resident")
        if rss_kb > 150 * 1024:
            problems.append(f"worker {pid} holds {rss_kb / 1024:.0f} MB (over 150 MB)")


def batch_print(base, cookie):
    page = _open(base, "/staff/consents/batch", cookie).read().decode()
    today = date.today()
    form = {"csrf_token": CSRF.search(page).group(1),
            "first-month": "01", "first-day": "01", "first-year": str(today.year - 1),
            "last-month": "12", "last-day": "31", "last-year": str(today.year + 1)}
    started = time.perf_counter()
    answer = _open(base, "/staff/consents/batch", cookie, form)
    pdf = answer.read()
    seconds = time.perf_counter() - started
    pages = pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page>>") + pdf.count(b"/Type /Page>>")
    print(f"  batch print of every consent: {seconds:.2f} s, {len(pdf) / 1024 / 1024:.1f} MiB"
          f"{f', about {pages} pages' if pages else ''}")
    if not pdf.startswith(b"%PDF-"):
        problems.append("batch print did not answer a PDF")
    if seconds > 3:
        problems.append(f"batch print took {seconds:.1f} s (over 3 s)")


def serve(base, patient_cookie, staff_cookie, master_pid):
    sign_many(base, patient_cookie, bench_consents(SIGNATURES))
    worker_memory(int(master_pid))
    batch_print(base, staff_cookie)


def main(mode, *arguments):
    if mode == "render":
        render_and_seal(int(arguments[0]))
    else:
        serve(*arguments)
    for problem in problems:
        print(f"  PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    os.environ.setdefault("PORTAL_ENV", "development")
    sys.exit(main(*sys.argv[1:]))
