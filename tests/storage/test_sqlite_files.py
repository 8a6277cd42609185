"""SqliteStore specifics: database settings, body files, cleanup, schema, errors.

Every body here goes to a file (``INLINE_MAX`` is 0), deleted as soon as
its last reference is (``FILE_GRACE`` is 0); bodies kept in the database and
the grace period are tested in ``test_sqlite_inline``.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import roost.mime
from roost.storage import sqlite, sqlite_db, sqlite_messages, sqlite_schema
from roost.storage.interface import NewMessage, StorageError, StorageErrorKind
from roost.storage.sqlite import SqliteStore
from tests.storage.helpers import add, mailbox, new_user, raw_message


@pytest.fixture(autouse=True)
def bodies_in_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite, "INLINE_MAX", 0)
    monkeypatch.setattr(sqlite_db, "FILE_GRACE", 0.0)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(data_dir)
    yield s
    s.close()


def _blob_files(data_dir: Path) -> list[Path]:
    return sorted(p for p in (data_dir / "blobs").rglob("*") if p.is_file())


def test_database_settings(store: SqliteStore, data_dir: Path) -> None:
    assert (data_dir / "roost.db").is_file()
    conn = store._db.conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    assert version[0] == sqlite_schema.SCHEMA_VERSION


def test_body_file_layout_and_sharing(store: SqliteStore, data_dir: Path) -> None:
    user = new_user(store)
    inbox = mailbox(store, user).id
    other = store.create_mailbox(user.id, "other").id
    add(store, inbox, 1)
    [path] = _blob_files(data_dir)
    meta = store.fetch_meta(inbox, [1])[0]
    assert path == data_dir / "blobs" / meta.blob_id[:2] / meta.blob_id[2:4] / meta.blob_id
    assert path.read_bytes() == raw_message(0)
    store.copy(inbox, [1], other)
    store.copy(inbox, [1], inbox)
    assert _blob_files(data_dir) == [path]  # COPY shares the body
    store.store_flags(inbox, [1, 2], "+", ["\\Deleted"])
    store.expunge(inbox)
    assert path.exists()  # "other" still references it
    store.move(other, [1], inbox)
    store.store_flags(inbox, [3], "+", ["\\Deleted"])
    store.expunge(inbox)
    assert _blob_files(data_dir) == []
    assert store._db.conn().execute("SELECT count(*) FROM blobs").fetchone()[0] == 0


def test_deleting_mailboxes_and_users_removes_files(store: SqliteStore, data_dir: Path) -> None:
    alice = new_user(store, "alice")
    bob = new_user(store, "bob")
    box = store.create_mailbox(alice.id, "box").id
    store.create_mailbox(alice.id, "parent/child")
    add(store, box, 2)
    add(store, store.get_mailbox(alice.id, "parent").id, 1)
    add(store, mailbox(store, alice).id, 1)
    add(store, mailbox(store, bob).id, 1)
    assert len(_blob_files(data_dir)) == 5
    store.delete_mailbox(alice.id, "box")
    store.delete_mailbox(alice.id, "parent")  # becomes a placeholder, messages go
    assert len(_blob_files(data_dir)) == 2
    store.delete_user("alice")
    [left] = _blob_files(data_dir)
    assert left.read_bytes() == raw_message(0)  # bob's message
    assert store.read_message(store.fetch_meta(mailbox(store, bob).id, [1])[0].blob_id)


def test_failed_append_leaves_nothing(
    store: SqliteStore, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = mailbox(store, new_user(store)).id
    add(store, box, 1)
    before = _blob_files(data_dir)

    def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    with monkeypatch.context() as m:
        m.setattr(sqlite_messages, "_insert_messages", broken)
        with pytest.raises(RuntimeError):
            add(store, box, 3, start=10)
    assert _blob_files(data_dir) == before
    assert store.status(box).messages == 1 and store.status(box).uidnext == 2
    assert add(store, box, 1, start=20) == [2]


def test_failed_analysis_removes_written_bodies(
    store: SqliteStore, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    box = mailbox(store, new_user(store)).id
    real = roost.mime.analyse
    calls = []

    def flaky(raw: bytes) -> object:
        calls.append(raw)
        if len(calls) == 2:
            raise MemoryError("pretend")
        return real(raw)

    monkeypatch.setattr(roost.mime, "analyse", flaky)
    with pytest.raises(MemoryError):
        add(store, box, 3)
    assert _blob_files(data_dir) == []
    assert store.status(box).messages == 0


def test_sweep_on_open(data_dir: Path) -> None:
    store = SqliteStore(data_dir)
    box = mailbox(store, new_user(store)).id
    add(store, box, 1)
    [kept] = _blob_files(data_dir)
    store.close()
    old = time.time() - 7200
    orphan = data_dir / "blobs" / "ab" / "cd" / ("abcd" + "0" * 28)
    fresh = data_dir / "blobs" / "ab" / "cd" / ("abcd" + "1" * 28)
    temp = data_dir / "blobs" / "ab" / "cd" / ("abcd" + "2" * 28 + ".tmp")
    orphan.parent.mkdir(parents=True)
    for path in (orphan, fresh, temp):
        path.write_bytes(b"junk")
    for path in (orphan, temp, kept):
        os.utime(path, (old, old))
    store = SqliteStore(data_dir)  # default grace: an hour
    try:
        assert kept.exists() and fresh.exists()
        assert not orphan.exists() and not temp.exists()
        assert store.read_message(store.fetch_meta(box, [1])[0].blob_id) == raw_message(0)
    finally:
        store.close()


def test_reopen_keeps_state_and_counters(data_dir: Path) -> None:
    store = SqliteStore(data_dir)
    user = new_user(store)
    first = store.create_mailbox(user.id, "x")
    add(store, first.id, 2, flags=["$Kw"])
    store.close()
    store = SqliteStore(data_dir)
    try:
        again = store.get_mailbox(user.id, "x")
        assert (again.id, again.uidvalidity, again.uidnext) == (first.id, first.uidvalidity, 3)
        assert again.highestmodseq > first.highestmodseq
        assert store.keywords(again.id) == ["$Kw"]
        store.delete_mailbox(user.id, "x")
        assert store.create_mailbox(user.id, "x").uidvalidity > first.uidvalidity
    finally:
        store.close()


def test_newer_schema_is_refused(data_dir: Path) -> None:
    SqliteStore(data_dir).close()
    conn = sqlite3.connect(data_dir / "roost.db")
    conn.execute("UPDATE meta SET value = 999 WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(RuntimeError, match="newer"):
        SqliteStore(data_dir)


def test_missing_body_file_means_expunged(store: SqliteStore, data_dir: Path) -> None:
    box = mailbox(store, new_user(store)).id
    add(store, box, 1)
    meta = store.fetch_meta(box, [1])[0]
    _blob_files(data_dir)[0].unlink()
    with pytest.raises(StorageError) as exc:
        store.read_message(meta.blob_id)
    assert exc.value.kind is StorageErrorKind.EXPUNGEISSUED


def test_closed_store_is_unavailable(data_dir: Path) -> None:
    store = SqliteStore(data_dir)
    store.close()
    with pytest.raises(StorageError) as exc:
        store.list_users()
    assert exc.value.kind is StorageErrorKind.UNAVAILABLE


def test_locked_database_is_unavailable(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_schema, "BUSY_TIMEOUT", 0.05)
    store = SqliteStore(data_dir)
    box = mailbox(store, new_user(store)).id
    other = sqlite3.connect(data_dir / "roost.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(StorageError) as exc:
            add(store, box, 1)
        assert exc.value.kind is StorageErrorKind.UNAVAILABLE
        assert _blob_files(data_dir) == []
        assert store.status(box).messages == 0  # readers are not blocked (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert add(store, box, 1) == [1]
    store.close()


def test_two_stores_on_one_directory(data_dir: Path) -> None:
    # What a running server and the `roost user` CLI do at the same time.
    first = SqliteStore(data_dir)
    second = SqliteStore(data_dir)
    try:
        user = new_user(first)
        box = mailbox(first, user).id
        uids = []
        for i in range(4):
            uids += (first if i % 2 else second).append(box, [NewMessage(raw_message(i))]).uids
        assert uids == [1, 2, 3, 4]
        assert second.get_user("alice") == user
    finally:
        first.close()
        second.close()


def test_listener_errors_do_not_fail_the_change(store: SqliteStore) -> None:
    box = mailbox(store, new_user(store)).id
    seen: list[int] = []

    def bad(user_id: int, mailbox_id: int) -> None:
        raise RuntimeError("listener bug")

    store.add_listener(bad)
    store.add_listener(lambda u, m: seen.append(m))
    assert add(store, box, 1) == [1]
    assert seen == [box]
