r"""``SqliteStore``: the embedded ``MailStore`` (SQLite for state, files for bodies).

Layout under ``data_dir``: ``roost.db`` (WAL, synchronous=FULL) and
``blobs/ab/cd/<id>``. This class is the public face; the work is in
``sqlite_users``, ``sqlite_mailboxes`` and ``sqlite_messages`` (SQL on one
connection) and ``sqlite_db`` (connections, write lock, listeners).

Rules:
- APPEND analyses each message once (``roost.mime.analyse``) and writes its body
  file durably *before* taking the write lock and committing the row, so the
  slow part runs in parallel and a committed message always has its body.
  The body files are written (and synced) by the store's I/O threads while
  the calling thread analyses the messages: the disk wait and the parsing
  overlap instead of adding up.
- Every public call is one transaction: reads see one snapshot, writes are
  all-or-nothing and durable when the call returns. With ``fsync =
  "optimized"`` (like Dovecot's default ``mail_fsync = optimized``) flag
  changes and \Recent claims are committed without an fsync: a power failure
  may take the last of them back; new mail, copies, expunges and mailbox
  changes are always fsynced.
- Transient database or disk failures become ``StorageError(UNAVAILABLE)``.
- On open, body files that no row references and that are older than
  ``orphan_grace`` seconds (left by a crash between file write and commit) are
  removed; the grace protects files another process is about to commit.
"""

from __future__ import annotations

import concurrent.futures
import functools
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import ParamSpec, TypeVar

from roost import mime
from roost.search.sql import index_header
from roost.storage import sqlite_mailboxes as mailboxes
from roost.storage import sqlite_messages as msgs
from roost.storage import sqlite_users as users
from roost.storage.blobs import BlobFiles
from roost.storage.interface import (
    AppendResult,
    Changes,
    CopyResult,
    FlagTable,
    MailboxInfo,
    MailboxStatus,
    MessageFlags,
    MessageMeta,
    NewMessage,
    SearchKey,
    StorageError,
    StorageErrorKind,
    User,
)
from roost.storage.sqlite_db import Database, WriteTxn
from roost.storage.sqlite_messages import PreparedMessage

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")


# Messages up to this size are kept in the database with their rows, not in
# a file: one COMMIT (one fsync) then makes the whole message durable, where a
# file costs a create, an fdatasync and a directory fsync on top. Most mail is
# far smaller; big messages keep streaming to and from files.
INLINE_MAX = 64 * 1024

# Threads that write body files (each write ends in an fdatasync, which
# releases the GIL): enough for every worker thread to append at once.
IO_THREADS = 8

# ``fsync`` settings: "always" (every write waits for its fsync, the default)
# and "optimized" (flag changes and \Recent claims do not).
FSYNC_POLICIES = ("always", "optimized")

# SQLite primary result codes that mean "try again later", not "roost has a bug":
# BUSY, LOCKED, NOMEM, READONLY, IOERR, FULL, CANTOPEN.
_TRANSIENT = frozenset({5, 6, 7, 8, 10, 13, 14})


def _guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Turn transient SQLite / file-system failures into ``UNAVAILABLE``."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except sqlite3.Error as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if code is None or code & 0xFF not in _TRANSIENT:
                raise
            log.exception("database failure")
            raise _unavailable() from exc
        except OSError as exc:
            log.exception("file system failure")
            raise _unavailable() from exc

    return wrapper


