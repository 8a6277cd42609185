"""Message bodies as immutable files under ``data_dir/blobs/ab/cd/<id>``.

Rules:
- A blob id is 32 random hex digits (not a content hash: two appends of the
  same bytes get two files, so deleting one can never race with writing the
  other). Ids are validated before they become paths (no traversal).
- ``write`` is durable before it returns: the bytes go to a temporary file in
  the target directory, which is fsynced, renamed into place, and the directory
  fsynced (new directories too). The database row that names a blob is
  committed only after that, so a committed message always has its body.
- Files are deleted only after the database commit that dropped their last
  reference; a crash in between leaves an orphan file, never a dangling row.
  ``sweep`` removes orphans (and stale temporary files) older than a cut-off.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

_ID_RE = re.compile(r"[0-9a-f]{32}")
_TMP_SUFFIX = ".tmp"


class BlobFiles:
    """The blob directory of one store."""

    def __init__(self, root: Path) -> None:
        self.root = root
        if not root.is_dir():
            root.mkdir(parents=True, exist_ok=True)
            _fsync_dir(root.parent)

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(16)

    @staticmethod
    def valid_id(blob_id: str) -> bool:
        return bool(_ID_RE.fullmatch(blob_id))

    def path(self, blob_id: str) -> Path:
        if not self.valid_id(blob_id):
            raise ValueError(f"invalid blob id {blob_id!r}")
        return self.root / blob_id[0:2] / blob_id[2:4] / blob_id

    def write(self, blob_id: str, data: bytes) -> None:
        """Store ``data`` durably under ``blob_id`` (temp file, fsync, rename, dir fsync)."""
        target = self.path(blob_id)
        self._ensure_dir(target.parent)
        tmp = target.with_name(target.name + _TMP_SUFFIX)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            _unlink_quietly(tmp)
            raise
        os.close(fd)
        os.replace(tmp, target)
        _fsync_dir(target.parent)

    def read(self, blob_id: str) -> bytes:
        return self.path(blob_id).read_bytes()

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
