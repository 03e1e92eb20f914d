"""What people type, read back the one way: a chart's account number and a date.

Staff search charts and the audit log by them, and a patient proves who they are with them
(enrollment's identity check), so each is read here once. A base service: it imports no
other service.
"""

from datetime import datetime

DATE_FORMATS = ("%m/%d/%Y", "%m-%d-%Y", "%Y-%m-%d", "%m/%d/%y")


def normalize_account_number(value):
    """An account number as stored: trimmed, upper case."""
    return (value or "").strip().upper()


def parse_date(text):
    """A date typed as MM/DD/YYYY, MM-DD-YYYY or YYYY-MM-DD; None when it is not one."""
    text = (text or "").strip()
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
