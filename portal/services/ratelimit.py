"""Per-address limits on pages that cost real work or send mail, counted in the database so
they hold across gunicorn workers and restarts.

Each use is a row (bucket, address, time); a use over the limit is refused and not counted,
so waiting out the window always works. A few buckets count per account or per share instead
of per address (record downloads: "patient:12", "share:7" in the address column). Sign-in
has its own, failure-based address limit in services/throttle.py.
"""

from datetime import timedelta

from sqlalchemy import delete, func, select

from ..database import keep_now, lock_for_write
from ..extensions import db
from ..models import RateLimitHit
from ..models.types import utcnow

WINDOW = timedelta(minutes=15)
# Uses per address per 15 minutes. Families and offices share an address, hence some room.
LIMITS = {
    "forgot-username": 10,
    "forgot-password": 10,
    "reset-answer": 20,
    "verify-code": 10,  # the public check of a signed PDF's code: no guessing codes in bulk
    # An activation letter's code, per address (every try), and wrong codes over all
    # addresses (address ""), which stops only addresses that typed a wrong code themselves
    # (services/activation.guess_refused): a fresh address with its letter always gets in.
    # 60 bits at this pace would take longer than the universe has existed.
    "activation-code": 10,
    "activation-code-all": 200,  # wrong codes (activation.record_refused_code counts them)
    # A record share's access code, per address (each share also locks after 10 wrong codes).
    "share-code": 10,
    # Downloads of the health record, per account and per share ("patient:ID", "share:ID" in
    # the address column): the whole-record ZIP, and the PDFs and documents, one by one.
    "record-zip": 10,
    "record-pdf": 60,
    # A share's link emailed to a provider, per patient ("patient:ID"): each is a real email
    # to an address the patient typed (issue 21).
    "share-email": 5,
}


class RateLimited(Exception):
    """Too many uses of this page from this address; answer 429."""


def hit(bucket, ip):
    """Count one use of `bucket` from `ip`, or raise RateLimited when over the limit.

    Kept at once (database.keep_now): a refused or counted use stays counted whatever the
    page does next.
    """
    ip = ip or ""
    lock_for_write(db.session, f"rate:{bucket}:{ip}")
    since = utcnow() - WINDOW
    db.session.execute(delete(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.ip == ip, RateLimitHit.at <= since))
    used = db.session.scalar(select(func.count(RateLimitHit.id)).where(
        RateLimitHit.bucket == bucket, RateLimitHit.ip == ip, RateLimitHit.at > since))
    if used >= LIMITS[bucket]:
        keep_now(db.session)
        raise RateLimited
    db.session.add(RateLimitHit(bucket=bucket, ip=ip))
    keep_now(db.session)


def used(bucket, ip):
    """How many uses of `bucket` from `ip` (or "" for all) fall in the window now."""
    return db.session.scalar(select(func.count(RateLimitHit.id)).where(
        RateLimitHit.bucket == bucket, RateLimitHit.ip == (ip or ""),
        RateLimitHit.at > utcnow() - WINDOW))


def count(bucket, ip):
    """Count one use of `bucket` from `ip` without a limit (the caller decides from used()),
    kept at once like hit()."""
    db.session.execute(delete(RateLimitHit).where(
        RateLimitHit.bucket == bucket, RateLimitHit.ip == (ip or ""),
        RateLimitHit.at <= utcnow() - WINDOW))
    db.session.add(RateLimitHit(bucket=bucket, ip=ip or ""))
    keep_now(db.session)
