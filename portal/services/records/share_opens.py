"""A shared record in the provider's browser, and the limits on its downloads (issue 19).

After the right access code, a browser holds a random nonce in its signed session; only the
nonce's keyed hash is kept (share_opens), with the opening's end (OPEN_MINUTES). The
share is open in that browser while the row is: "Close the shared record" closes the row, so a
copy of the cookie kept from before opens nothing. Stopping the share ends every opening at
once (the share's own state is checked first, on every request).

Downloads of the record (the whole-record ZIP; the PDFs and documents) are counted per account
and per share in the database, so the limit holds across gunicorn workers
(services/ratelimit.py "record-zip", "record-pdf").
"""

import secrets
from datetime import timedelta

from sqlalchemy import select

from ...extensions import db
from ...models import RecordShare, RecordShareOpen
from ...models.types import utcnow
from .. import audit, codes, ratelimit
from ..access import LARGEST_ID
from .shares import OPEN_MINUTES, acting_as

_OPEN_PURPOSE = b"portal record share open"


def open_in_browser(share):
    """Open the share in one browser: returns (nonce for its cookie, open until). Only the
    nonce's hash is kept; the caller commits."""
    nonce = secrets.token_urlsafe(32)
    until = utcnow() + timedelta(minutes=OPEN_MINUTES)
    db.session.add(RecordShareOpen(share_id=share.id, open_until=until,
                                   nonce_hash=codes.keyed_hash(nonce, _OPEN_PURPOSE)))
    return nonce, until


def _open_row(share_id, nonce):
    if not isinstance(nonce, str) or not nonce or len(nonce) > 100 or not (
            isinstance(share_id, int) and 0 < share_id <= LARGEST_ID):
        return None
    return db.session.scalar(select(RecordShareOpen).where(
        RecordShareOpen.share_id == share_id, RecordShareOpen.closed_at.is_(None),
        RecordShareOpen.nonce_hash.in_(codes.keyed_hashes(nonce, _OPEN_PURPOSE))))


def is_open(share, nonce):
    """Whether the browser holding `nonce` opened this share with its code, not closed it,
    and within OPEN_MINUTES."""
    row = _open_row(share.id, nonce)
    return row is not None and utcnow() < row.open_until


def close_in_browser(share_id, nonce, origin):
    """Close the share in the browser holding `nonce`, on the server: that nonce never opens
    it again. The caller commits."""
    row = _open_row(share_id, nonce)
    if row is None:
        return False
    row.closed_at = utcnow()
    share = db.session.get(RecordShare, share_id)
    audit.record("record_share.closed", acting_as(share, origin), patient_id=share.patient_id,
                 object_type="record_share", object_id=share.id)
    return True


DOWNLOAD_BUCKETS = {"zip": "record-zip", "pdf": "record-pdf"}


def count_download(kind, actor):
    """Count one download of `kind` ("zip" or "pdf", documents included) by `actor` (the
    patient's account or the share); raises ratelimit.RateLimited over its limit
    (ratelimit.LIMITS)."""
    ratelimit.hit(DOWNLOAD_BUCKETS[kind], f"{actor.kind}:{actor.id}")
