r"""Connections, transactions and change notification for the SQLite store.

Rules:
- One connection per thread (``threading.local``): SQLite connections must not
  be shared by threads that run at the same time. Reads run in a deferred
  transaction so every query of one call sees the same snapshot (WAL readers
  never block the writer).
- Writes are serialised: in this process one thread at a time leads a write
  transaction, and across processes (``processes`` > 1, or the CLI while a
  server runs) an exclusive ``flock`` on ``roost.db-writer`` is held from
  BEGIN IMMEDIATE to COMMIT: a waiting process wakes the moment the lock is
  free, where SQLite's busy handler would sleep and poll. All go through one
  writer connection. A write collects the blobs whose last message it removed
  and the mailboxes it touched; after COMMIT, with the flock released, the
  blob files are deleted and the listeners called.
- Group commit: the COMMIT (with ``synchronous=FULL``, an fsync of the WAL) is
  the expensive part of a write, so writes that queue up share one. A write
  is a function of a ``WriteTxn`` (``run``); writes queue, and one thread,
  the leader, takes the queue, runs each write in its own SAVEPOINT of one
  transaction (taking those that queue up meanwhile too, up to
  ``MAX_BATCH``), commits for all of them, wakes their threads and hands the
  lead to the oldest write still queued. The writes of a batch run on the
  leader's thread, one after another: no lock passes from thread to thread
  per write (each pass woke a thread, which then waited for the GIL while
  holding up every writer). ``run`` returns only after the COMMIT that covers
  its write: durability is unchanged, a write is acknowledged when it is on
  disk. One write failing rolls back to its savepoint and leaves the others
  alone; a failed COMMIT fails every write of the batch. ``write`` is the
  same for a block that must run on its caller's thread: that thread leads
  a batch and runs its block first.
- Durability per write: a write made with ``durable=False`` (the store's
  ``fsync = "optimized"`` policy uses it for flag changes and \Recent claims,
  as Dovecot's default ``mail_fsync = optimized`` does not fsync those) runs
  in a batch committed with ``synchronous=NORMAL``: no fsync at COMMIT, so a
  power failure may lose the last such changes, never corrupt the database
  (WAL); a process crash loses nothing. The level can only change between
  transactions, so a durable write never joins a batch begun without fsync:
  it waits for the next batch. A non-durable write may
  join a durable batch (it then gets the fsync too), and any later fsync of
  the WAL makes the earlier unsynced commits durable as well.
- Body files whose last reference a COMMIT dropped are deleted ``FILE_GRACE``
  seconds later (at a later write, or at close): a reader that still holds an
  older snapshot (a FETCH that read the message's row before the EXPUNGE) can
  still read the file. A crash meanwhile leaves orphans for ``sweep``.
- On any error a write's changes are rolled back and blob files written for
  it are removed: nothing is half done.
- Checkpoints (copying the WAL back into the database file, with its own
  fsyncs) run in a background thread once the WAL holds ``CHECKPOINT_BYTES``
  not yet copied back (``wal_backlog``), not inside whichever COMMIT happened to cross
  SQLite's auto-checkpoint mark: that write's client would wait for it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from roost.storage import sqlite_schema
from roost.storage.blobs import BlobFiles
from roost.storage.interface import StorageError, StorageErrorKind

log = logging.getLogger(__name__)

T = TypeVar("T")


# WAL size that starts a background checkpoint (SQLite's own default mark is
# 1000 pages, about 4 MiB).
CHECKPOINT_BYTES = 4 * 1024 * 1024

# How long a body file outlives the COMMIT that dropped its last reference.
FILE_GRACE = 10.0

# Writes that may share one COMMIT; bounds how long a stream of writers can
# keep the first one of a batch waiting for its acknowledgement.
MAX_BATCH = 64


@dataclass(eq=False)
class _Job:
    """One write: its function (None: a ``write`` block, run by its own thread)
    and, once done, its result or error."""

    fn: Callable[[WriteTxn], Any] | None
    new_blobs: tuple[str, ...]
    durable: bool
    done: threading.Event = field(default_factory=threading.Event)  # finished, or leads
    leads: bool = False  # woken to lead the next batch
    result: Any = None
    error: BaseException | None = None

    def outcome(self) -> Any:
        if self.error is not None:
            raise self.error
        return self.result


@dataclass(eq=False)
class _Batch:
    """One shared write transaction: its writes and what they touched."""

    gen: int
    jobs: list[_Job]
    durable: bool = True
    touched: set[tuple[int, int]] = field(default_factory=set)
    lost: bool = False  # SQLite dropped the transaction: every write fails


@dataclass
class WriteTxn:
    """What one write transaction did, for the work after COMMIT."""

    conn: sqlite3.Connection
    touched: set[tuple[int, int]] = field(default_factory=set)  # (user_id, mailbox_id)

    def touch(self, user_id: int, mailbox_id: int) -> None:
        self.touched.add((user_id, mailbox_id))


class Database:
    """The database file, its per-thread connections and the queue of writes."""

    def __init__(self, path: Path, blobs: BlobFiles) -> None:
        self.path = path
        self.blobs = blobs
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None  # used by the batch leader only
        self._writer_durable = True  # the writer connection's synchronous level is FULL
        # Held (flock) by whichever process has a write transaction open.
        self._writer_lock = os.open(f"{path}-writer", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._queue_lock = threading.Lock()  # guards _queue and _leading
        self._queue: deque[_Job] = deque()  # writes waiting for a batch (the leader's first)
        self._leading = False  # a thread is running batches
        self._gen = 0
        self._checkpoint_wanted = threading.Event()
        self._wal_index = WalIndex(path)
        self._wal_index_lock = threading.Lock()
        self._checkpointer: threading.Thread | None = None
        self._closing_checkpointer = False
        self._listeners: list[Callable[[int, int], None]] = []
        self._doomed: deque[tuple[float, list[str]]] = deque()  # (when to delete, blob ids)
        self._doomed_lock = threading.Lock()
        self._closed = False
        sqlite_schema.initialise(self.conn())

    def conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(StorageErrorKind.UNAVAILABLE, "store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite_schema.connect(self.path)
            self._local.conn = conn
            with self._all_lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        with self._all_lock:
            self._closing_checkpointer = True
            checkpointer = self._checkpointer
        self._checkpoint_wanted.set()
        if checkpointer is not None:
            checkpointer.join()
        # Lead an empty turn: no batch is running meanwhile, later writes find the store closed.
        self._enqueue(_Job(None, (), False))  # a block's job: it returns leading
        try:
            with self._queue_lock:
                self._queue.popleft()
            with self._all_lock:
                if not self._closed:
                    os.close(self._writer_lock)
                self._closed = True
                for conn in self._all:
                    conn.close()
                self._all.clear()
                if self._writer is not None:
                    self._writer.close()
                    self._writer = None
        finally:
            self._hand_over()
        self._delete_files([], all_now=True)
        with self._wal_index_lock:
            self._wal_index.close()

    def add_listener(self, listener: Callable[[int, int], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction on this thread's connection; inside another one
        it joins that (same snapshot) and leaves the ending to it."""
        conn = self.conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def highestmodseq(self, mailbox_id: int) -> int | None:
        """The mailbox's HIGHESTMODSEQ in one autocommit statement (None: no such mailbox)."""
        row = (
            self.conn()
            .execute("SELECT highestmodseq FROM mailboxes WHERE id = ?", (mailbox_id,))
            .fetchone()
        )
        return None if row is None else int(row[0])

    def run(
        self, fn: Callable[[WriteTxn], T], new_blobs: Sequence[str] = (), *, durable: bool = True
    ) -> T:
        """``fn(txn)`` as one serialised, all-or-nothing write, committed (and
        on disk, when ``durable``) before this returns; its listeners have run
        by then. Its result, or its exception, comes back here.

        ``fn`` may run on another thread (the batch's leader, see group commit
        above): it must use nothing but ``txn`` and its arguments.
        ``new_blobs``: body files written for this write, removed if it fails.
        """
        job = _Job(fn, tuple(new_blobs), durable)
        if self._enqueue(job):
            self._lead()
        return job.outcome()

    @contextmanager
    def write(self, new_blobs: Sequence[str] = (), *, durable: bool = True) -> Iterator[WriteTxn]:
        """``run`` for a block: the block runs on this thread, first in a batch
        this thread leads (writes queued behind it join that batch)."""
        job = _Job(None, tuple(new_blobs), durable)
        self._enqueue(job)
        try:
            batch = self._open_batch()
            if batch is not None:
                # The block's error is kept by the savepoint and raised below, after the batch.
                with self._savepoint(batch, job) as txn:
                    yield txn
                self._run_jobs(batch)
                self._close_batch(batch)
        finally:
            self._hand_over()
        job.outcome()

    # -- group commit: one leader at a time runs the queued writes in one transaction

    def _enqueue(self, job: _Job) -> bool:
        """Queue ``job``; wait until it is done or leads (True: it leads)."""
        with self._queue_lock:
            self._queue.append(job)
            if not self._leading:
                self._leading = True
                return True
        job.done.wait()
        return job.leads

    def queued(self) -> int:
        """Writes waiting for a batch, the running leader's own included."""
        with self._queue_lock:
            return len(self._queue)

    def _lead(self) -> None:
        try:
            batch = self._open_batch()
            if batch is not None:
                self._run_jobs(batch)
                self._close_batch(batch)
        finally:
            self._hand_over()

    def _hand_over(self) -> None:
        """Let the oldest queued write lead the next batch, or nobody."""
        with self._queue_lock:
            if not self._queue:
                self._leading = False
                return
            successor = self._queue[0]
            successor.leads = True
        successor.done.set()

    def _open_batch(self) -> _Batch | None:
        """Take the queued writes (the leader's own first) and begin their
        transaction; None if that failed (they have failed too)."""
        try:
            conn = self._writer_conn()
            fcntl.flock(self._writer_lock, fcntl.LOCK_EX)  # writes queue up meanwhile: they join
        except BaseException as exc:  # noqa: BLE001 - every taken write gets it
            self._fail(self._take(), exc)
            return None
        jobs = self._take()
        self._gen += 1
        batch = _Batch(self._gen, jobs, durable=any(j.durable for j in jobs))
        try:
            self._set_durable(conn, batch.durable)
            conn.execute("BEGIN IMMEDIATE")
        except BaseException as exc:  # noqa: BLE001 - every taken write gets it
            fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
            self._fail(jobs, exc)
            return None
        return batch

    def _take(self) -> list[_Job]:
        """The writes of the next batch: the head of the queue and the function
        writes behind it (a ``write`` block runs on its own thread: it leads)."""
        with self._queue_lock:
            jobs = [self._queue.popleft()]
        return jobs + self._take_more(durable=True, room=MAX_BATCH - 1)

    def _take_more(self, *, durable: bool, room: int) -> list[_Job]:
        """Function writes from the head of the queue that may join a batch
        (none that needs an fsync a batch without one cannot give)."""
        jobs: list[_Job] = []
        with self._queue_lock:
            while self._queue and len(jobs) < room:
                head = self._queue[0]
                if head.fn is None or (head.durable and not durable):
                    break
                jobs.append(self._queue.popleft())
        return jobs

    def _run_jobs(self, batch: _Batch) -> None:
        """Run the batch's writes, then those that queued up meanwhile."""
        done = 0
        while done < len(batch.jobs):
            for job in batch.jobs[done:]:
                done += 1
                if job.fn is not None and not batch.lost:
                    self._run_job(batch, job)
            room = MAX_BATCH - len(batch.jobs)
            batch.jobs += self._take_more(durable=batch.durable, room=room)

    def _run_job(self, batch: _Batch, job: _Job) -> None:
        assert job.fn is not None
        with self._savepoint(batch, job) as txn:
            job.result = job.fn(txn)

    @contextmanager
    def _savepoint(self, batch: _Batch, job: _Job) -> Iterator[WriteTxn]:
        """The block as one write of the batch; its error is the job's (kept, not raised)."""
        conn = self._writer
        assert conn is not None
        txn = WriteTxn(conn)
        conn.execute("SAVEPOINT job")
        try:
            yield txn
            conn.execute("RELEASE job")
        except BaseException as exc:  # noqa: BLE001 - handed to the job's thread
            job.error = exc
            self._undo(batch, job)
        else:
            batch.touched |= txn.touched

    def _undo(self, batch: _Batch, job: _Job) -> None:
        """Roll back one failed write; if SQLite dropped the whole transaction
        (some I/O errors do), the batch's other writes are lost and fail too."""
        self.blobs.delete(job.new_blobs)
        conn = self._writer
        assert conn is not None
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO job")
                conn.execute("RELEASE job")
                return
        except sqlite3.Error:
            log.exception("rollback to savepoint failed")
        batch.lost = True

    def _close_batch(self, batch: _Batch) -> None:
        """COMMIT (or, if lost, ROLLBACK), let other processes write, then
        delete files, call the listeners and wake the batch's writers."""
        conn = self._writer
        assert conn is not None
        error: BaseException | None = None
        dead: list[str] = []
        try:
            if batch.lost:
                raise StorageError(StorageErrorKind.UNAVAILABLE, "write transaction was lost")
            dead = _collect_dead_blobs(conn)
            self._commit(conn)
        except BaseException as exc:  # noqa: BLE001 - every writer of the batch gets it
            error = exc
            _rollback(conn)
        finally:
            if not conn.in_transaction:
                fcntl.flock(self._writer_lock, fcntl.LOCK_UN)
        if error is None:
            self._delete_files(dead)
            self._notify(batch.touched)
            self._maybe_checkpoint()
            for job in batch.jobs:
                job.done.set()
        else:
            self._fail(batch.jobs, error)

    def _commit(self, conn: sqlite3.Connection) -> None:
        conn.execute("COMMIT")

    def _fail(self, jobs: list[_Job], error: BaseException) -> None:
        if not self._closed:
            log.error("write transaction failed: %s", error)
        failed = StorageError(StorageErrorKind.UNAVAILABLE, "storage temporarily unavailable")
        failed.__cause__ = error
        for job in jobs:
            self.blobs.delete(job.new_blobs)
            if job.error is None:
                job.error = error if isinstance(error, StorageError) else failed
            job.done.set()

    def _set_durable(self, conn: sqlite3.Connection, durable: bool) -> None:
        """FULL (fsync at every COMMIT) or NORMAL, outside any transaction."""
        if durable != self._writer_durable:
            conn.execute(f"PRAGMA synchronous = {'FULL' if durable else 'NORMAL'}")
            self._writer_durable = durable

    def _writer_conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StorageError(StorageErrorKind.UNAVAILABLE, "store is closed")
        if self._writer is None:
            self._writer = sqlite_schema.connect(self.path)
            self._writer_durable = True  # connect sets synchronous = FULL
            # Checkpoints are the background thread's job (see the module docstring).
            self._writer.execute("PRAGMA wal_autocheckpoint = 0")
        return self._writer

    def _delete_files(self, dead: list[str], *, all_now: bool = False) -> None:
        """Delete ``dead`` after ``FILE_GRACE``, and whatever earlier is due now."""
        now = time.monotonic()
        due: list[str] = []
        with self._doomed_lock:
            if dead:
                self._doomed.append((now + FILE_GRACE, dead))
            while self._doomed and (all_now or self._doomed[0][0] <= now):
                due += self._doomed.popleft()[1]
        if due:
            self.blobs.delete(due)

    def _maybe_checkpoint(self) -> None:
        with self._wal_index_lock:
            backlog = self._wal_index.backlog()
        if backlog < CHECKPOINT_BYTES:
            return
        if self._checkpointer is None:
            with self._all_lock:
                if self._checkpointer is None and not self._closing_checkpointer:
                    self._checkpointer = threading.Thread(
                        target=self._checkpoint_loop, name="roost-checkpoint", daemon=True
                    )
                    self._checkpointer.start()
        self._checkpoint_wanted.set()

    def _checkpoint_loop(self) -> None:
        conn = sqlite_schema.connect(self.path)
        try:
            while True:
                self._checkpoint_wanted.wait()
                self._checkpoint_wanted.clear()
                if self._closing_checkpointer:
                    return
                try:
                    # PASSIVE: never waits for readers or writers; what it
                    # cannot copy now is copied by a later round.
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    log.exception("WAL checkpoint failed")
        finally:
            conn.close()

    def _notify(self, touched: set[tuple[int, int]]) -> None:
        for user_id, mailbox_id in sorted(touched):
            for listener in list(self._listeners):
                try:
                    listener(user_id, mailbox_id)
                except Exception:
                    # The change is committed; a broken listener must not turn it into an error.
                    log.exception("storage listener failed")

    def blob_data(self, blob_id: str) -> tuple[bool, bytes | None]:
        """(the blob exists, its bytes when they are kept in the database)."""
        row = self.conn().execute("SELECT data FROM blobs WHERE id = ?", (blob_id,)).fetchone()
        return (False, None) if row is None else (True, row[0])

    def referenced_blobs(self, ids: list[str]) -> set[str]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT id FROM blobs WHERE id IN (SELECT value FROM json_each(?))",
                (json_list(ids),),
            ).fetchall()
        return {r[0] for r in rows}


