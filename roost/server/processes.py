"""Several worker processes behind one set of listeners (``processes`` > 1).

One Python process runs one event loop, so it uses about one core. With
``processes = N`` the ``roost serve`` process becomes a supervisor: it makes
the TLS pair and opens (upgrades) the store once, binds the listeners, forks N
workers, and from then on only accepts connections, hands each to the next
worker in turn, and relays change notices between the workers. Each worker is
an ordinary ``Server`` without listeners of its own, on the same data
directory (SQLite serialises the writers of all processes).

Rules:
- The workers are forked before the supervisor starts an event loop or any
  thread; each keeps only its own end of its control socket.
- One ``SOCK_SEQPACKET`` socket pair per worker carries whole messages:
  ``P``/``T`` + one file descriptor: a connection (cleartext / implicit TLS),
  supervisor to worker; ``N`` + (user id, mailbox id): a change committed by
  a worker, sent to the supervisor and from there to every other worker that
  watches the user, whose hub wakes its IDLE and NOTIFY sessions as for a
  change of its own. A worker that watches nobody is not woken for nothing.
- Who watches: a worker sends ``W`` + user id when its hub gets the user's
  first watcher (IDLE or NOTIFY) and ``U`` when the last goes; the supervisor
  answers each ``W`` with ``K`` + user id, and on ``K`` the worker wakes that
  user's watchers once more. A change routed before the supervisor read the
  ``W`` was committed before the ``K`` was sent, so the poll that follows the
  ``K`` sees it: no change is missed, whatever the order in which the
  supervisor reads its sockets.
- Nobody blocks on a control socket: what cannot be sent now waits in an
  ``Outbox`` (connections in order, changes as a set) until it is writable.
- A worker that ends while the supervisor is not stopping stops the server
  (exit status 1) so the service manager restarts the whole; a worker whose
  supervisor is gone (end of its control socket) stops.
- SIGTERM or SIGINT: the supervisor stops accepting, passes SIGTERM on and waits
  for the workers, which say BYE to their clients as a lone server does.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from roost.config import Config
from roost.server import tls
from roost.server.app import Server, log_listening, split_address
from roost.server.logging import log_event
from roost.server.loop import run as run_loop
from roost.storage.sqlite import SqliteStore

log = logging.getLogger("roost.server")

CHANGE = struct.Struct("<cqq")  # b"N", user id, mailbox id; b"W"/b"U"/b"K", user id, 0
CONNECTION_KINDS = {b"P": False, b"T": True}  # message kind -> implicit TLS
MESSAGE_MAX = 64
BACKLOG = 1024


class Outbox:
    """Messages for one control socket, sent as soon as it takes them (loop thread)."""

    def __init__(self, sock: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        self.sock = sock
        self._loop = loop
        self._connections: deque[tuple[bytes, socket.socket]] = deque()
        self._interest: deque[bytes] = deque()  # W/U/K messages, in order
        self._changes: dict[tuple[int, int], None] = {}  # ordered set
        self._waiting = False
        self.closed = False

    def connection(self, kind: bytes, conn: socket.socket) -> None:
        self._connections.append((kind, conn))
        self.flush()

    def interest(self, kind: bytes, user_id: int) -> None:
        """``W``/``U`` (worker: a first / no more watcher of the user), ``K``
        (supervisor: a ``W`` was read)."""
        self._interest.append(CHANGE.pack(kind, user_id, 0))
        self.flush()

    def change(self, user_id: int, mailbox_id: int) -> None:
        self._changes[(user_id, mailbox_id)] = None
        self.flush()

    def flush(self) -> None:
        if self._waiting or self.closed:
            return
        try:
            while self._connections:
                kind, conn = self._connections[0]
                socket.send_fds(self.sock, [kind], [conn.fileno()])
                self._connections.popleft()
                conn.close()  # the worker has its own descriptor now
            while self._interest:
                self.sock.send(self._interest[0])
                self._interest.popleft()
            while self._changes:
                key = next(iter(self._changes))
                self.sock.send(CHANGE.pack(b"N", *key))
                del self._changes[key]
        except BlockingIOError:
            self._waiting = True
            self._loop.add_writer(self.sock, self._writable)
        except OSError:  # the other side is gone; its end is reported by the reader
            self.close()

    def _writable(self) -> None:
        self._loop.remove_writer(self.sock)
        self._waiting = False
        self.flush()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self._waiting:
            self._loop.remove_writer(self.sock)
        for _, conn in self._connections:
            conn.close()
        self._connections.clear()


def read_messages(sock: socket.socket) -> tuple[list[tuple[bytes, list[int]]], bool]:
    """Every message waiting on ``sock`` with the descriptors it carried; True at its end."""
    messages: list[tuple[bytes, list[int]]] = []
    while True:
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, MESSAGE_MAX, 1)
        except BlockingIOError:
            return messages, False
        except ConnectionResetError:
            return messages, True
        if not data:
            return messages, True
        messages.append((data, fds))


# ---------------------------------------------------------------- supervisor


@dataclass
class _Worker:
    pid: int
    sock: socket.socket
    outbox: Outbox | None = None
    ended: bool = False
    watching: set[int] = field(default_factory=set)  # users its sessions watch


@dataclass
class _Listener:
    name: str
    sock: socket.socket
    kind: bytes


@dataclass
class _Supervisor:
    listeners: list[_Listener]
    workers: list[_Worker]
    stopping: bool = False
    failed: bool = False
    _next: int = 0
    _all_ended: asyncio.Event = field(default_factory=asyncio.Event)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        for worker in self.workers:
            worker.outbox = Outbox(worker.sock, loop)
            loop.add_reader(worker.sock, self._from_worker, worker)
        accepting = [asyncio.create_task(self._accept(x)) for x in self.listeners]
        stopped = asyncio.create_task(stop.wait())
        ended = asyncio.create_task(self._all_ended.wait())
        await asyncio.wait({stopped, ended}, return_when=asyncio.FIRST_COMPLETED)
        self.stopping = True
        for task in (*accepting, stopped):
            task.cancel()
        for listener in self.listeners:
            listener.sock.close()
        self._signal_workers()
        await ended

    async def _accept(self, listener: _Listener) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                conn, _ = await loop.sock_accept(listener.sock)
            except OSError as exc:  # out of descriptors and the like: try again shortly
                log.warning("accept on %s failed: %s", listener.name, exc)
                await asyncio.sleep(0.1)
                continue
            worker = self._pick()
            if worker is None or worker.outbox is None:
                conn.close()
                continue
            worker.outbox.connection(listener.kind, conn)

    def _pick(self) -> _Worker | None:
        """The next live worker, in turn."""
        for _ in range(len(self.workers)):
            worker = self.workers[self._next % len(self.workers)]
            self._next += 1
            if not worker.ended:
                return worker
        return None

    def _from_worker(self, worker: _Worker) -> None:
        messages, ended = read_messages(worker.sock)
        for data, fds in messages:
            for fd in fds:  # workers send none; never leak one
                os.close(fd)
            if len(data) != CHANGE.size:
                continue
            kind, user_id, mailbox_id = CHANGE.unpack(data)
            if kind == b"N":
                for other in self.workers:
                    watches = user_id in other.watching and not other.ended
                    if other is not worker and watches and other.outbox is not None:
                        other.outbox.change(user_id, mailbox_id)
            elif kind == b"W":
                worker.watching.add(user_id)
                if worker.outbox is not None:
                    worker.outbox.interest(b"K", user_id)
            elif kind == b"U":
                worker.watching.discard(user_id)
        if ended:
            self._worker_ended(worker)

    def _worker_ended(self, worker: _Worker) -> None:
        asyncio.get_running_loop().remove_reader(worker.sock)
        worker.ended = True
        if worker.outbox is not None:
            worker.outbox.close()
        worker.sock.close()
        if not self.stopping:
            log.error("worker process %d ended; stopping the server", worker.pid)
            self.failed = True
            self.stopping = True
            self._signal_workers()
        if all(w.ended for w in self.workers):
            self._all_ended.set()

    def _signal_workers(self) -> None:
        for worker in self.workers:
            if not worker.ended:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signal.SIGTERM)


def _bind(name: str, address: str) -> socket.socket:
    host, port = split_address(address)
    info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, sockaddr = info[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(sockaddr)
        sock.listen(BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    log_listening(name, sock.getsockname(), implicit_tls=name == "imaps")
    return sock


def _prepare(config: Config) -> None:
    """What must happen once before any worker serves: TLS pair, store upgrade."""
    config.data_dir.mkdir(parents=True, exist_ok=True)
    cert, key, created = tls.certificate_files(config)
    log_event(log, "tls-self-signed-created" if created else "tls-certificate", cert=cert, key=key)
    SqliteStore(config.data_dir, fsync=config.fsync).close()  # also checks the setting


def serve(config: Config) -> int:
    """Run the supervisor and ``config.processes`` workers; the exit status."""
    _prepare(config)
    listeners: list[_Listener] = []
    try:
        for name, address, kind in (("imap", config.imap, b"P"), ("imaps", config.imaps, b"T")):
            if address:
                listeners.append(_Listener(name, _bind(name, address), kind))
        workers = [_fork_worker(config, listeners) for _ in range(config.processes)]
    except BaseException:
        for listener in listeners:
            listener.sock.close()
        raise
    log_event(log, "supervisor", workers=",".join(str(w.pid) for w in workers))
    supervisor = _Supervisor(listeners, workers)
    try:
        run_loop(supervisor.run(), config.event_loop)
    finally:
        for worker in workers:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(worker.pid, 0)
    log_event(log, "stopped", workers=len(workers))
    return 1 if supervisor.failed else 0


def _fork_worker(config: Config, listeners: list[_Listener]) -> _Worker:
    parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # the worker: never returns into the supervisor's code
        status = 1
        try:
            parent_end.close()
            for listener in listeners:
                listener.sock.close()
            status = run_worker(config, child_end)
        except BaseException:
            log.exception("worker process failed")
        finally:
            logging.shutdown()
            os._exit(status)
    child_end.close()
    parent_end.setblocking(False)
    return _Worker(pid, parent_end)


# ---------------------------------------------------------------- worker


def run_worker(config: Config, control: socket.socket) -> int:
    control.setblocking(False)
    run_loop(_serve_worker(config, control), config.event_loop)
    return 0


async def _serve_worker(config: Config, control: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    server = Server(config, listen=False)
    await server.start()
    outbox = Outbox(control, loop)
    assert server.store is not None
    server.store.add_listener(_publisher(loop, outbox))
    server.on_interest(
        lambda user_id, watching: outbox.interest(b"W" if watching else b"U", user_id)
    )
    loop.add_reader(control, _from_supervisor, server, control, stop)
    log_event(log, "worker", pid=os.getpid())
    try:
        await stop.wait()
    finally:
        loop.remove_reader(control)
        await server.stop()
        outbox.close()
        control.close()


def _publisher(loop: asyncio.AbstractEventLoop, outbox: Outbox) -> Callable[[int, int], None]:
    """A store listener (any thread) that tells the supervisor of each committed change."""

    def publish(user_id: int, mailbox_id: int) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closed: the worker is ending
            loop.call_soon_threadsafe(outbox.change, user_id, mailbox_id)

    return publish


def _from_supervisor(server: Server, control: socket.socket, stop: asyncio.Event) -> None:
    messages, ended = read_messages(control)
    for data, fds in messages:
        kind = data[:1]
        if kind in CONNECTION_KINDS and len(fds) == 1:
            conn = socket.socket(fileno=fds[0])
            server.adopt(conn, implicit_tls=CONNECTION_KINDS[kind])
            continue
        for fd in fds:
            os.close(fd)
        if len(data) == CHANGE.size and kind == b"N":
            _, user_id, mailbox_id = CHANGE.unpack(data)
            server.hub_notify(user_id, mailbox_id)
        elif len(data) == CHANGE.size and kind == b"K":
            server.hub_wake_user(CHANGE.unpack(data)[1])
    if ended:
        log.error("the supervisor is gone; stopping")
        stop.set()
