"""Group commit in the SQLite store: queued writes share one COMMIT, each stays
all-or-nothing, and none returns before the COMMIT that covers it."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.storage import sqlite, sqlite_db
from roost.storage.interface import NewMessage, StorageError, StorageErrorKind
from roost.storage.sqlite import SqliteStore
from tests.storage.helpers import mailbox, new_user, raw_message


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "data")
    yield s
    s.close()


def _meta(store: SqliteStore, key: str) -> int | None:
    """What another connection (a reader) sees: only committed rows."""
    row = store._db.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


def _put(txn: sqlite_db.WriteTxn, key: str, value: int) -> None:
    txn.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, value))


class Writers:
    """The first writer holds the write lock until released; others queue behind it."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.inside = threading.Event()
        self.release = threading.Event()
        self.returned: dict[str, float] = {}
        self.errors: dict[str, BaseException] = {}
        self.threads: list[threading.Thread] = []

    def start(self, key: str, *, hold: bool = False, fail: bool = False) -> None:
        def write(txn: sqlite_db.WriteTxn) -> None:
            _put(txn, key, 1)
            if hold:
                self.inside.set()
                assert self.release.wait(10)
            if fail:
                raise ValueError("this write fails")

        def body() -> None:
            try:
                self.store._db.run(write)
            except BaseException as exc:  # noqa: BLE001 - inspected by the test
                self.errors[key] = exc
            self.returned[key] = time.monotonic()

        thread = threading.Thread(target=body)
        thread.start()
        self.threads.append(thread)
        if hold:
            assert self.inside.wait(10)

    def wait_queued(self, count: int) -> None:
        deadline = time.monotonic() + 10
        while self.store._db.queued() < count:
            assert time.monotonic() < deadline
            time.sleep(0.005)

    def join(self) -> None:
        for thread in self.threads:
            thread.join(10)


def test_queued_writes_share_one_commit(store: SqliteStore) -> None:
    gen_before = store._db._gen
    w = Writers(store)
    w.start("a", hold=True)
    w.start("b")
    w.start("c")
    w.wait_queued(2)
    assert _meta(store, "a") is None  # not committed while the batch is open
    w.release.set()
    w.join()
    assert not w.errors
    assert [_meta(store, k) for k in "abc"] == [1, 1, 1]
    assert store._db._gen == gen_before + 1  # one transaction for all three


def test_a_write_returns_only_after_its_commit(store: SqliteStore, monkeypatch) -> None:  # noqa: ANN001
    commits: list[float] = []
    real = store._db._commit

    def timed(conn):  # noqa: ANN001, ANN202
        real(conn)
        commits.append(time.monotonic())

    monkeypatch.setattr(store._db, "_commit", timed)
    w = Writers(store)
    w.start("a", hold=True)
    w.start("b")
    w.wait_queued(1)
    w.release.set()
    w.join()
    assert commits and all(w.returned[k] >= commits[-1] for k in "ab")


def test_a_failing_write_leaves_the_others_of_its_batch(store: SqliteStore) -> None:
    w = Writers(store)
    w.start("a", hold=True)
    w.start("b", fail=True)
    w.start("c")
    w.wait_queued(2)
    w.release.set()
    w.join()
    assert isinstance(w.errors.get("b"), ValueError)
    assert set(w.errors) == {"b"}
    assert [_meta(store, k) for k in "abc"] == [1, None, 1]


def test_failed_commit_fails_every_write_of_the_batch(store: SqliteStore, monkeypatch) -> None:  # noqa: ANN001
    def broken(conn):  # noqa: ANN001, ANN202
        raise OSError("disk gone")

    monkeypatch.setattr(sqlite_db, "_collect_dead_blobs", broken)
    w = Writers(store)
    w.start("a", hold=True)
    w.start("b")
    w.wait_queued(1)
    w.release.set()
    w.join()
    assert set(w.errors) == {"a", "b"}
    assert all(
        isinstance(e, StorageError) and e.kind is StorageErrorKind.UNAVAILABLE
        for e in w.errors.values()
    )
    monkeypatch.undo()
    assert [_meta(store, k) for k in "ab"] == [None, None]
    with store._db.write() as txn:  # the store still works afterwards
        _put(txn, "d", 1)
    assert _meta(store, "d") == 1