def wal_backlog(path: Path) -> int:
    """Bytes of pages in the WAL not yet copied back into the database file
    (one read through a descriptor opened for it; see ``WalIndex``)."""
    index = WalIndex(path)
    try:
        return index.backlog()
    finally:
        index.close()


class WalIndex:
    """The wal-index header in ``-shm``, read through one kept descriptor.

    The WAL file keeps its size after a checkpoint (it is written again from
    the start), so its size says nothing; the wal-index header (SQLite's
    documented WAL file format, native byte order) counts frames: ``mxFrame``
    (u32 at 16) written, ``nBackfill`` (u32 at 96) copied back, page size a
    u16 at 14 (1 meaning 65536). Read after every COMMIT, so the descriptor
    is kept (opening the file each time cost more than the read) and opened
    again only when SQLite has replaced the file (it unlinks ``-shm`` when
    the last connection of all processes closes).
    """

    def __init__(self, path: Path) -> None:
        self._path = f"{path}-shm"
        self._fd: int | None = None

    def backlog(self) -> int:
        header = self._read()
        if len(header) < _WAL_INDEX_HEADER:
            return 0
        page_size, frames = struct.unpack_from("=HI", header, 14)
        (backfilled,) = struct.unpack_from("=I", header, 96)
        page_size = 65536 if page_size == 1 else page_size
        return max(0, frames - backfilled) * page_size

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _read(self) -> bytes:
        try:
            if self._fd is not None and os.fstat(self._fd).st_nlink == 0:
                self.close()
            if self._fd is None:
                self._fd = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
            return os.pread(self._fd, _WAL_INDEX_HEADER, 0)
        except OSError:
            self.close()
            return b""


