"""``roost serve --processes N``: a supervisor handing connections to N workers.

The server runs as a real process tree; clients talk to it over loopback
sockets. Connections go to the workers in turn, so consecutive connections
land in different processes: what one does must reach the other (IDLE).
"""

from __future__ import annotations

import asyncio
import imaplib
import os
import re
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from roost.auth.passwords import hash_password
from roost.config import Config
from roost.server.processes import CHANGE, Outbox, _Supervisor, _Worker, read_messages
from roost.storage.sqlite import SqliteStore
from tests.serve_process import start_serve, stop, wait_for_listeners

CHEAP = {"argon2_time_cost": 1, "argon2_memory_kib": 8192}
MESSAGE = b"From: a@example.org\r\nSubject: hello\r\n\r\nbody\r\n"


class Tree:
    def __init__(self, process: subprocess.Popen[bytes], ports: dict[str, int], lines: list[str]):
        self.process = process
        self.ports = ports
        self.lines = lines

    @property
    def workers(self) -> list[int]:
        for line in self.lines:
            match = re.search(r"supervisor workers=([\d,]+)", line)
            if match:
                return [int(pid) for pid in match.group(1).split(",")]
        raise AssertionError("no supervisor line in " + "".join(self.lines))

    def login(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=30)
        client.login("alice", "secret")
        return client


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Tree]:
    data = tmp_path / "data"
    store = SqliteStore(data)
    store.create_user("alice", hash_password("secret", Config(**CHEAP)))
    store.close()
    config = tmp_path / "roost.toml"
    config.write_text(
        f'data_dir = "{data}"\nallow_plaintext_auth = true\nprocesses = 2\n'
        "argon2_time_cost = 1\nargon2_memory_kib = 8192\n"
        'fsync = "optimized"\n'  # flag changes without fsync must still reach every worker
    )
    process = start_serve(
        "--config", str(config), "--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0"
    )
    try:
        ports, lines = wait_for_listeners(process, 2, until="supervisor workers=")
        assert len(ports) == 2, "".join(lines)
        yield Tree(process, ports, lines)
    finally:
        stop(process)


def test_idle_in_one_worker_sees_an_append_made_in_the_other(tree: Tree) -> None:
    assert len(tree.workers) == 2
    idler, other = tree.login(), tree.login()  # in turn: one per worker
    idler.select("INBOX")
    idler.send(b"i1 IDLE\r\n")
    assert idler.readline().startswith(b"+ ")
    started = time.monotonic()
    other.append("INBOX", None, None, MESSAGE)
    idler.sock.settimeout(10)
    assert idler.readline() == b"* 1 EXISTS\r\n"
    assert time.monotonic() - started < 5
    idler.send(b"DONE\r\n")
    while not (line := idler.readline()).startswith(b"i1 "):
        assert line.startswith(b"* ")
    assert line.startswith(b"i1 OK")
    other.select("INBOX")
    other.store("1", "+FLAGS", "(\\Flagged)")  # flag changes reach the other process's view too
    assert idler.noop()[0] == "OK"
    _, fetched = idler.response("FETCH")
    assert any(b"\\Flagged" in item for item in fetched if item)
    idler.logout()
    other.logout()


def test_both_listeners_serve_and_sigterm_says_bye_everywhere(tree: Tree) -> None:
    plain = [tree.login() for _ in range(3)]
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    secure = imaplib.IMAP4_SSL("127.0.0.1", tree.ports["imaps"], ssl_context=context, timeout=30)
    secure.login("alice", "secret")
    assert secure.select("INBOX")[0] == "OK"
    tree.process.send_signal(signal.SIGTERM)
    assert tree.process.wait(timeout=60) == 0
    for client in plain:
        client.sock.settimeout(10)
        assert client.readline().startswith(b"* BYE")
        client.shutdown()
    secure.shutdown()
    for pid in tree.workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert "stopped workers=2" in stop(tree.process)


def test_a_worker_that_dies_stops_the_server(tree: Tree) -> None:
    first, second = tree.workers
    os.kill(first, signal.SIGKILL)
    assert tree.process.wait(timeout=60) == 1
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)
    assert f"worker process {first} ended" in stop(tree.process)


def test_outbox_waits_for_a_full_socket_and_coalesces_changes() -> None:
    async def scenario() -> list[tuple[bytes, list[int]]]:
        loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.setblocking(False)
        theirs.setblocking(False)
        filler = 0
        with pytest.raises(BlockingIOError):
            while True:
                ours.send(CHANGE.pack(b"N", 0, filler))
                filler += 1
        outbox = Outbox(ours, loop)
        passed, kept = socket.socketpair()
        outbox.connection(b"P", passed)
        for _ in range(3):
            outbox.change(7, 9)  # queued once, however often it happens
        outbox.change(7, 10)
        first, _ = read_messages(theirs)  # drain what filled the socket
        assert len(first) == filler
        await asyncio.sleep(0.05)  # the outbox sends once writable
        rest, ended = read_messages(theirs)
        assert not ended
        assert passed.fileno() == -1  # handed over: our copy is closed
        outbox.close()
        ours.close()
        theirs.close()
        kept.close()
        return rest

    rest = asyncio.run(scenario())
    assert [data[:1] for data, _ in rest] == [b"P", b"N", b"N"]
    assert len(rest[0][1]) == 1
    os.close(rest[0][1][0])
    assert [CHANGE.unpack(data)[1:] for data, _ in rest[1:]] == [(7, 9), (7, 10)]


def test_an_unknown_fsync_setting_stops_the_server(tmp_path: Path) -> None:
    config = tmp_path / "roost.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\nfsync = "sometimes"\nprocesses = 2\n')
    process = start_serve("--config", str(config), "--imap", "127.0.0.1:0", "--imaps", "")
    try:
        assert process.wait(timeout=60) == 1
    finally:
        output = stop(process)
    assert "fsync must be one of always, optimized" in output


def test_supervisor_sends_changes_only_to_workers_that_watch_the_user() -> None:
    """``W`` makes the supervisor route a user's changes to that worker (and
    answer ``K``); ``U`` stops them; a worker never gets its own changes."""

    async def scenario() -> list[list[tuple[bytes, int, int]]]:
        loop = asyncio.get_running_loop()
        pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(2)]
        workers = []
        for ours, theirs in pairs:
            ours.setblocking(False)
            theirs.setblocking(False)
            workers.append(_Worker(0, ours, Outbox(ours, loop)))
        supervisor = _Supervisor([], workers)
        first, second = (theirs for _, theirs in pairs)
        seen: list[list[tuple[bytes, int, int]]] = []

        def step(sender: socket.socket, worker: _Worker, kind: bytes, user: int, box: int) -> None:
            sender.send(CHANGE.pack(kind, user, box))
            supervisor._from_worker(worker)
            got, _ = read_messages(second)
            seen.append([CHANGE.unpack(data) for data, _ in got])

        step(first, workers[0], b"N", 7, 1)  # nobody watches user 7
        step(second, workers[1], b"W", 7, 0)  # the second worker starts to
        step(first, workers[0], b"N", 7, 2)
        step(first, workers[0], b"N", 8, 1)  # another user
        step(second, workers[1], b"N", 7, 3)  # its own change
        step(second, workers[1], b"U", 7, 0)
        step(first, workers[0], b"N", 7, 4)
        assert read_messages(first)[0] == []
        for ours, theirs in pairs:
            ours.close()
            theirs.close()
        return seen

    assert asyncio.run(scenario()) == [[], [(b"K", 7, 0)], [(b"N", 7, 2)], [], [], [], []]
