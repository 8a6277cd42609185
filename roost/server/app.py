"""The server: listeners, shared resources and a graceful stop.

``Server(config)``: ``await start()`` opens the store (creating ``data_dir``),
the authenticator, the change hub and the TLS context (a self-signed pair is
made on first run when none is configured), then listens on ``config.imap``
(cleartext + STARTTLS) and ``config.imaps`` (implicit TLS, RFC 8314); ``""``
disables a listener and port 0 picks a free one (``ports`` says which).
``await stop()`` closes the listeners, tells every client ``* BYE``, waits for
the connections to end and closes the store. ``Server(config, listen=False)``
opens no listeners: a worker process (``roost.server.processes``) is handed
its connections with ``adopt`` and other processes' changes with ``hub_notify``.

Rules:
- Every connection task lives in one ``TaskGroup`` owned by a supervisor task;
  a connection never lets an exception escape, so one client cannot take the
  others down.
- Blocking work runs in bounded worker pools shared by all connections:
  storage in ``WORKER_THREADS`` threads, password checks in one thread per
  CPU (``roost.auth.passwords.HASH_SLOTS``).
- Connections over ``MAX_CONNECTIONS`` get ``* BYE [UNAVAILABLE]`` at once.
- Autologout (RFC 9051 5.4) is one sweeper task for all connections: every
  ``idle_timeout / 4`` (at most ``MAX_SWEEP_INTERVAL``) it ends the
  connections whose wait for client data has lasted ``idle_timeout``, so a
  client is logged out at most one sweep interval late.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from roost.auth.authenticator import Authenticator
from roost.auth.passwords import HASH_SLOTS
from roost.config import Config
from roost.protocol.responses import untagged_status
from roost.server import tls
from roost.server.driver import Driver, Shared
from roost.server.hub import ChangeHub
from roost.server.logging import log_event
from roost.server.loop import loop_name
from roost.server.workers import WorkerPool
from roost.storage.sqlite import SqliteStore

log = logging.getLogger("roost.server")

# Each connection costs a socket, a few buffers and a Session (tens of KiB);
# 20,000 stays under common fd limits (ulimit -n raised to 65536) with headroom.
MAX_CONNECTIONS = 20_000
# Worker threads for session calls. Python code holds the GIL, so more threads
# add no CPU; they overlap disk and SQLite waits (group commit needs writers
# queued behind each other). Password checks have their own pool (HASH_SLOTS).
WORKER_THREADS = 8
# Read buffer limit of a connection's StreamReader (asyncio.start_server's default).
STREAM_LIMIT = 64 * 1024
# Longest pause between autologout sweeps (shorter when idle_timeout is short).
MAX_SWEEP_INTERVAL = 30.0
# How long stop() lets running commands finish before cutting connections.
SHUTDOWN_GRACE = 10.0


def split_address(address: str) -> tuple[str | None, int]:
    """``host:port`` / ``[v6]:port`` / ``:port`` (all interfaces) -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"listen address must be host:port, got {address!r}")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    return (host or None), int(port)


def log_listening(name: str, bound: tuple[str, int], *, implicit_tls: bool) -> None:
    """The "listening" line (scripts and tests read the bound port from it)."""
    tls_mode = "implicit" if implicit_tls else "starttls"
    log_event(log, "listening", listener=name, address=f"{bound[0]}:{bound[1]}", tls=tls_mode)