_WAL_INDEX_HEADER = 136


def _collect_dead_blobs(conn: sqlite3.Connection) -> list[str]:
    """Drop the blob rows no message names any more; returns those whose
    bytes are in a file. (A blob noted dead and named again by a later write
    of the same transaction stays.)"""
    if conn.execute("SELECT 1 FROM dead_blobs LIMIT 1").fetchone() is None:
        return []
    dead = conn.execute(
        "SELECT b.id, b.data IS NULL FROM dead_blobs AS d CROSS JOIN blobs AS b ON b.id = d.id"
        " WHERE NOT EXISTS (SELECT 1 FROM messages AS m WHERE m.blob_id = d.id)"
    ).fetchall()
    conn.execute("DELETE FROM dead_blobs")
    if dead:
        conn.execute(
            "DELETE FROM blobs WHERE id IN (SELECT value FROM json_each(?))",
            (json_list([blob_id for blob_id, _ in dead]),),
        )
    return [blob_id for blob_id, in_file in dead if in_file]


def _rollback(conn: sqlite3.Connection) -> None:
    if not conn.in_transaction:
        return
    try:
        conn.execute("ROLLBACK")
    except sqlite3.Error:
        log.exception("rollback failed")


def json_list(values: list[str] | list[int]) -> str:
    """One SQL parameter holding a list, for ``IN (SELECT value FROM json_each(?))``."""
    return json.dumps(list(values))
