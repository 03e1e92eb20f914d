"""URL converters. `<int:...>` in every route is an id: IdConverter takes only what a row's id
can be (1 to access.LARGEST_ID), so a larger number, 0 or one past 64 bits is a plain 404 at
routing, before any view, guard or query sees it. No route needs its own range check."""

import re

from flask import redirect, request, url_for
from werkzeug.routing import IntegerConverter

from ..services.access import LARGEST_ID


class IdConverter(IntegerConverter):
    """`<int:name>` in this app: a positive id of at most LARGEST_ID (a 32-bit id on
    PostgreSQL), written with at most as many digits as LARGEST_ID has."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 - werkzeug's own name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", LARGEST_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app):
    """Make IdConverter the `int` converter: before any blueprint adds its rules."""
    app.url_map.converters["int"] = IdConverter


def keep_old_url(bp, old_rule, endpoint):
    """Keep a URL that moved working: a GET of `old_rule` (an emailed or bookmarked link)
    redirects permanently to `endpoint` with the same path values and query string. Its own
    endpoint is named "old_" and the old path, so checks over the URL map can tell it apart."""

    def moved(**values):
        target = url_for(endpoint, **values)
        if request.query_string:
            target += "?" + request.query_string.decode("ascii", "replace")
        return redirect(target, 301)

    bp.add_url_rule(old_rule, "old" + re.sub(r"\W+", "_", old_rule), moved, methods=["GET"])