def test_concurrent_appends_all_land_with_distinct_uids(store: SqliteStore) -> None:
    user = new_user(store)
    box = mailbox(store, user)
    results: list[list[int]] = []
    lock = threading.Lock()

    def append(n: int) -> None:
        result = store.append(box.id, [NewMessage(raw_message(n))])
        with lock:
            results.append(result.uids)

    threads = [threading.Thread(target=append, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    uids = sorted(u for r in results for u in r)
    assert uids == list(range(1, 17))
    assert [m.uid for m in store.message_flags(box.id)] == uids
    assert store.status(box.id).messages == 16


def test_two_stores_on_one_directory_see_each_others_writes(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "data")
    second = SqliteStore(tmp_path / "data")
    try:
        user = new_user(first)
        box = mailbox(first, user)
        seen = first.changes_since(box.id, 0).highestmodseq
        second.append(box.id, [NewMessage(raw_message(1))])
        changes = first.changes_since(box.id, seen)
        assert [c.uid for c in changes.changed] == [1]
        assert first.changes_since(box.id, changes.highestmodseq).changed == []
    finally:
        first.close()
        second.close()


def test_close_commits_nothing_pending_and_refuses_writes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    store.close()
    with pytest.raises(StorageError), store._db.write() as txn:
        _put(txn, "x", 1)


def test_failed_body_write_leaves_nothing(store: SqliteStore, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Bodies are written by the I/O threads while the messages are analysed;
    one failing write fails the APPEND and removes the others' files."""
    monkeypatch.setattr(sqlite, "INLINE_MAX", 0)  # every body in a file
    box = mailbox(store, new_user(store))
    real = store._blobs.write
    calls: list[str] = []

    def flaky(blob_id: str, data: bytes) -> None:
        calls.append(blob_id)
        if len(calls) == 2:
            raise OSError("disk full")
        real(blob_id, data)

    monkeypatch.setattr(store._blobs, "write", flaky)
    with pytest.raises(StorageError) as caught:
        store.append(box.id, [NewMessage(raw_message(n)) for n in range(4)])
    assert caught.value.kind is StorageErrorKind.UNAVAILABLE
    assert [p for p in (tmp_path / "data" / "blobs").rglob("*") if p.is_file()] == []
    assert store.status(box.id).messages == 0


def test_checkpoints_run_in_the_background(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(sqlite_db, "CHECKPOINT_BYTES", 1)
    store = SqliteStore(tmp_path / "data")
    db_file = tmp_path / "data" / "roost.db"
    try:
        box = mailbox(store, new_user(store))
        before = db_file.stat().st_size
        store.append(box.id, [NewMessage(raw_message(n)) for n in range(20)])
        writer = store._db._writer
        assert writer is not None
        assert writer.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
        deadline = time.monotonic() + 10
        # Only a checkpoint copies pages from the WAL into the database file.
        while db_file.stat().st_size <= before:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        thread = store._db._checkpointer
        assert thread is not None and thread.is_alive()
    finally:
        store.close()
    assert not thread.is_alive()


def test_wal_backlog_counts_pages_not_yet_checkpointed(tmp_path: Path) -> None:
    """The WAL file keeps its size after a checkpoint; the backlog does not."""
    store = SqliteStore(tmp_path / "data")
    wal = tmp_path / "data" / "roost.db-wal"
    try:
        box = mailbox(store, new_user(store))
        store.append(box.id, [NewMessage(raw_message(n)) for n in range(20)])
        backlog = sqlite_db.wal_backlog(store._db.path)
        assert backlog > 0
        assert backlog % 4096 == 0
        assert backlog <= wal.stat().st_size
        with sqlite3.connect(store._db.path) as conn:
            busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert busy == 0 and frames == copied
        assert sqlite_db.wal_backlog(store._db.path) == 0
        assert wal.stat().st_size > 0
        store.append(box.id, [NewMessage(raw_message(99))])
        assert 0 < sqlite_db.wal_backlog(store._db.path) < backlog
    finally:
        store.close()


def test_no_checkpoint_while_the_backlog_is_small(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    """Once the WAL file is big, commits alone must not start checkpoints."""
    monkeypatch.setattr(sqlite_db, "CHECKPOINT_BYTES", 256 * 1024)
    store = SqliteStore(tmp_path / "data")
    try:
        box = mailbox(store, new_user(store))
        big = [NewMessage(raw_message(n) + b"x" * 4000) for n in range(80)]
        store.append(box.id, big)  # over the mark: one checkpoint is asked for
        wanted = store._db._checkpoint_wanted
        deadline = time.monotonic() + 10
        while sqlite_db.wal_backlog(store._db.path) >= sqlite_db.CHECKPOINT_BYTES:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        while wanted.is_set():
            assert time.monotonic() < deadline
            time.sleep(0.01)
        for n in range(5):  # ~16 KiB each: the file is big, the backlog is not
            store.store_flags(box.id, [n + 1], "+", ["\\Seen"])
            assert not wanted.is_set()
    finally:
        store.close()


def _sync_level(store: SqliteStore) -> int:
    writer = store._db._writer
    assert writer is not None
    return writer.execute("PRAGMA synchronous").fetchone()[0]  # 1 NORMAL, 2 FULL


def test_optimized_commits_flag_changes_without_fsync(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data", fsync="optimized")
    try:
        box = mailbox(store, new_user(store))
        store.append(box.id, [NewMessage(raw_message(1))])
        assert _sync_level(store) == 2  # new mail: fsynced
        store.store_flags(box.id, [1], "+", ["\\Flagged"])
        assert _sync_level(store) == 1  # a flag change: committed, not fsynced
        with sqlite3.connect(store._db.path) as other:  # committed all the same
            flags = other.execute("SELECT flags FROM messages WHERE uid = 1").fetchone()[0]
        assert "\\Flagged" in flags
        store.expunge(box.id, [1])
        assert _sync_level(store) == 2
    finally:
        store.close()


def test_always_fsyncs_flag_changes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    try:
        box = mailbox(store, new_user(store))
        store.append(box.id, [NewMessage(raw_message(1))])
        store.store_flags(box.id, [1], "+", ["\\Flagged"])
        assert _sync_level(store) == 2
    finally:
        store.close()


def test_unknown_fsync_policy_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="fsync"):
        SqliteStore(tmp_path / "data", fsync="never")


def test_a_durable_write_does_not_join_a_batch_without_fsync(tmp_path: Path) -> None:
    """Queued behind a write without fsync, a durable write gets a batch of its own."""
    store = SqliteStore(tmp_path / "data")
    db = store._db
    seen: dict[str, tuple[int, bool]] = {}
    try:
        box = mailbox(store, new_user(store))
        second = threading.Thread(target=lambda: db.run(durable_write))

        def durable_write(txn: sqlite_db.WriteTxn) -> None:
            seen["second"] = (db._gen, db._writer_durable)
            txn.conn.execute("UPDATE mailboxes SET uidnext = uidnext WHERE id = ?", (box.id,))

        def first_write(txn: sqlite_db.WriteTxn) -> None:
            seen["first"] = (db._gen, db._writer_durable)
            txn.conn.execute("UPDATE mailboxes SET uidnext = uidnext WHERE id = ?", (box.id,))
            second.start()
            deadline = time.monotonic() + 10
            while db.queued() == 0:  # the durable write queues behind this one
                assert time.monotonic() < deadline
                time.sleep(0.001)

        db.run(first_write, durable=False)
        second.join()
        assert seen["first"][1] is False
        assert seen["second"][1] is True
        assert seen["second"][0] > seen["first"][0]
        assert _sync_level(store) == 2
    finally:
        store.close()


def test_a_write_block_queued_behind_leads_its_own_batch(store: SqliteStore) -> None:
    """A ``write`` block runs on its own thread, so no other leader takes it
    into a batch: it waits for the lead, and writes behind it join its batch."""
    w = Writers(store)
    w.start("a", hold=True)
    block_thread: list[int] = []

    def block() -> None:
        with store._db.write() as txn:
            block_thread.append(threading.get_ident())
            _put(txn, "block", 1)

    blocker = threading.Thread(target=block)
    blocker.start()
    w.wait_queued(1)
    w.start("c")
    w.wait_queued(2)
    gen_before = store._db._gen
    w.release.set()
    w.join()
    blocker.join(10)
    assert not w.errors
    assert block_thread == [blocker.ident]
    assert [_meta(store, k) for k in ("a", "block", "c")] == [1, 1, 1]
    assert store._db._gen == gen_before + 1  # "c" shared the block's batch
