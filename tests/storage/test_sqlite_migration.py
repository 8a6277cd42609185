"""Older data directories open and work: version 1 (before the big-mailbox
columns) and version 3 (blob reference counts in ``blobs.refcount``)."""

from __future__ import annotations

from pathlib import Path

from roost.protocol.commands import SearchKey
from roost.storage import sqlite_schema
from roost.storage.blobs import BlobFiles
from roost.storage.interface import NewMessage
from roost.storage.sqlite import SqliteStore
from tests.storage.helpers import old_schema

MESSAGES = [
    (b"From: Alice <alice@example.org>\r\nSubject: =?utf-8?q?Stra=C3=9Fe?=\r\n\r\nhi", "\\Seen"),
    (b"From: bob@example.org\r\nSubject: Invoice 7\r\n\r\nbody", "\\Deleted \\Flagged $Work"),
    (b"Subject: no sender\r\n\r\n" + b"x" * 5000, ""),
]


def _version_1(data_dir: Path) -> None:
    """What roost wrote before schema version 2: rows, blob files, keywords."""
    data_dir.mkdir()
    blobs = BlobFiles(data_dir / "blobs")
    conn = sqlite_schema.connect(data_dir / "roost.db")
    conn.execute("PRAGMA journal_mode = WAL")
    sqlite_schema.MIGRATIONS[0](conn)
    conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', 1)")
    conn.execute("INSERT INTO users (name, password_hash) VALUES ('alice', 'x')")
    conn.execute(
        "INSERT INTO mailboxes (user_id, name, uidvalidity, uidnext) VALUES (1, 'INBOX', 1, 5)"
    )
    conn.execute("INSERT INTO keywords (mailbox_id, name) VALUES (1, '$Work')")
    for uid, (data, flags) in enumerate(MESSAGES, start=1):
        blob_id = BlobFiles.new_id()
        blobs.write(blob_id, data)
        conn.execute(
            "INSERT INTO blobs (id, size, envelope, body, bodystructure, structure)"
            " VALUES (?, ?, x'', x'', x'', '{}')",
            (blob_id, len(data)),
        )
        conn.execute(
            "INSERT INTO messages (mailbox_id, uid, blob_id, flags, modseq, internaldate, size)"
            " VALUES (1, ?, ?, ?, 1, '2024-01-02T03:04:05+00:00', ?)",
            (uid, blob_id, flags, len(data)),
        )
    # A message whose body file is gone: it gets no search row, SEARCH still works.
    conn.execute(
        "INSERT INTO blobs (id, size, envelope, body, bodystructure, structure)"
        " VALUES (?, 1, x'', x'', x'', '{}')",
        ("f" * 32,),
    )
    conn.execute(
        "INSERT INTO messages (mailbox_id, uid, blob_id, flags, modseq, internaldate, size)"
        " VALUES (1, 4, ?, '', 1, '2024-01-02T03:04:05+00:00', 1)",
        ("f" * 32,),
    )
    conn.close()


def test_version_1_store_is_upgraded(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    _version_1(data_dir)
    store = SqliteStore(data_dir, orphan_grace=1e9)
    try:
        status = store.status(1)
        sizes = sum(len(d) for d, _ in MESSAGES) + 1
        assert (status.messages, status.unseen, status.deleted, status.size) == (4, 3, 1, sizes)
        assert store.search(1, SearchKey("AND", (SearchKey("FLAGGED"),))) == [(2, 1)]
        assert store.search(1, SearchKey("KEYWORD", ("$work",))) == [(2, 1)]
        # One message has no search row: header keys are left to the evaluator ...
        assert store.search(1, SearchKey("SUBJECT", ("strasse",))) is None
        store.store_flags(1, [4], "+", ["\\Deleted"])
        assert store.expunge(1, [4]) == [4]
        # ... until it is gone.
        assert store.search(1, SearchKey("SUBJECT", ("strasse",))) == [(1, 1)]
        assert store.search(1, SearchKey("FROM", ("BOB",))) == [(2, 1)]
        new = store.append(1, [NewMessage(b"Subject: Invoice 8\r\n\r\n", frozenset({"\\Seen"}))])
        assert store.search(1, SearchKey("SUBJECT", ("invoice",))) == [(2, 1), (new.uids[0], 4)]
        assert store.expunge(1) == [2]
        assert store.status(1).deleted == 0
    finally:
        store.close()


def test_version_3_reference_counts_give_way_to_dead_blobs(tmp_path: Path) -> None:
    """Version 3 counted references in ``blobs.refcount`` (kept by triggers);
    after the upgrade a blob lives exactly while a message names it: an
    unreferenced one is collected at the next write, a shared one outlives
    the first of its messages."""
    data_dir = tmp_path / "data"
    conn = old_schema(data_dir, 3)
    blobs = BlobFiles(data_dir / "blobs")
    shared, orphan = BlobFiles.new_id(), BlobFiles.new_id()
    for blob_id in (shared, orphan):
        blobs.write(blob_id, MESSAGES[0][0])
        conn.execute(
            "INSERT INTO blobs (id, size, envelope, body, bodystructure, structure)"
            " VALUES (?, ?, x'', x'', x'', '{}')",
            (blob_id, len(MESSAGES[0][0])),
        )
    for uid in (1, 2):  # a message and its copy: the version 3 triggers count 2
        conn.execute(
            "INSERT INTO messages (mailbox_id, uid, blob_id, modseq, internaldate, size)"
            " VALUES (1, ?, ?, 1, '2024-01-02T03:04:05+00:00', ?)",
            (uid, shared, len(MESSAGES[0][0])),
        )
    conn.execute("UPDATE mailboxes SET uidnext = 3")
    counts = dict(conn.execute("SELECT id, refcount FROM blobs").fetchall())
    assert counts == {shared: 2, orphan: 0}
    conn.close()
    store = SqliteStore(data_dir, orphan_grace=1e9)
    try:
        db = store._db.conn()
        assert [r[0] for r in db.execute("SELECT id FROM dead_blobs")] == [orphan]
        store.store_flags(1, [1], "+", ["\\Deleted"])
        assert store.expunge(1) == [1]
        assert {r[0] for r in db.execute("SELECT id FROM blobs")} == {shared}
        assert store.read_message(shared) == MESSAGES[0][0]
        store.store_flags(1, [2], "+", ["\\Deleted"])
        assert store.expunge(1) == [2]
        assert db.execute("SELECT count(*) FROM blobs").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM dead_blobs").fetchone()[0] == 0
    finally:
        store.close()
