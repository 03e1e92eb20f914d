"""Database connection rules: SQLite settings and the write lock, and per-key write locks.

SQLite: WAL, foreign keys and a busy timeout on every connection. Reads run without an open
transaction, so they never wait for a writer; the first write of a transaction starts it with
BEGIN IMMEDIATE, taking the write lock at once (waiting up to busy_timeout for it). A plain
deferred transaction that first reads and then writes could not wait for the lock: SQLite
answers "database is locked" at once in that case, which under several gunicorn workers turns
into errors.
"""

import hashlib
import os

from sqlalchemy import event, text

from .extensions import db

SQLITE_BUSY_TIMEOUT_MS = 5000
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")


def protect_sqlite_file(uri):
    """Make the SQLite database file owner-only (0600) before SQLite first opens it.

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    Other databases (PostgreSQL) and in-memory SQLite are left alone.
    """
    prefix = "sqlite:///"
    if not uri.startswith(prefix):
        return
    path = uri[len(prefix):].split("?", 1)[0]
    if not path or path == ":memory:":
        return
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_CREAT, 0o600)
    except FileNotFoundError:  # no such folder: SQLite will say so when it connects
        return
    try:
        os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def init_app(app):
    """Apply these rules to the app's database engine (create_app calls it after db)."""
    with app.app_context():
        for engine in db.engines.values():
            event.listen(engine, "connect", _configure_sqlite)
            event.listen(engine, "before_cursor_execute", _lock_before_first_write)


def read(statement, params=None):
    """Run a SELECT of columns (not of model objects) on the session's connection: the ORM's
    own handling of a statement costs about as much again as running a small one, and a home
    page runs four. Changes pending in the session are flushed first, as autoflush would."""
    session = db.session
    if session.new or session.dirty or session.deleted:
        session.flush()
    return session.connection().execute(statement, params)


def _configure_sqlite(dbapi_connection, connection_record):
    """Set the pragmas every SQLite connection needs; other databases are left alone."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Python's sqlite3 would open a deferred transaction before any write; we open our own.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


def _lock_before_first_write(connection, cursor, statement, parameters, context, executemany):
    """On SQLite, open the transaction with BEGIN IMMEDIATE just before its first write."""
    if connection.dialect.name != "sqlite" or not connection.in_transaction():
        return
    if statement.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
        _begin_immediate(connection)


def _begin_immediate(connection):
    driver_connection = connection.connection.driver_connection
    if not driver_connection.in_transaction:
        driver_connection.execute("BEGIN IMMEDIATE")


def keep_now(session):
    """Commit a security record now, in its own transaction: the one place services commit.

    A failed sign-in, a wrong two-step code, security answer or current password, a use of a
    rate-limited page, and the pause any of them starts must stay on record whatever the
    request does next. If they waited for the view's commit, a request that then failed (an
    error, a rollback) would erase them, and someone guessing could make every wrong guess
    fail that way and guess for ever. Services call this only at points where the request
    has written nothing else yet, so the commit carries the record alone; everything else
    is committed once, by the view or command that owns the request.
    """
    session.commit()


def lock_for_write(session, key):
    """Serialise writers that work on the same `key` (an account name, say) until commit.

    SQLite: take the database's write lock now. PostgreSQL: a transaction-scoped advisory
    lock on the key, so two workers cannot both decide from the same stale count.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _begin_immediate(connection)
    elif connection.dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
        connection.execute(text("SELECT pg_advisory_xact_lock(:number)"), {"number": number})