class SqliteStore:
    """One store for every user of the server; safe to call from many threads."""

    def __init__(
        self, data_dir: Path, *, orphan_grace: float = 3600.0, fsync: str = "always"
    ) -> None:
        if fsync not in FSYNC_POLICIES:
            raise ValueError(f"fsync must be one of {', '.join(FSYNC_POLICIES)}, not {fsync!r}")
        # Flag changes and \Recent claims wait for an fsync unless "optimized".
        self._flags_durable = fsync == "always"
        self.data_dir = Path(data_dir)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        opened = time.time()
        self._blobs = BlobFiles(self.data_dir / "blobs")
        self._db = Database(self.data_dir / "roost.db", self._blobs)
        self._blobs.sweep(self._db.referenced_blobs, older_than=opened - orphan_grace)
        self._io = concurrent.futures.ThreadPoolExecutor(IO_THREADS, "roost-blob-io")

    # -- lifecycle

    def close(self) -> None:
        self._db.close()
        self._io.shutdown(wait=True)

    def add_listener(self, listener: Callable[[int, int], None]) -> None:
        self._db.add_listener(listener)

    # -- accounts

    @_guarded
    def create_user(self, name: str, password_hash: str) -> User:
        with self._db.write() as txn:
            return users.create(txn, name, password_hash)

    @_guarded
    def get_user(self, name: str) -> User | None:
        with self._db.read() as conn:
            return users.get(conn, name)

    @_guarded
    def list_users(self) -> list[User]:
        with self._db.read() as conn:
            return users.list_all(conn)

    @_guarded
    def set_password(self, name: str, password_hash: str) -> None:
        with self._db.write() as txn:
            users.set_password(txn, name, password_hash)

    @_guarded
    def delete_user(self, name: str) -> None:
        with self._db.write() as txn:
            users.delete(txn, name)

    # -- mailboxes

    @_guarded
    def list_mailboxes(self, user_id: int) -> list[MailboxInfo]:
        with self._db.read() as conn:
            return mailboxes.list_all(conn, user_id)

    @_guarded
    def get_mailbox(self, user_id: int, name: str) -> MailboxInfo:
        with self._db.read() as conn:
            row = mailboxes.find(conn, user_id, name)
            if row is None:
                raise StorageError(StorageErrorKind.NONEXISTENT, "no such mailbox")
            return mailboxes.info(conn, row)

    @_guarded
    def create_mailbox(
        self, user_id: int, name: str, special_use: Sequence[str] = ()
    ) -> MailboxInfo:
        with self._db.write() as txn:
            users.require(txn.conn, user_id)
            mailbox_id = mailboxes.create(txn, user_id, name, special_use)
            return mailboxes.info(txn.conn, mailboxes.load(txn.conn, mailbox_id))

    @_guarded
    def delete_mailbox(self, user_id: int, name: str) -> None:
        with self._db.write() as txn:
            mailboxes.delete(txn, user_id, name)

    @_guarded
    def rename_mailbox(self, user_id: int, old: str, new: str) -> None:
        with self._db.write() as txn:
            if old != mailboxes.INBOX:
                mailboxes.rename(txn, user_id, old, new)
                return
            # RFC 9051 6.3.6: INBOX's messages move to the new name; INBOX stays, empty,
            # and its children keep their names.
            inbox = mailboxes.check_rename(txn.conn, user_id, old, new)
            dest_id = mailboxes.create_for_rename(txn, user_id, new)
            msgs.move(txn, inbox.id, msgs.all_uids(txn.conn, inbox.id), dest_id)

    @_guarded
    def set_subscribed(self, user_id: int, name: str, subscribed: bool) -> None:
        with self._db.write() as txn:
            users.require(txn.conn, user_id)
            mailboxes.set_subscribed(txn.conn, user_id, name, subscribed)
            txn.touch(user_id, 0)  # 0: "the subscriptions changed" (NOTIFY SubscriptionChange)

    @_guarded
    def list_subscriptions(self, user_id: int) -> list[str]:
        with self._db.read() as conn:
            return mailboxes.subscriptions(conn, user_id)

    @_guarded
    def status(self, mailbox_id: int) -> MailboxStatus:
        with self._db.read() as conn:
            return msgs.status(conn, mailbox_id)

    # -- messages

    @_guarded
    def append(self, mailbox_id: int, messages: Sequence[NewMessage]) -> AppendResult:
        blob_ids = [BlobFiles.new_id(in_file=len(m.data) > INLINE_MAX) for m in messages]
        in_files = [
            (blob_id, message.data)
            for blob_id, message in zip(blob_ids, messages, strict=True)
            if len(message.data) > INLINE_MAX
        ]
        if in_files:
            with self._db.read() as conn:
                mailboxes.load_selectable(conn, mailbox_id)  # no body files for a missing mailbox
        file_ids = [blob_id for blob_id, _ in in_files]
        writes = [self._io.submit(self._blobs.write, *job) for job in in_files]
        try:
            prepared = [
                self._prepare(message, blob_id)
                for blob_id, message in zip(blob_ids, messages, strict=True)
            ]
            if writes:
                failed = [
                    e for w in concurrent.futures.as_completed(writes) if (e := w.exception())
                ]
                if failed:
                    raise failed[0]
        except BaseException:
            concurrent.futures.wait(writes)  # nothing may still be writing when we clean up
            self._blobs.delete(file_ids)
            raise
        uidvalidity, uids = self._db.run(
            lambda txn: msgs.append(txn, mailbox_id, prepared), new_blobs=file_ids
        )
        return AppendResult(uidvalidity, uids)

    def _prepare(self, message: NewMessage, blob_id: str) -> PreparedMessage:
        analysis = mime.analyse(message.data)
        return PreparedMessage(
            blob_id=blob_id,
            size=len(message.data),
            flags=frozenset(message.flags),
            internaldate=_internaldate(message.internaldate),
            envelope=analysis.envelope,
            body=analysis.body,
            bodystructure=analysis.bodystructure,
            structure=analysis.structure.to_json(),
            index=index_header(
                message.data[: analysis.structure.body_start], analysis.header_fields
            ),
            data=message.data if len(message.data) <= INLINE_MAX else None,
        )

    @_guarded
    def message_flags(self, mailbox_id: int) -> list[MessageFlags]:
        with self._db.read() as conn:
            return msgs.message_flags(conn, mailbox_id)

    @_guarded
    def flag_table(self, mailbox_id: int) -> FlagTable:
        with self._db.read() as conn:
            return msgs.flag_table(conn, mailbox_id)

    @_guarded
    def changes_since(self, mailbox_id: int, modseq: int) -> Changes:
        # Every command of a selected session syncs, and nearly always nothing
        # changed: one statement (its own snapshot) answers that without a
        # transaction. MODSEQs only grow, so highest <= modseq means no change.
        highest = self._db.highestmodseq(mailbox_id)
        if highest is not None and modseq >= highest:
            return Changes(highestmodseq=highest, changed=[], expunged=[])
        with self._db.read() as conn:
            return msgs.changes_since(conn, mailbox_id, modseq)

    @_guarded
    def fetch_meta(self, mailbox_id: int, uids: Iterable[int]) -> list[MessageMeta]:
        with self._db.read() as conn:
            return msgs.fetch_meta(conn, mailbox_id, uids)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        with self._db.read():
            yield

    @_guarded
    def read_message(self, blob_id: str) -> bytes:
        return self._read(blob_id, self._blobs.read)

    @_guarded
    def read_head(self, blob_id: str) -> bytes:
        # A message kept in its row is in memory whole once read: cutting its
        # header off would only cost another scan.
        return self._read(blob_id, self._blobs.read_head)

    def _read(self, blob_id: str, from_file: Callable[[str], bytes]) -> bytes:
        if not BlobFiles.valid_id(blob_id):
            raise StorageError(StorageErrorKind.NONEXISTENT, "no such message")
        exists, data = self._db.blob_data(blob_id)
        if not exists:  # expunged (and collected) after the caller looked it up
            raise StorageError(StorageErrorKind.EXPUNGEISSUED, "message was expunged")
        if data is not None:
            return data
        try:
            return from_file(blob_id)
        except FileNotFoundError as exc:
            raise StorageError(StorageErrorKind.EXPUNGEISSUED, "message was expunged") from exc
        except OSError as exc:
            log.exception("cannot read message body")
            raise StorageError(StorageErrorKind.UNAVAILABLE, "cannot read message") from exc

    @_guarded
    def store_flags(
        self,
        mailbox_id: int,
        uids: Iterable[int],
        mode: str,
        flags: Iterable[str],
        unchangedsince: int | None = None,
    ) -> tuple[list[MessageFlags], list[int]]:
        return self._db.run(
            lambda txn: msgs.store_flags(txn, mailbox_id, uids, mode, flags, unchangedsince),
            durable=self._flags_durable,
        )

    @_guarded
    def copy(self, mailbox_id: int, uids: Iterable[int], dest_mailbox_id: int) -> CopyResult:
        return self._db.run(lambda txn: _copied(txn, msgs.copy, mailbox_id, uids, dest_mailbox_id))

    @_guarded
    def move(self, mailbox_id: int, uids: Iterable[int], dest_mailbox_id: int) -> CopyResult:
        return self._db.run(lambda txn: _copied(txn, msgs.move, mailbox_id, uids, dest_mailbox_id))

    @_guarded
    def expunge(self, mailbox_id: int, uids: Iterable[int] | None = None) -> list[int]:
        return self._db.run(lambda txn: msgs.expunge(txn, mailbox_id, uids))

    @_guarded
    def take_recent(self, mailbox_id: int) -> int:
        with self._db.read() as conn:
            box = mailboxes.load(conn, mailbox_id)
        if box.first_recent_uid == box.uidnext:
            # Nothing to claim (the common case): no write transaction, so no
            # wait behind other writers. What arrives next goes to whoever looks first.
            return box.first_recent_uid
        return self._db.run(
            lambda txn: msgs.take_recent(txn, mailbox_id), durable=self._flags_durable
        )

    @_guarded
    def keywords(self, mailbox_id: int) -> list[str]:
        with self._db.read() as conn:
            return msgs.keywords(conn, mailbox_id)

    @_guarded
    def search(self, mailbox_id: int, key: SearchKey) -> list[tuple[int, int]] | None:
        with self._db.read() as conn:
            return msgs.search(conn, mailbox_id, key)


def _unavailable() -> StorageError:
    return StorageError(StorageErrorKind.UNAVAILABLE, "storage temporarily unavailable")


def _internaldate(value: datetime | None) -> datetime:
    if value is None:
        return datetime.now(UTC).replace(microsecond=0)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)  # a naive time is taken as UTC
    return value


def _copied(txn: WriteTxn, how: Callable[..., tuple[list[int], list[int]]], mailbox_id: int,
            uids: Iterable[int], dest_mailbox_id: int) -> CopyResult:  # fmt: skip
    """COPY or MOVE (``how``) in ``txn``, with the target's UIDVALIDITY for COPYUID."""
    source_uids, dest_uids = how(txn, mailbox_id, uids, dest_mailbox_id)
    uidvalidity = mailboxes.load(txn.conn, dest_mailbox_id).uidvalidity
    return CopyResult(uidvalidity, source_uids, dest_uids)
