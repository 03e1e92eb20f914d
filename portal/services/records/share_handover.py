"""Handing a share's link over to the provider (issue 21, part 6): a one-page share sheet to
print (the link as text and as a QR code) and the link emailed to the provider's address.

The link's token is never stored (shares.py keeps its keyed hash), so the link cannot be
rebuilt later: both are offered right after the share is made. That page carries the token
back in a hidden field of its two forms, and handed_over_share() accepts it only for the
patient's own working share whose hash it matches. The access code is on neither: the patient
tells it separately, and the link alone opens nothing.

The email names the practice and "a patient", never who the patient is or what is shared (an
address may be mistyped, and a clinic can tell a condition). Each one is audited, and
rate-limited per patient (services/ratelimit.py "share-email").
"""

import segno
from flask_babel import gettext as _

from .. import audit, ratelimit
from ..mail import send_email
from . import shares

EMAIL_BUCKET = "share-email"


def handed_over_share(patient_id, share_id, token):
    """(share, problem) for a hand-over asked of the patient's share `share_id` with the
    link's `token`: problem is None when the share is theirs, still working and the token is
    its own; "not found" for another patient's share or a wrong token; else the share's
    state ("expired", "revoked", "locked")."""
    share = shares.patient_share(patient_id, share_id)
    if share is None or not shares.link_matches(share, token):
        return None, "not found"
    problem = shares.state(share)
    return share, (None if problem == "active" else problem)


def qr_code(link):
    """The link as a QR code, an SVG `data:` URL for an <img> (the page's CSP allows data:
    images; the picture holds nothing but the link)."""
    return segno.make(link, error="m").svg_data_uri(scale=4, border=4)


def email_link(share, token, address, origin):
    """Email the share's link to the provider's `address` (already checked by the form): a
    notice with the practice's name, the link and until when, no health information and no
    code. Audited (the address's domain only). The caller commits. Raises
    ratelimit.RateLimited past the patient's limit, counting nothing then."""
    ratelimit.hit(EMAIL_BUCKET, f"patient:{share.patient_id}")
    send_email(address, _("A patient shared health records with you"), "record_share_link",
               link=shares.link_url(token), expires_at=share.expires_at)
    audit.record("record_share.link_emailed", origin, patient_id=share.patient_id,
                 object_type="record_share", object_id=share.id,
                 detail=f"to an address at {address.rpartition('@')[2].lower()}")


def email_limit():
    """(emails, minutes): how many links a patient may email in how many minutes."""
    return ratelimit.LIMITS[EMAIL_BUCKET], int(ratelimit.WINDOW.total_seconds() // 60)
