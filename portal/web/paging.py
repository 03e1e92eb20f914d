"""The page number a list page asks for, read from `?page=` in one place."""

from flask import request

# Far past any list, and within every database's integers; services/paging.page_of then
# clamps it to the list's own last page.
LAST_PAGE = 100_000


def requested_page():
    """The `?page=` of the request as a number in 1..LAST_PAGE (1 when missing or not a
    number); pass it to a service that returns paging.page_of."""
    return min(max(request.args.get("page", 1, type=int), 1), LAST_PAGE)
