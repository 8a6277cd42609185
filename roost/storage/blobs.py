"""Message bodies as immutable files under ``data_dir/blobs/ab/cd/<id>``.

Rules:
- A blob id is 32 hex digits, not a content hash: two appends of the same
  bytes get two files, so deleting one can never race with writing the other.
  The first two digits change with the clock (every ~18 hours). For a body in
  a file the other 30 are random: appends made close together share the 256
  directories of one period instead of creating (and fsyncing) a new
  directory for nearly every message, and over time files still spread over
  all 65,536. A message kept in the database needs no directory: its next 16
  digits are the time in nanoseconds (then 14 random ones), so the database's
  indexes on blob ids grow at their right edge and the writes batched into
  one COMMIT share those index pages instead of dirtying one random page each
  (with 10 writers on a 150,000-message store: 8.3 -> 5.3-6.4 WAL pages per
  APPEND). Ids are validated before they become paths (no traversal).
- ``write`` is durable before it returns: the bytes go straight to the final,
  new name (``O_EXCL``), the file is fdatasynced, then its directory (new
  directories too). No temporary name is needed: nothing reads a blob before
  the database row naming it is committed, which happens only after that, so
  a committed message always has its whole body. A crash before the commit
  leaves an orphan file that ``sweep`` removes.
- Files are deleted only after the database commit that dropped their last
  reference; a crash in between leaves an orphan file, never a dangling row.
  ``sweep`` removes orphans (and stale temporary files) older than a cut-off.
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from roost.mime.headers import header_end

_ID_RE = re.compile(r"[0-9a-f]{32}")
_TMP_SUFFIX = ".tmp"  # left by older versions, which wrote under a temporary name
# The clock part of an id: one value per 2**16 seconds (about 18 hours).
_PERIOD_BITS = 16


class BlobFiles:
    """The blob directory of one store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_text = os.fspath(root)  # reads build paths as text: pathlib costs more
        if not root.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            _fsync_dir(root.parent)

    @staticmethod
    def new_id(*, in_file: bool = True) -> str:
        """A new id; ``in_file=False``: for a message kept in the database (time-ordered)."""
        now = time.time_ns()
        period = (now // 1_000_000_000 >> _PERIOD_BITS) & 0xFF
        if in_file:
            return f"{period:02x}{secrets.token_hex(15)}"
        return f"{period:02x}{now & 0xFFFF_FFFF_FFFF_FFFF:016x}{secrets.token_hex(7)}"

    @staticmethod
    def valid_id(blob_id: str) -> bool:
        return bool(_ID_RE.fullmatch(blob_id))

    def path(self, blob_id: str) -> Path:
        return Path(self._text_path(blob_id))

    def write(self, blob_id: str, data: bytes) -> None:
        """Store ``data`` durably under ``blob_id`` (new file, fsync, directory fsync)."""
        target = self.path(blob_id)
        self._ensure_dir(target.parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            _sync_data(fd)
        except BaseException:
            os.close(fd)
            _unlink_quietly(target)
            raise
        os.close(fd)
        _fsync_dir(target.parent)

    def read_head(self, blob_id: str, chunk: int = 65536) -> bytes:
        """The message's first bytes, holding at least its whole top-level
        header (with its blank line): one chunk unless the header is longer."""
        with open(self._text_path(blob_id), "rb", buffering=0) as file:
            head = file.read(chunk)
            if len(head) == chunk:
                # Scan only whole lines: a cut line could look like the end of the header.
                whole = head[: head.rfind(b"\n") + 1]
                if header_end(whole) < len(whole):
                    return whole
                head += file.readall()
        return head

    def _text_path(self, blob_id: str) -> str:
        if not self.valid_id(blob_id):
            raise ValueError(f"invalid blob id {blob_id!r}")
        return f"{self._root_text}/{blob_id[0:2]}/{blob_id[2:4]}/{blob_id}"

    def read(self, blob_id: str) -> bytes:
        with open(self._text_path(blob_id), "rb", buffering=0) as file:
            return file.readall()

    def delete(self, blob_ids: Iterable[str]) -> None:
        """Remove files whose last reference is gone (already committed)."""
        for blob_id in blob_ids:
            _unlink_quietly(self.path(blob_id))

    def sweep(self, referenced: Callable[[list[str]], set[str]], older_than: float) -> int:
        """Delete unreferenced blob files and temp files with mtime before ``older_than``.

        ``referenced`` gets a batch of ids and returns those the database knows.
        The cut-off protects files another process is writing right now (their
        row is not committed yet). Returns how many files were removed.
        """
        removed = 0
        batch: list[Path] = []
        for path in self._files():
            if _mtime(path) >= older_than:
                continue
            if path.name.endswith(_TMP_SUFFIX) or not self.valid_id(path.name):
                removed += _unlink_quietly(path)
                continue
            batch.append(path)
            if len(batch) >= 500:
                removed += self._drop_unreferenced(batch, referenced)
                batch = []
        return removed + self._drop_unreferenced(batch, referenced)

    def _drop_unreferenced(
        self, batch: list[Path], referenced: Callable[[list[str]], set[str]]
    ) -> int:
        if not batch:
            return 0
        known = referenced([p.name for p in batch])
        return sum(_unlink_quietly(p) for p in batch if p.name not in known)

    def _files(self) -> Iterator[Path]:
        for first in _subdirs(self.root):
            for second in _subdirs(first):
                with os.scandir(second) as entries:
                    yield from (Path(e.path) for e in entries if e.is_file())

    def _ensure_dir(self, directory: Path) -> None:
        # Each new level is fsynced into its parent so the file's path survives a crash.
        if directory.is_dir():
            return
        self._ensure_dir(directory.parent)
        try:
            directory.mkdir()
        except FileExistsError:
            return  # another thread made it (and fsyncs it)
        _fsync_dir(directory.parent)


def _subdirs(directory: Path) -> list[Path]:
    with os.scandir(directory) as entries:
        return [Path(e.path) for e in entries if e.is_dir() and len(e.name) == 2]


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")


def _sync_data(fd: int) -> None:
    # fdatasync writes the data and what is needed to read it back (size,
    # blocks) but not timestamps: enough for a new file, and cheaper than fsync.
    sync = getattr(os, "fdatasync", os.fsync)
    sync(fd)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _unlink_quietly(path: Path) -> int:
    try:
        path.unlink()
    except FileNotFoundError:
        return 0
    return 1
