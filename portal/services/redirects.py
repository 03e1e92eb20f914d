"""Where to go after sign-in: only paths on this site, never another host."""

from urllib.parse import urlsplit


def safe_next(target, fallback):
    """`target` when it is a plain local path ("/staff/patients"), else `fallback`."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return fallback
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return fallback
    return target
