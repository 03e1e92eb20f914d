"""Pages of a list: a count and one query for the rows, whatever the number of rows."""

import functools
import math
from dataclasses import dataclass

from sqlalchemy import func, select

from .. import database
from ..extensions import db


@dataclass
class Page:
    """One page of rows, shaped like Flask-SQLAlchemy's Pagination for the pager macro."""

    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self):
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def has_prev(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.pages

    @property
    def prev_num(self):
        return self.page - 1

    @property
    def next_num(self):
        return self.page + 1


@functools.lru_cache(maxsize=64)
def _count_statement(statement):
    # A statement built once (a module's) gets its count built once too; one built for a
    # request only passes through (a statement is hashed by identity).
    return select(func.count()).select_from(statement.order_by(None).subquery())


def count_of(statement, params=None):
    """How many rows a select would return (`params`: values of its bound parameters)."""
    return database.read(_count_statement(statement), params).scalar()


def page_of(statement, page, per_page, scalars=False, total=None, params=None, columns=False):
    """A Page of a select: its rows (or, with `scalars`, its first entity), a count (unless
    the caller knows `total`) and one query. `params` gives the values of the select's bound
    parameters (a statement built once). `columns`: the select reads columns, not model
    objects, so it runs on the session's connection (database.read), without the ORM.

    The one page clamp: `page` below 1 is page 1, and a page past the last one (a number
    typed into the URL) is an empty page, asked of no query, so a huge number never reaches
    the OFFSET (where it would overflow). The page keeps its number: the list pages say
    "There is nothing on this page" and link back to the first. Page 1 always runs its query,
    so a list costs the same statements whether it has rows or not."""
    if total is None:
        total = count_of(statement, params)
    page = max(1, page or 1)
    if page > 1 and (page - 1) * per_page >= total:
        return Page([], page, per_page, total)
    statement = statement.limit(per_page).offset((page - 1) * per_page)
    result = database.read(statement, params) if columns else db.session.execute(statement, params)
    return Page(result.scalars().all() if scalars else result.all(), page, per_page, total)
