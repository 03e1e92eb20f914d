"""Column types shared by the models."""

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

# A 64-bit key on PostgreSQL; SQLite only auto-increments a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator):
    """A moment in time, stored as naive UTC and always read back as an aware UTC datetime.

    SQLite keeps no time zone, PostgreSQL does; storing naive UTC on both means the two
    databases return the same values and comparisons never mix naive with aware.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow():
    """The current time in UTC, aware (freezegun controls it in tests)."""
    return datetime.now(UTC)