class Server:
    def __init__(self, config: Config, *, listen: bool = True) -> None:
        self.config = config
        self.listen = listen
        self.store: SqliteStore | None = None
        self.ports: dict[str, tuple[str, int]] = {}  # "imap"/"imaps" -> bound (host, port)
        self.cert_file: Path | None = None
        self._listeners: list[asyncio.Server] = []
        self._drivers: set[Driver] = set()
        self._shared: Shared | None = None
        self._executor: WorkerPool | None = None
        self._logins: WorkerPool | None = None
        self._group: asyncio.TaskGroup | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stop_requested = asyncio.Event()
        self._all_closed = asyncio.Event()
        self._stopping = False

    # ------------------------------------------------------------ start

    async def start(self) -> None:
        """Open everything and listen; raises (after cleaning up) when that fails."""
        try:
            await self._open_resources()
            ready = asyncio.Event()
            self._supervisor = asyncio.create_task(self._supervise(ready))
            await ready.wait()
            if self.listen:
                await self._listen("imap", self.config.imap, implicit_tls=False)
                await self._listen("imaps", self.config.imaps, implicit_tls=True)
        except BaseException:
            await self.stop()
            raise

    async def _open_resources(self) -> None:
        config = self.config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        cert, key, created = await asyncio.to_thread(tls.certificate_files, config)
        if created:
            log_event(log, "tls-self-signed-created", cert=cert, key=key)
        else:
            log_event(log, "tls-certificate", cert=cert, key=key)
        self.cert_file = cert
        context = tls.server_context(cert, key)
        self.store = await asyncio.to_thread(SqliteStore, config.data_dir, fsync=config.fsync)
        running = asyncio.get_running_loop()
        log_event(log, "event-loop", loop=loop_name(running))
        hub = ChangeHub(running)
        self.store.add_listener(hub.notify)
        self._executor = WorkerPool(WORKER_THREADS, "roost-worker")
        self._logins = WorkerPool(HASH_SLOTS, "roost-login")
        authenticator = Authenticator(self.store, config)
        self._shared = Shared(
            config, self.store, authenticator, hub, self._executor, context, self._logins
        )

    async def _listen(self, name: str, address: str, *, implicit_tls: bool) -> None:
        if not address:
            return
        assert self._shared is not None
        host, port = split_address(address)
        listener = await asyncio.start_server(
            partial(self._accept, implicit_tls=implicit_tls),
            host,
            port,
            ssl=self._shared.tls if implicit_tls else None,
            ssl_handshake_timeout=tls.HANDSHAKE_TIMEOUT if implicit_tls else None,
            reuse_address=True,
        )
        self._listeners.append(listener)
        bound = listener.sockets[0].getsockname()
        self.ports[name] = (bound[0], bound[1])
        log_listening(name, bound, implicit_tls=implicit_tls)

    async def _supervise(self, ready: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            self._group = group
            sweeper = group.create_task(self._autologout())
            ready.set()
            await self._stop_requested.wait()
            sweeper.cancel()
            await self._end_connections()

    # ------------------------------------------------------------ connections

    def adopt(self, conn: socket.socket, *, implicit_tls: bool) -> None:
        """Serve a connection accepted elsewhere (by the supervisor process)."""
        if self._stopping or self._group is None:
            conn.close()
            return
        self._group.create_task(self._adopt(conn, implicit_tls))

    async def _adopt(self, conn: socket.socket, implicit_tls: bool) -> None:
        assert self._shared is not None
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=STREAM_LIMIT)
        protocol = asyncio.StreamReaderProtocol(
            reader, partial(self._accept, implicit_tls=implicit_tls)
        )
        try:
            await loop.connect_accepted_socket(
                lambda: protocol,
                conn,
                ssl=self._shared.tls if implicit_tls else None,
                ssl_handshake_timeout=tls.HANDSHAKE_TIMEOUT if implicit_tls else None,
            )
        except (OSError, ssl.SSLError, TimeoutError) as exc:  # a failed TLS handshake, a reset
            log_event(log, "handshake-failed", logging.DEBUG, error=str(exc))
            conn.close()

    def hub_notify(self, user_id: int, mailbox_id: int) -> None:
        """A change committed by another process: wake this one's watchers."""
        if self._shared is not None:
            self._shared.hub.notify(user_id, mailbox_id)

    def hub_wake_user(self, user_id: int) -> None:
        """Wake every watcher of the user (it may have missed a change elsewhere)."""
        if self._shared is not None:
            self._shared.hub.wake_user(user_id)

    def on_interest(self, listener: Callable[[int, bool], None]) -> None:
        """Hear when a user gets a first watcher here and loses the last (``ChangeHub``)."""
        if self._shared is not None:
            self._shared.hub.on_interest = listener

    def _accept(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, implicit_tls: bool
    ) -> None:
        if self._stopping or self._group is None or self._shared is None:
            writer.close()
            return
        if len(self._drivers) >= MAX_CONNECTIONS:
            writer.write(untagged_status("BYE", "Too many connections", "UNAVAILABLE"))
            writer.close()
            log_event(log, "refused", reason="connection limit", limit=MAX_CONNECTIONS)
            return
        driver = Driver(self._shared, reader, writer, implicit_tls=implicit_tls)
        self._drivers.add(driver)
        self._group.create_task(self._run_driver(driver))

    async def _run_driver(self, driver: Driver) -> None:
        try:
            await driver.run()
        finally:
            self._drivers.discard(driver)
            if not self._drivers:
                self._all_closed.set()

    async def _autologout(self) -> None:
        limit = self.config.idle_timeout
        interval = max(0.01, min(limit / 4, MAX_SWEEP_INTERVAL))
        while True:
            await asyncio.sleep(interval)
            now = time.monotonic()
            for driver in list(self._drivers):
                since = driver.reading_since
                if since is not None and now - since >= limit:
                    driver.expire()

    async def _end_connections(self) -> None:
        if not self._drivers:
            return
        self._all_closed.clear()
        for driver in list(self._drivers):
            driver.stop()
        try:
            async with asyncio.timeout(SHUTDOWN_GRACE):
                await self._all_closed.wait()
        except TimeoutError:
            for driver in list(self._drivers):
                driver.abort()

    # ------------------------------------------------------------ stop

    @property
    def connections(self) -> int:
        return len(self._drivers)

    async def stop(self) -> None:
        """Stop listening, say BYE to every client, close the store. Safe to call twice."""
        if self._stopping:
            return
        self._stopping = True
        log_event(log, "stopping", connections=len(self._drivers))
        for listener in self._listeners:
            listener.close()
        self._stop_requested.set()
        if self._supervisor is not None:
            await self._supervisor
        for listener in self._listeners:
            await listener.wait_closed()
        for pool in (self._executor, self._logins):
            if pool is not None:
                await asyncio.to_thread(pool.shutdown, True)
        if self.store is not None:
            self.store.close()
        log_event(log, "stopped")
