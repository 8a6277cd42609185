"""Small bodies kept in the database (``sqlite.INLINE_MAX``), big ones in files."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.mime.searchtext import header_block
from roost.storage import sqlite_db, sqlite_schema
from roost.storage.blobs import BlobFiles
from roost.storage.interface import NewMessage, StorageError, StorageErrorKind
from roost.storage.sqlite import INLINE_MAX, SqliteStore
from tests.storage.helpers import mailbox, new_user, old_schema, raw_message

SMALL = raw_message(1)
BIG = raw_message(2, "y" * INLINE_MAX + "\r\n")


def _of_size(n: int, size: int) -> bytes:
    """``raw_message(n)`` with a body that makes it exactly ``size`` octets."""
    head = len(raw_message(n, "z")) - 1
    return raw_message(n, "z" * (size - head))


EDGE = _of_size(3, INLINE_MAX)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "data")
    yield s
    s.close()


def _files(store: SqliteStore) -> list[Path]:
    return sorted(p for p in (store.data_dir / "blobs").rglob("*") if p.is_file())


def test_small_bodies_live_in_the_database_big_ones_in_files(store: SqliteStore) -> None:
    assert len(EDGE) == INLINE_MAX
    box = mailbox(store, new_user(store)).id
    store.append(box, [NewMessage(SMALL), NewMessage(BIG), NewMessage(EDGE)])
    metas = store.fetch_meta(box, [1, 2, 3])
    assert [store.read_message(m.blob_id) for m in metas] == [SMALL, BIG, EDGE]
    assert [m.size for m in metas] == [len(SMALL), len(BIG), len(EDGE)]
    [path] = _files(store)
    assert path.name == metas[1].blob_id and path.read_bytes() == BIG


def test_copy_shares_and_expunge_releases_both_kinds(store: SqliteStore) -> None:
    user = new_user(store)
    box, other = mailbox(store, user).id, store.create_mailbox(user.id, "other").id
    store.append(box, [NewMessage(SMALL), NewMessage(BIG)])
    small_blob, big_blob = (m.blob_id for m in store.fetch_meta(box, [1, 2]))
    store.copy(box, [1, 2], other)
    store.store_flags(box, [1, 2], "+", ["\\Deleted"])
    store.expunge(box)
    assert store.read_message(small_blob) == SMALL  # "other" still holds both
    assert len(_files(store)) == 1
    store.delete_mailbox(user.id, "other")
    assert len(_files(store)) == 1  # a reader's older snapshot may still want it
    for blob in (small_blob, big_blob):
        with pytest.raises(StorageError) as caught:
            store.read_message(blob)
        assert caught.value.kind is StorageErrorKind.EXPUNGEISSUED
    rows = store._db.conn().execute("SELECT count(*) FROM blobs").fetchone()[0]
    assert rows == 0
    store.close()
    assert _files(store) == []  # closing deletes what was waiting


def test_version_2_store_upgrades_and_keeps_its_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    conn = old_schema(data_dir, 2)  # before blobs.data: every body in its file
    blob = BlobFiles.new_id()
    BlobFiles(data_dir / "blobs").write(blob, BIG)
    conn.execute(
        "INSERT INTO blobs (id, size, envelope, body, bodystructure, structure)"
        " VALUES (?, ?, x'', x'', x'', '{}')",
        (blob, len(BIG)),
    )
    conn.execute(
        "INSERT INTO messages (mailbox_id, uid, blob_id, modseq, internaldate, size)"
        " VALUES (1, 1, ?, 1, '2024-01-02T03:04:05+00:00', ?)",
        (blob, len(BIG)),
    )
    conn.execute("UPDATE mailboxes SET uidnext = 2")
    conn.close()
    store = SqliteStore(data_dir)
    try:
        version = store._db.conn().execute("SELECT value FROM meta WHERE key = 'schema_version'")
        assert int(version.fetchone()[0]) == sqlite_schema.SCHEMA_VERSION
        assert store.fetch_meta(1, [1])[0].blob_id == blob
        assert store.read_message(blob) == BIG
        store.append(1, [NewMessage(SMALL)])
        assert store.read_message(store.fetch_meta(1, [2])[0].blob_id) == SMALL
    finally:
        store.close()


def test_a_snapshot_still_reads_a_body_expunged_meanwhile(store: SqliteStore) -> None:
    """FETCH reads metadata and bodies in one snapshot: another session's
    EXPUNGE in between does not take the body away from it."""
    box = mailbox(store, new_user(store)).id
    store.append(box, [NewMessage(SMALL)])
    with store.snapshot():
        [meta] = store.fetch_meta(box, [1])
        store.store_flags(box, [1], "+", ["\\Deleted"])  # the writer's own connection
        store.expunge(box)
        assert store.read_message(meta.blob_id) == SMALL
        with store.snapshot():  # nested: the same snapshot
            assert store.fetch_meta(box, [1]) == [meta]
    assert store.fetch_meta(box, [1]) == []
    with pytest.raises(StorageError):
        store.read_message(meta.blob_id)


def test_a_snapshot_still_reads_a_body_file_expunged_meanwhile(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Files outlive their last reference by ``FILE_GRACE``, for readers like
    the one above whose snapshot still names them; a later write deletes them."""
    monkeypatch.setattr(sqlite_db, "FILE_GRACE", 0.2)
    box = mailbox(store, new_user(store)).id
    store.append(box, [NewMessage(BIG)])
    with store.snapshot():
        [meta] = store.fetch_meta(box, [1])
        store.store_flags(box, [1], "+", ["\\Deleted"])
        store.expunge(box)
        assert store.read_message(meta.blob_id) == BIG
    assert len(_files(store)) == 1
    time.sleep(0.25)
    store.append(box, [NewMessage(SMALL)])  # any later write deletes what is due
    assert _files(store) == []


