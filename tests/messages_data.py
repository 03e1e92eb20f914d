"""What the message tests share: the patient's compose step (with its submission key and
attachments sent as a multipart body) and the default topic a question goes to."""

import io
import re

from conftest import csrf_token
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

KEY = re.compile(r'name="submission_key"[^>]*value="([^"]+)"')


def question(topics):
    return topics["Question for my care team"]


def multipart(browser, url, data):
    """A multipart POST with its body built here: the test client would spool a large body to
    a temporary file it leaves open when the app answers 413. Files are (bytes, name) or
    (bytes, name, declared type)."""
    fields = {name: value for name, value in data.items() if name != "attachments"}
    files = [("attachments", FileStorage(io.BytesIO(content), *rest))
             for content, *rest in data.get("attachments", ())]
    boundary, body = encode_multipart(MultiDict([*fields.items(), *files]))
    return browser.post(url, data=body, content_type=f"multipart/form-data; boundary={boundary}")


def compose(browser, topic_id, files=(), key=None, **fields):
    """Open the message step for `topic_id` and send it: the response to the POST."""
    page = browser.get(f"/messages/new?topic={topic_id}")
    assert page.status_code == 200
    data = {"csrf_token": csrf_token(browser, f"/messages/new?topic={topic_id}"),
            "submission_key": key or KEY.search(page.get_data(as_text=True)).group(1),
            "topic": str(topic_id), "subject": "Knee pain", "body": "My knee hurts when I walk.",
            **fields}
    return multipart(browser, "/messages/new", {**data, "attachments": files})
