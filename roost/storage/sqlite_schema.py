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
- A blob lives while a ``messages`` row names it. A trigger on ``messages``
  notes in ``dead_blobs`` every blob whose last message a DELETE removed (so
  every way of removing a message, cascades from a mailbox or a user
  included, releases its blob); the notes are collected at the end of each
  write. STATUS's per-mailbox counters (``mailbox_counts``) are kept by
  triggers too. (Versions 1 to 3 counted references in ``blobs.refcount``;
  see ``_V4`` for why that column is no longer used.)
- Version 2 adds what big mailboxes need (see ``_V2``); upgrading a version 1
  store fills the new columns from the stored flags and body files.
- Version 3 adds ``blobs.data``: a small message's bytes live in its blob row
  (NULL: in the blob's file), so one COMMIT makes the whole message durable.
  Existing bodies stay in their files.
- Version 4 replaces the reference counts by ``dead_blobs`` (see ``_V4``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path

from roost.mime.searchtext import header_block
from roost.search.sql import FLAG_BITS, INDEX_COLUMNS, index_header
from roost.storage.blobs import BlobFiles

log = logging.getLogger(__name__)

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


# Version 2: what makes big mailboxes fast. ``messages.sysflags`` is the bit mask
# of the system flags (``roost.search.sql.FLAG_BITS``), kept next to ``flags`` by
# every write (a flag test is then one integer operation per row);
# ``message_search`` keeps the decoded, casefolded header columns
# SEARCH runs on (``roost.search.sql.index_header``), one narrow row per
# message; ``mailbox_counts`` keeps STATUS's counters and how many messages
# have their search row, maintained by triggers so that every way of adding or
# removing a row (cascades included) counts.
_V2 = """
ALTER TABLE messages ADD COLUMN sysflags INTEGER NOT NULL DEFAULT 0;
CREATE TABLE message_search (
    mailbox_id INTEGER NOT NULL,
    uid INTEGER NOT NULL,
    s_from TEXT,
    s_to TEXT,
    s_cc TEXT,
    s_bcc TEXT,
    s_subject TEXT,
    sent_date TEXT,
    PRIMARY KEY (mailbox_id, uid),
    FOREIGN KEY (mailbox_id, uid) REFERENCES messages (mailbox_id, uid) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE TABLE mailbox_counts (
    mailbox_id INTEGER PRIMARY KEY REFERENCES mailboxes(id) ON DELETE CASCADE,
    messages INTEGER NOT NULL DEFAULT 0,
    unseen INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    size INTEGER NOT NULL DEFAULT 0,
    indexed INTEGER NOT NULL DEFAULT 0
);
CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
    INSERT INTO mailbox_counts (mailbox_id, messages, unseen, deleted, size)
    VALUES (NEW.mailbox_id, 1, (NEW.sysflags & 16) = 0, (NEW.sysflags & 2) != 0, NEW.size)
    ON CONFLICT (mailbox_id) DO UPDATE SET messages = messages + 1,
        unseen = unseen + excluded.unseen, deleted = deleted + excluded.deleted,
        size = size + excluded.size;
END;
CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
    UPDATE mailbox_counts SET messages = messages - 1,
        unseen = unseen - ((OLD.sysflags & 16) = 0), deleted = deleted - ((OLD.sysflags & 2) != 0),
        size = size - OLD.size
    WHERE mailbox_id = OLD.mailbox_id;
END;
CREATE TRIGGER messages_count_update AFTER UPDATE OF sysflags ON messages
WHEN (OLD.sysflags & 18) != (NEW.sysflags & 18) BEGIN
    UPDATE mailbox_counts SET
        unseen = unseen + ((NEW.sysflags & 16) = 0) - ((OLD.sysflags & 16) = 0),
        deleted = deleted + ((NEW.sysflags & 2) != 0) - ((OLD.sysflags & 2) != 0)
    WHERE mailbox_id = NEW.mailbox_id;
END;
CREATE TRIGGER message_search_count_insert AFTER INSERT ON message_search BEGIN
    UPDATE mailbox_counts SET indexed = indexed + 1 WHERE mailbox_id = NEW.mailbox_id;
END;
CREATE TRIGGER message_search_count_delete AFTER DELETE ON message_search BEGIN
    UPDATE mailbox_counts SET indexed = indexed - 1 WHERE mailbox_id = OLD.mailbox_id;
END;
"""

# The system flags of a stored ``flags`` text, as ``roost.search.sql.sysflags``.
_SYSFLAGS_SQL = " + ".join(
    f"(instr(' ' || flags || ' ', ' {flag} ') > 0) * {bit}" for flag, bit in FLAG_BITS.items()
)


def _migrate_1_to_2(conn: sqlite3.Connection) -> None:
    for statement in _statements(_V2):
        conn.execute(statement)
    conn.execute(f"UPDATE messages SET sysflags = {_SYSFLAGS_SQL}")
    conn.execute(
        "INSERT INTO mailbox_counts (mailbox_id, messages, unseen, deleted, size)"
        " SELECT mailbox_id, count(*), total((sysflags & 16) = 0), total((sysflags & 2) != 0),"
        " total(size) FROM messages GROUP BY mailbox_id"
    )
    _index_blobs(conn)


def _index_blobs(conn: sqlite3.Connection) -> None:
    """Fill ``message_search`` from the body files (a store from before version 2).

    A message whose file cannot be read gets no row: its mailbox is then
    searched by the reference evaluator, which reads what it can.
    """
    rows = conn.execute("SELECT blob_id, mailbox_id, uid FROM messages ORDER BY blob_id").fetchall()
    if not rows:
        return
    log.info("indexing the headers of %d messages for SEARCH (once)", len(rows))
    blobs = BlobFiles(_database_file(conn).parent / "blobs")
    insert = (
        "INSERT INTO message_search (mailbox_id, uid, "
        + ", ".join(INDEX_COLUMNS)
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    current: tuple[str, tuple[str | None, ...] | None] = ("", None)
    for blob_id, mailbox_id, uid in rows:
        if blob_id != current[0]:  # COPY shares a blob: read each file once
            current = (blob_id, _index_file(blobs, blob_id))
        if current[1] is not None:
            conn.execute(insert, (mailbox_id, uid, *current[1]))


def _index_file(blobs: BlobFiles, blob_id: str) -> tuple[str | None, ...] | None:
    try:
        return index_header(header_block(blobs.read_head(blob_id))).values()
    except (OSError, ValueError):
        return None


def _database_file(conn: sqlite3.Connection) -> Path:
    for _seq, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return Path(file)
    raise RuntimeError("no main database")


def _migrate_2_to_3(conn: sqlite3.Connection) -> None:
    conn.execute("ALTER TABLE blobs ADD COLUMN data BLOB")  # no rewrite: NULL for every row


# Version 4: no reference count in the blob row. ``blobs.refcount`` sat in the
# row that also holds a small message's bytes; a COPY took it from 1 to 2,
# which changes the record's size (SQLite stores 0 and 1 in no bytes, 2 in
# one), so SQLite rewrote the whole row with its overflow pages: every COPY,
# MOVE or EXPUNGE of a copy wrote the message again (126 MiB of WAL to COPY
# 10,000 messages of 28 KB). Whether a blob is still named by a message is
# already one lookup in ``messages_blob`` (the index the foreign key needs),
# so the count goes: a blob becomes garbage when the DELETE of its last
# message notes it in ``dead_blobs``. The column stays (dropping it would
# rewrite every row) and is neither read nor written any more.
_V4 = """
CREATE TABLE dead_blobs (
    id TEXT PRIMARY KEY
) WITHOUT ROWID;
INSERT INTO dead_blobs (id) SELECT id FROM blobs WHERE refcount <= 0;
DROP TRIGGER messages_ref;
DROP TRIGGER messages_unref;
DROP INDEX blobs_unreferenced;
CREATE TRIGGER messages_unref AFTER DELETE ON messages
WHEN NOT EXISTS (SELECT 1 FROM messages WHERE blob_id = OLD.blob_id) BEGIN
    INSERT OR IGNORE INTO dead_blobs (id) VALUES (OLD.blob_id);
END;
"""


def _migrate_3_to_4(conn: sqlite3.Connection) -> None:
    for statement in _statements(_V4):
        conn.execute(statement)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _migrate_0_to_1,
    _migrate_1_to_2,
    _migrate_2_to_3,
    _migrate_3_to_4,
]
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
