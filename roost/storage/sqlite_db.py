"""Connections, transactions and change notification for the SQLite store.

Rules:
- One connection per thread (``threading.local``): SQLite connections must not
  be shared by threads that run at the same time. Reads run in a deferred
  transaction so every query of one call sees the same snapshot (WAL readers
  never block the writer).
- Writes are serialised by one lock in this process and ``BEGIN IMMEDIATE``
  across processes (busy timeout in ``sqlite_schema``). A write transaction
  collects the blobs whose last reference it dropped and the mailboxes it
  touched; after COMMIT, outside the lock, the blob files are deleted and the
  listeners called (a slow listener never holds up other writers).
- On any error the transaction is rolled back and blob files written for it
  are removed: nothing is half done.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from roost.storage import sqlite_schema
from roost.storage.blobs import BlobFiles
from roost.storage.interface import StorageError, StorageErrorKind

log = logging.getLogger(__name__)


@dataclass
class WriteTxn:
    """What one write transaction did, for the work after COMMIT."""

    conn: sqlite3.Connection
    touched: set[tuple[int, int]] = field(default_factory=set)  # (user_id, mailbox_id)

    def touch(self, user_id: int, mailbox_id: int) -> None:
        self.touched.add((user_id, mailbox_id))


class Database:
    """The database file, its per-thread connections and the write lock."""

    def __init__(self, path: Path, blobs: BlobFiles) -> None:
        self.path = path
        self.blobs = blobs
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._all_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._listeners: list[Callable[[int, int], None]] = []
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
        with self._write_lock, self._all_lock:
            self._closed = True
            for conn in self._all:
                conn.close()
            self._all.clear()

    def add_listener(self, listener: Callable[[int, int], None]) -> None:
        self._listeners.append(listener)

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self.conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    @contextmanager
    def write(self, new_blobs: Sequence[str] = ()) -> Iterator[WriteTxn]:
        """One serialised, durable write transaction; listeners run after it.

        ``new_blobs``: body files written for this transaction, removed if it fails.
        """
        with self._write_lock:
            txn: WriteTxn | None = None
            try:
                txn = WriteTxn(self.conn())
                txn.conn.execute("BEGIN IMMEDIATE")
                yield txn
                dead = _collect_dead_blobs(txn.conn)
                txn.conn.execute("COMMIT")
            except BaseException:
                if txn is not None:
                    _rollback(txn.conn)
                self.blobs.delete(new_blobs)
                raise
        self.blobs.delete(dead)
        self._notify(txn.touched)

    def _notify(self, touched: set[tuple[int, int]]) -> None:
        for user_id, mailbox_id in sorted(touched):
            for listener in list(self._listeners):
                try:
                    listener(user_id, mailbox_id)
                except Exception:
                    # The change is committed; a broken listener must not turn it into an error.
                    log.exception("storage listener failed")

    def referenced_blobs(self, ids: list[str]) -> set[str]:
        with self.read() as conn:
            rows = conn.execute(
                "SELECT id FROM blobs WHERE id IN (SELECT value FROM json_each(?))",
                (json_list(ids),),
            ).fetchall()
        return {r[0] for r in rows}


def _collect_dead_blobs(conn: sqlite3.Connection) -> list[str]:
    dead = [r[0] for r in conn.execute("SELECT id FROM blobs WHERE refcount <= 0")]
    if dead:
        conn.execute("DELETE FROM blobs WHERE refcount <= 0")
    return dead


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