@pytest.mark.parametrize("body", ["short body\r\n", "b" * (INLINE_MAX + 10) + "\r\n"])
@pytest.mark.parametrize("header_size", [100, 70_000])  # more than read_head's first chunk
def test_read_head_holds_the_whole_header(store: SqliteStore, body: str, header_size: int) -> None:
    header = b"Subject: s\r\nX-Long: " + b"h" * header_size + b"\r\n\r\n"
    raw = header + body.encode()
    box = mailbox(store, new_user(store)).id
    store.append(box, [NewMessage(raw)])
    [meta] = store.fetch_meta(box, [1])
    head = store.read_head(meta.blob_id)
    assert raw.startswith(head)
    assert header_block(head) == header
    assert store.read_message(meta.blob_id) == raw


def _wal_frames(store: SqliteStore) -> int:
    """Frames written to the WAL since it was last restarted (mxFrame)."""
    header = (store._db.path.parent / "roost.db-shm").read_bytes()[:136]
    return int.from_bytes(header[16:20], sys.byteorder)


def test_copy_and_move_do_not_rewrite_the_messages(store: SqliteStore) -> None:
    """Copies share the row that holds a small message's bytes and leave it
    untouched: the WAL grows by far less than a page per copied message
    (when the row carried a reference count, going from 1 to 2 copies made
    SQLite rewrite every row with its overflow pages, 8 pages for 30 KB)."""
    user = new_user(store)
    box, other = mailbox(store, user).id, store.create_mailbox(user.id, "other").id
    count = 40
    store.append(box, [NewMessage(_of_size(n, 30_000)) for n in range(count)])
    before = _wal_frames(store)
    store.copy(box, list(range(1, count + 1)), other)
    store.move(other, list(range(1, count + 1)), box)
    assert _wal_frames(store) - before < count
    blob_ids = {m.blob_id for m in store.fetch_meta(box, list(range(1, 2 * count + 1)))}
    assert len(blob_ids) == count
    assert store.read_message(store.fetch_meta(box, [count + 1])[0].blob_id) == _of_size(0, 30_000)


def test_ids_of_messages_kept_in_the_database_follow_the_clock(store: SqliteStore) -> None:
    """So the indexes on blob ids grow at their right edge (see ``roost.storage.blobs``);
    a body in a file keeps a random id that spreads it over the directories."""
    box = mailbox(store, new_user(store)).id
    for n in range(20):
        store.append(box, [NewMessage(raw_message(n))])
    ids = [m.blob_id for m in store.fetch_meta(box, list(range(1, 21)))]
    assert ids == sorted(ids)
    assert all(BlobFiles.valid_id(blob_id) for blob_id in ids)
    store.append(box, [NewMessage(BIG)])
    big = store.fetch_meta(box, [21])[0].blob_id
    assert BlobFiles.valid_id(big)
    assert store._blobs.path(big).read_bytes() == BIG
