"""Writers of several processes on one store (``processes`` > 1): the flock
on ``roost.db-writer`` lets exactly one write transaction run at a time, and
a waiting writer goes on as soon as the lock is free. Two stores on one data
directory stand in for two processes (flock locks belong to the open file)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

from roost.storage.interface import NewMessage
from roost.storage.sqlite import SqliteStore
from tests.storage.helpers import mailbox, new_user, raw_message


def test_a_second_process_waits_for_the_first_commit_then_goes_on(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "data")
    second = SqliteStore(tmp_path / "data")
    try:
        box = mailbox(first, new_user(first)).id
        holding, release = threading.Event(), threading.Event()

        def hold_a_write() -> None:
            with first._db.write():
                holding.set()
                release.wait(10)

        holder = threading.Thread(target=hold_a_write)
        holder.start()
        assert holding.wait(10)
        done: list[float] = []
        appender = threading.Thread(
            target=lambda: (
                second.append(box, [NewMessage(raw_message(1))]),
                done.append(time.monotonic()),
            )
        )
        appender.start()
        time.sleep(0.3)
        assert done == []  # blocked by the other store's open transaction
        released = time.monotonic()
        release.set()
        holder.join(10)
        appender.join(10)
        assert done and done[0] - released < 0.25  # woken at once, no busy polling
        assert [m.uid for m in first.message_flags(box)] == [1]
    finally:
        first.close()
        second.close()


def _lock_is_free(data_dir: Path) -> bool:
    fd = os.open(data_dir / "roost.db-writer", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def test_the_lock_is_held_from_begin_to_commit(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    try:
        user = new_user(store)
        assert _lock_is_free(tmp_path / "data")
        with store._db.write():
            assert not _lock_is_free(tmp_path / "data")
        assert _lock_is_free(tmp_path / "data")
        with pytest.raises(RuntimeError), store._db.write():  # a failed write rolls back
            raise RuntimeError("boom")
        assert _lock_is_free(tmp_path / "data")
        assert store.get_user(user.name) is not None
    finally:
        store.close()


def test_take_recent_with_nothing_to_claim_does_not_wait_for_writers(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data")
    other = SqliteStore(tmp_path / "data")
    try:
        box = mailbox(store, new_user(store)).id
        store.append(box, [NewMessage(raw_message(1))])
        assert store.take_recent(box) == 1  # claims message 1 (a write)
        with other._db.write():  # another process is writing
            started = time.monotonic()
            assert store.take_recent(box) == 2  # nothing new: answered from a read
            assert time.monotonic() - started < 0.5
    finally:
        store.close()
        other.close()
