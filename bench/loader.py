"""Loading the same mailboxes into both servers before they start.

1. Maildir files for Dovecot are written by two processes (each a share of
   every mailbox) that drop to the mail user first, so Dovecot owns its mail.
2. Dovecot is started (doveadm looks users up through its auth service).
3. Then, in parallel: roost's store is filled from those very files (same
   bytes, same flags, same internal dates) through ``SqliteStore.append`` in
   batches, and ``doveadm index`` builds Dovecot's index of each mailbox.

See ``bench/dovecot.py`` and ``bench/roost_server.py`` for what each side's
loading does and why fsync is skipped while loading.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from bench.corpus import Corpus
from bench.dovecot import Dovecot, maildir_name, make_maildir
from bench.workers import run_workers

BATCH = 500


@dataclass(frozen=True)
class MailboxLoad:
    user: str
    mailbox: str
    count: int
    first: int  # corpus index of the first message
    seed: int
    max_size: int

    def corpus(self) -> Corpus:
        return Corpus(self.seed, self.max_size)


@dataclass(frozen=True)
class _Shard:
    loads: tuple[MailboxLoad, ...]
    dirs: dict[str, Path]  # "user/mailbox" -> maildir
    uid: int
    gid: int
    index: int
    shards: int


def _write_shard(shard: _Shard, ready: object) -> int:
    os.setgroups([])
    os.setgid(shard.gid)
    os.setuid(shard.uid)
    written = 0
    for load in shard.loads:
        corpus = load.corpus()
        path = shard.dirs[f"{load.user}/{load.mailbox}"]
        make_maildir(path)
        for pos in range(shard.index, load.count, shard.shards):
            i = load.first + pos
            data = corpus.message(i)
            name = path / "cur" / maildir_name(pos, len(data), corpus.flags(i))
            tmp = path / "tmp" / name.name
            tmp.write_bytes(data)
            stamp = corpus.internaldate(i).timestamp()
            os.utime(tmp, (stamp, stamp))
            os.rename(tmp, name)
            written += len(data)
    return written


def write_maildirs(dovecot: Dovecot, loads: list[MailboxLoad], processes: int = 2) -> int:
    """Write every mailbox as Maildir files; returns the bytes written."""
    dirs = {f"{x.user}/{x.mailbox}": dovecot.maildir(x.user, x.mailbox) for x in loads}
    shards = [
        _Shard(tuple(loads), dirs, dovecot.uid, dovecot.gid, i, processes) for i in range(processes)
    ]
    _, sizes = run_workers(_write_shard, shards, timeout=7200)
    return sum(sizes)


def _maildir_files(path: Path) -> list[Path]:
    return sorted((path / "cur").iterdir(), key=lambda p: p.name)


def _load_roost(args: tuple[Path, list[MailboxLoad], dict[str, Path]], ready: object) -> int:
    from roost.storage.interface import NewMessage, StorageError
    from roost.storage.sqlite import SqliteStore

    data_dir, loads, dirs = args
    # bulk load: one sync() at the end (roost syncs bodies with fdatasync, the rest with fsync)
    with mock.patch("os.fsync", lambda fd: None), mock.patch("os.fdatasync", lambda fd: None):
        store = SqliteStore(data_dir)
        try:
            total = 0
            for load in loads:
                user = store.get_user(load.user)
                assert user is not None, load.user
                try:
                    box = store.get_mailbox(user.id, load.mailbox)
                except StorageError:
                    box = store.create_mailbox(user.id, load.mailbox)
                corpus = load.corpus()
                files = _maildir_files(dirs[f"{load.user}/{load.mailbox}"])
                for start in range(0, len(files), BATCH):
                    batch = []
                    for pos, path in enumerate(files[start : start + BATCH], start):
                        i = load.first + pos
                        batch.append(NewMessage(path.read_bytes(), frozenset(corpus.flags(i)),
                                                corpus.internaldate(i)))  # fmt: skip
                    store.append(box.id, batch)
                    total += len(batch)
        finally:
            store.close()
    os.sync()
    return total


def load_both(dovecot: Dovecot, roost_data: Path, loads: list[MailboxLoad],
              log: Callable[[str], None] = print) -> dict[str, float]:  # fmt: skip
    """Fill both servers' storage (Dovecot is left running); returns seconds per step."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    size = write_maildirs(dovecot, loads)
    timings["generate + write Maildir"] = time.perf_counter() - started
    log(f"  wrote {sum(x.count for x in loads):,} messages ({size / 1e6:,.0f} MB) as Maildir "
        f"in {timings['generate + write Maildir']:.0f}s")  # fmt: skip
    dirs = {f"{x.user}/{x.mailbox}": dovecot.maildir(x.user, x.mailbox) for x in loads}

    dovecot.start()  # doveadm asks the running server's auth service for the user
    index_error: list[BaseException] = []

    def index_all() -> None:
        t = time.perf_counter()
        try:
            for load in loads:
                dovecot.index(load.user, load.mailbox)
        except BaseException as exc:  # noqa: BLE001 - re-raised below
            index_error.append(exc)
        timings["Dovecot: doveadm index"] = time.perf_counter() - t

    indexer = threading.Thread(target=index_all, name="doveadm-index")
    indexer.start()
    t = time.perf_counter()
    run_workers(_load_roost, [(roost_data, loads, dirs)], timeout=7200)
    timings["roost: store API append"] = time.perf_counter() - t
    indexer.join()
    if index_error:
        raise index_error[0]
    log(f"  roost store loaded in {timings['roost: store API append']:.0f}s, "
        f"doveadm index in {timings['Dovecot: doveadm index']:.0f}s")  # fmt: skip
    return timings
