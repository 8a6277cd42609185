"""The SQLite schema of the embedded store, its connections and its migrations.

Rules:
- Every connection runs in WAL mode with ``synchronous=FULL`` (a commit is on
  disk before it returns), foreign keys on and a busy timeout, in autocommit
  mode: transactions are opened explicitly (``BEGIN`` / ``BEGIN IMMEDIATE``).
- The schema version lives in the ``meta`` table; ``MIGRATIONS[n]`` brings a
  database from version n to n+1, so an old data directory is upgraded in place
  when it is opened. Never edit a shipped migration: add a new one.
- User and mailbox ids are AUTOINCREMENT: an id is never reused, so a session
  still holding the id of a deleted mailbox (or user) can never reach another.
- Blob reference counts are kept by triggers on ``messages``, so every way of
  removing a message (DELETE, cascade from a mailbox or a user) releases its
  blob; rows with ``refcount <= 0`` are collected at the end of each write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

BUSY_TIMEOUT = 30.0  # seconds another process (the CLI, say) may hold the write lock

_V1 = """
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL
);
CREATE TABLE mailboxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    uidnext INTEGER NOT NULL DEFAULT 1,
    highestmodseq INTEGER NOT NULL DEFAULT 1,
    first_recent_uid INTEGER NOT NULL DEFAULT 1,
    special_use TEXT NOT NULL DEFAULT '',
    noselect INTEGER NOT NULL DEFAULT 0,
    UNIQUE (user_id, name)
);
CREATE TABLE subscriptions (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    PRIMARY KEY (user_id, name)
) WITHOUT ROWID;
CREATE TABLE blobs (
    id TEXT PRIMARY KEY,
    refcount INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL,
    envelope BLOB NOT NULL,
    body BLOB NOT NULL,
    bodystructure BLOB NOT NULL,
    structure TEXT NOT NULL
);
CREATE INDEX blobs_unreferenced ON blobs (id) WHERE refcount <= 0;
CREATE TABLE messages (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    blob_id TEXT NOT NULL REFERENCES blobs(id),
    flags TEXT NOT NULL DEFAULT '',
    modseq INTEGER NOT NULL,
    internaldate TEXT NOT NULL,
    size INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX messages_modseq ON messages (mailbox_id, modseq);
CREATE INDEX messages_blob ON messages (blob_id);
CREATE TABLE expunged (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid INTEGER NOT NULL,
    modseq INTEGER NOT NULL,
    PRIMARY KEY (mailbox_id, uid)
) WITHOUT ROWID;
CREATE INDEX expunged_modseq ON expunged (mailbox_id, modseq);
CREATE TABLE keywords (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    name TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (mailbox_id, name)
) WITHOUT ROWID;
CREATE TRIGGER messages_ref AFTER INSERT ON messages BEGIN
    UPDATE blobs SET refcount = refcount + 1 WHERE id = NEW.blob_id;
END;
CREATE TRIGGER messages_unref AFTER DELETE ON messages BEGIN
    UPDATE blobs SET refcount = refcount - 1 WHERE id = OLD.blob_id;
END;
"""


def _statements(script: str) -> list[str]:
    """Split a script at top-level semicolons (trigger bodies end with ``END;``)."""
    out: list[str] = []
    current = ""
    for line in script.strip().splitlines(keepends=True):
        current += line
        stripped = line.strip()
        in_trigger = current.lstrip().startswith("CREATE TRIGGER")
        if stripped.endswith(";") and (not in_trigger or stripped == "END;"):
            out.append(current.strip())
            current = ""
    return out


def _migrate_0_to_1(conn: sqlite3.Connection) -> None:
    for statement in _statements(_V1):
        conn.execute(statement)
    conn.execute("INSERT INTO meta (key, value) VALUES ('uidvalidity', 0)")


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migrate_0_to_1]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path) -> sqlite3.Connection:
    """A connection with the store's settings (autocommit; usable from any one thread)."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA trusted_schema = OFF")
    return conn


def initialise(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL and bring its schema to ``SCHEMA_VERSION``."""
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise RuntimeError(f"cannot enable WAL mode (got {mode})")
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = _current_version(conn)
        if version > SCHEMA_VERSION:
            raise RuntimeError(
                f"database schema {version} is newer than this roost ({SCHEMA_VERSION})"
            )
        for step in MIGRATIONS[version:]:
            step(conn)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('schema_version', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (SCHEMA_VERSION,),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _current_version(conn: sqlite3.Connection) -> int:
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    ).fetchone()
    if not exists:
        return 0
    row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0
