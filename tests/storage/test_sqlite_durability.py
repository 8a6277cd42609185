"""Crash tests: a process killed with SIGKILL never loses an acknowledged message.

The child (``tests.storage.crash_child``) prints an ack after each ``append``
returns; the parent kills it (or it kills itself) and reopens the store.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from roost.storage.sqlite import SqliteStore
from tests.storage.helpers import mixed_size_message

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def _child(data_dir: Path, mode: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.storage.crash_child", str(data_dir), mode, str(count)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _acks(lines: list[str]) -> dict[int, int]:
    """uid -> message number, from the child's ack lines."""
    out = {}
    for line in lines:
        if line.startswith("ack "):
            _, uid, n = line.split()
            out[int(uid)] = int(n)
    return out


def _check_intact(data_dir: Path, acked: dict[int, int]) -> None:
    store = SqliteStore(data_dir)
    try:
        user = store.get_user("crash")
        assert user is not None
        inbox = store.get_mailbox(user.id, "INBOX")
        metas = {m.uid: m for m in store.fetch_meta(inbox.id, range(1, inbox.uidnext))}
        assert set(acked) <= set(metas), "an acknowledged message was lost"
        for uid, n in acked.items():
            assert store.read_message(metas[uid].blob_id) == mixed_size_message(n)
        for meta in metas.values():  # committed but not acked yet: still whole
            assert len(store.read_message(meta.blob_id)) == meta.size
        assert store.status(inbox.id).messages == len(metas)
    finally:
        store.close()


@pytest.mark.parametrize("run", range(3))
def test_acknowledged_appends_survive_sigkill(tmp_path: Path, run: int) -> None:
    data_dir = tmp_path / "data"
    child = _child(data_dir, "ack", 5 + run)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    acked = _acks(out.splitlines())
    assert len(acked) == 5 + run
    _check_intact(data_dir, acked)


def test_random_kill_during_appends(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    rng = random.Random(1234)
    acked: dict[int, int] = {}
    for _ in range(3):
        child = _child(data_dir, "loop", 0)
        assert child.stdout is not None
        wanted = rng.randint(2, 8)
        lines: list[str] = []
        try:
            while len(lines) < wanted and (line := child.stdout.readline()):
                lines.append(line)
        finally:
            child.send_signal(signal.SIGKILL)
            rest, err = child.communicate(timeout=30)
        assert len(lines) == wanted, err
        acked.update(_acks([*lines, *rest.splitlines()]))
        _check_intact(data_dir, acked)


def test_crash_between_blob_write_and_commit(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    child = _child(data_dir, "torn", 2)
    out, err = child.communicate(timeout=60)
    assert child.returncode == -signal.SIGKILL, err
    lines = out.splitlines()
    acked = _acks(lines)
    orphan = next(line.split()[1] for line in lines if line.startswith("blob "))
    orphan_path = data_dir / "blobs" / orphan[:2] / orphan[2:4] / orphan
    assert orphan_path.exists()  # the body file was durable ...
    _check_intact(data_dir, acked)  # ... but no half message is visible
    assert orphan_path.exists()  # younger than the default grace: kept
    store = SqliteStore(data_dir, orphan_grace=0)
    try:
        assert not orphan_path.exists()  # swept: nothing referenced it
        user = store.get_user("crash")
        assert user is not None
        inbox = store.get_mailbox(user.id, "INBOX")
        assert [m.uid for m in store.message_flags(inbox.id)] == sorted(acked)
    finally:
        store.close()
    _check_intact(data_dir, acked)
