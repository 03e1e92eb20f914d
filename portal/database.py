"""SQLite connection settings: WAL, foreign keys, a busy timeout and immediate write locks."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

SQLITE_BUSY_TIMEOUT_MS = 5000


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record):
    """Set the pragmas every SQLite connection needs; other databases are left alone."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Let SQLAlchemy issue BEGIN itself (below) instead of pysqlite's implicit transactions.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_immediate(connection):
    """Take SQLite's write lock at the start of each transaction.

    A deferred transaction that reads and then writes cannot wait for the lock (busy_timeout
    does not apply to that upgrade), so under several gunicorn workers it would fail with
    "database is locked". Transactions here are short, so taking the lock up front costs little.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
