"""One coroutine per client connection: bytes in, session calls, bytes out.

Rules:
- Thin: framing and parsing belong to ``ServerConnection``, command semantics
  to ``Session``. The driver moves bytes and runs the commands that talk to
  the transport itself: STARTTLS, AUTHENTICATE and IDLE (in
  ``roost.server.exchange``), COMPRESS (in ``roost.server.compress``).
- Session calls block (storage, password hashing), so they run in the server's
  worker pool (``roost.server.workers``), except the light reads the session
  allows on the event loop (``Session.runs_inline``: a window of headers, a
  flag search, NOOP), for which the hop would cost more than the work. At
  most one runs per session at a time, so a ``Session`` is never used by two
  threads at once. LOGIN and
  AUTHENTICATE's check run in a separate, smaller pool (one thread per CPU):
  Argon2 keeps a core and 64 MiB busy per check, and a burst of logins must
  neither multiply that nor hold up other sessions' commands.
- Every write is followed by ``drain()`` (backpressure), bounded by the
  autologout time so a client that stops reading cannot pin the connection
  (the timer is armed only when the data did not all go out at once).
- Only data from the client counts as activity for autologout (RFC 9051
  section 5.4); IDLE keepalives and notifications do not. A wait for client
  data records when it began (``reading_since``); the server's sweeper calls
  ``expire`` on connections that have waited ``idle_timeout`` (one timer for
  all connections instead of a timer armed and cancelled on every read).
- NOTIFY (RFC 5465): while the session asks for events the driver watches
  all the user's mailboxes in the hub and, when woken while it waits for a new
  command (nothing of one read yet), writes ``Session.notifications()``:
  never inside a command's responses or a literal exchange.
- Shutdown interrupts a connection only while it waits for the client; a
  command that is running finishes and is answered first, then ``* BYE``.
- An unexpected exception outside command execution ends the connection with
  ``* BYE [SERVERBUG]`` and is logged with its traceback; it never reaches the
  server's task group.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any, TypeVar

from roost.auth.authenticator import Authenticator
from roost.config import Config
from roost.protocol.commands import Authenticate, Command, Compress, Idle, Login, StartTLS
from roost.protocol.connection import Limits, ServerConnection
from roost.protocol.events import (
    CommandReceived,
    ConnectionClosed,
    ContinuationRequest,
    Event,
    ProtocolError,
)
from roost.protocol.responses import tagged, untagged_status
from roost.server import compress, exchange
from roost.server.exchange import Hangup
from roost.server.hub import ChangeHub
from roost.server.logging import describe_command, log_event
from roost.server.workers import WorkerPool
from roost.session.session import Session
from roost.session.state import State
from roost.storage.interface import MailStore

log = logging.getLogger("roost.server")

T = TypeVar("T")

# One read: a whole typical command or a good slice of an APPEND literal, and
# a bound on what one connection buffers before the framer sees it.
READ_SIZE = 64 * 1024
# RFC 9051 5.4 lets the server end a connection it waits on; this bounds the
# BYE and the TLS close-notify when the peer has stopped reading.
CLOSE_TIMEOUT = 5.0
SHUTDOWN_TEXT = "Server shutting down"
LITERAL_GO_AHEAD = b"+ Ready for literal\r\n"


_TRANSPORT_COMMANDS: dict[type[Command], Callable[[Driver, Any], Awaitable[None]]] = {
    StartTLS: exchange.starttls,
    Authenticate: exchange.authenticate,
    Idle: exchange.enter_idle,
    Compress: compress.start,
}


@dataclass
class Shared:
    """What every connection of one server uses."""

    config: Config
    store: MailStore
    authenticator: Authenticator
    hub: ChangeHub
    executor: WorkerPool  # session calls
    tls: ssl.SSLContext
    logins: WorkerPool | None = None  # password checks; None: the executor


def peer_name(writer: asyncio.StreamWriter) -> str:
    """``host:port`` (``[v6]:port``), the form the authenticator keys its backoff on."""
    address = writer.get_extra_info("peername")
    if not isinstance(address, tuple) or len(address) < 2:
        return str(address)
    host, port = address[0], address[1]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Driver:
    """Serves one connection from greeting to close; ``run`` never raises (but cancellation)."""

    def __init__(
        self,
        shared: Shared,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        implicit_tls: bool,
    ) -> None:
        self.shared = shared
        self.config = shared.config
        self.reader: compress.ByteSource = reader  # an InflatingReader after COMPRESS
        self.writer = writer
        self.peer = peer_name(writer)
        self.implicit_tls = implicit_tls
        self.session = Session(
            shared.store, shared.authenticator, shared.config, tls=implicit_tls, peer=self.peer
        )
        self.connection = self.new_connection()
        self.group: asyncio.TaskGroup | None = None
        self.idle: exchange.IdleState | None = None
        self.notify_wake = asyncio.Event()  # set by the hub while NOTIFY watches
        self._notify_watch: ExitStack | None = None
        self._task: asyncio.Task[None] | None = None
        self._cleartext_writer: asyncio.StreamWriter | None = None
        self._stopping = False
        self._interruptible = False  # waiting on the client: safe to cancel for shutdown
        self.reading_since: float | None = None  # monotonic start of a wait for client data
        self._expired = False  # the sweeper ended that wait (autologout)

    def new_connection(self) -> ServerConnection:
        return ServerConnection(
            Limits(
                max_line_length=self.config.max_line_length,
                max_literal_size=self.config.max_literal_size,
            )
        )

    # ------------------------------------------------------------ lifecycle

    def stop(self) -> None:
        """End with ``* BYE`` at the next safe point (now, if waiting on the client)."""
        self._stopping = True
        if self._interruptible and self._task is not None:
            self._task.cancel()

    def expire(self) -> None:
        """Autologout: the client sent nothing for ``idle_timeout`` (server's sweeper)."""
        if self.reading_since is None or self._task is None or self._stopping:
            return
        self._expired = True
        self._task.cancel()

    def abort(self) -> None:
        """End now, even in the middle of a command (shutdown grace period is over)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()

    async def run(self) -> None:
        self._task = asyncio.current_task()
        started = time.monotonic()
        log_event(log, "connect", peer=self.peer, tls=self.implicit_tls)
        reason = await self._run_guarded()
        await self._close()
        elapsed = f"{time.monotonic() - started:.3f}"
        log_event(log, "disconnect", peer=self.peer, reason=reason, seconds=elapsed)

    async def _run_guarded(self) -> str:
        try:
            async with asyncio.TaskGroup() as group:
                self.group = group
                return await self._serve()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            if self._task is not None:
                self._task.uncancel()
            await self.bye(SHUTDOWN_TEXT)
            return "shutdown"
        except BaseExceptionGroup as group:
            return await self._failed(group)

    async def _failed(self, group: BaseExceptionGroup[BaseException]) -> str:
        # The predicate also sees the groups themselves: they must not match,
        # or any group (a reset connection's too) would count as unexpected.
        expected = OSError | EOFError | Hangup | BaseExceptionGroup
        unexpected = group.subgroup(lambda e: not isinstance(e, expected))
        if unexpected is None:
            hangups = group.subgroup(Hangup)
            if hangups is not None:  # the IDLE notifier ended the session
                return str(hangups.exceptions[0])
            return "connection lost"  # reset, broken pipe, TLS error, write timeout
        log.error(
            "%s",
            f"connection failed peer={self.peer}",
            exc_info=(type(unexpected), unexpected, None),
        )
        await self.bye("Internal error, closing connection", code="SERVERBUG")
        return "server bug"

    async def _close(self) -> None:
        self.writer.close()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.writer.wait_closed()
        except (OSError, TimeoutError):
            self.writer.transport.abort()

    # ------------------------------------------------------------ the loop

    async def _serve(self) -> str:
        await self.write(self.session.greeting())
        try:
            while not self._stopping:
                event = await self.next_event(between_commands=self.idle is None)
                if self.idle is not None:
                    event = await exchange.leave_idle(self, event)
                if event is not None:
                    await self._handle(event)
        except Hangup as hangup:
            return hangup.reason
        finally:
            if self.idle is not None and self.idle.task is not None:
                self.idle.task.cancel()  # the connection ends: its updates have nowhere to go
            if self._notify_watch is not None:
                self._notify_watch.close()
        await self.bye(SHUTDOWN_TEXT)
        return "shutdown"

    async def next_event(self, *, between_commands: bool = False) -> Event:
        """The next protocol event, reading from the client as needed.

        ``between_commands``: no command is running or being answered, so
        NOTIFY's responses may be written while nothing of the next one is read.
        """
        while True:
            event = self.connection.next_event()
            if event is not None:
                return event
            if between_commands and self.connection.buffered == 0 and self._watch_notify():
                data = await self._read_notifying()
            else:
                data = await self._read()
            self.connection.receive_data(data)

    async def _read(self) -> bytes:
        if self._stopping:  # shutdown arrived while a command ran
            await self.bye(SHUTDOWN_TEXT)
            raise Hangup("shutdown")
        self._interruptible = True
        self.reading_since = time.monotonic()
        try:
            return await self.reader.read(READ_SIZE)
        except asyncio.CancelledError:
            if not self._expired or self._stopping:
                raise
            self._expired = False
            if self._task is not None:
                self._task.uncancel()
            await self.bye("Autologout; idle for too long")
            raise Hangup("autologout") from None
        finally:
            self.reading_since = None
            self._interruptible = False

    # ------------------------------------------------------------ NOTIFY

    def _watch_notify(self) -> bool:
        """Keep the hub watch in step with the session's NOTIFY registration."""
        wanted = self.session.notify_watching
        if wanted and self._notify_watch is None:
            user = self.session.user
            assert user is not None
            stack = ExitStack()
            stack.enter_context(self.shared.hub.watch_user(user.id, self.notify_wake))
            self._notify_watch = stack
            self.notify_wake.set()  # a change between NOTIFY's snapshot and this watch
        elif not wanted and self._notify_watch is not None:
            self._notify_watch.close()
            self._notify_watch = None
        return wanted

    async def _read_notifying(self) -> bytes:
        """``_read``, writing NOTIFY's responses whenever the hub wakes us meanwhile."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.config.idle_timeout
        read = asyncio.ensure_future(self.reader.read(READ_SIZE))
        try:
            while True:
                if self._stopping:
                    await self.bye(SHUTDOWN_TEXT)
                    raise Hangup("shutdown")
                if self.notify_wake.is_set():
                    self.notify_wake.clear()
                    await self._send_notifications()
                    continue
                woken = asyncio.ensure_future(self.notify_wake.wait())
                self._interruptible = True
                try:
                    done, _ = await asyncio.wait(
                        {read, woken},
                        timeout=max(0.0, deadline - loop.time()),
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    self._interruptible = False
                    woken.cancel()
                if read in done:
                    return read.result()
                if not done:
                    await self.bye("Autologout; idle for too long")
                    raise Hangup("autologout")
        finally:
            read.cancel()  # nothing is lost: a cancelled read takes no data

    async def _send_notifications(self) -> None:
        # Not interruptible: the call updates the session, so its lines must go out.
        lines = await self.in_thread(self.session.notifications)
        if lines:
            await self.write_lines(lines)
        if self.session.state is State.LOGOUT:
            raise Hangup("selected mailbox deleted")  # the lines ended in BYE

    async def _handle(self, event: Event) -> None:
        if isinstance(event, CommandReceived):
            await self._command(event.command)
        elif isinstance(event, ContinuationRequest):
            await self.write(LITERAL_GO_AHEAD)
        elif isinstance(event, ProtocolError):
            await self.protocol_error(event)
        elif isinstance(event, ConnectionClosed):
            raise Hangup("client closed")
        else:  # a LineReceived that nothing asked for: the connection contract broke
            raise RuntimeError(f"unexpected event {type(event).__name__}")

    async def protocol_error(self, error: ProtocolError) -> None:
        if error.fatal:
            await self.bye(error.text, code=error.code)
            raise Hangup("protocol error")
        if error.tag is not None:
            await self.write(tagged(error.tag, error.status, error.text, error.code))
        else:
            await self.write(untagged_status(error.status, error.text, error.code))

    # ------------------------------------------------------------ commands

    async def _command(self, command: Command) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log_event(
                log, "command", logging.DEBUG, peer=self.peer, command=describe_command(command)
            )
        runner = _TRANSPORT_COMMANDS.get(type(command))
        if runner is None:
            await self._execute(command)
        elif (refused := self.session.check_state(command)) is not None:
            await self.write(tagged(command.tag, refused.status, refused.text, refused.code))
        else:
            await runner(self, command)

    async def _execute(self, command: Command) -> None:
        if isinstance(command, Login):
            outcome = await self.in_login_thread(self.session.execute, command)
        elif self.session.runs_inline(command):
            outcome = self.session.execute(command)
        else:
            outcome = await self.in_thread(self.session.execute, command)
        reply = outcome.reply
        await self.delay(reply.delay)
        outcome.lines.append(tagged(command.tag, reply.status, reply.text, reply.code))
        await self.write_lines(outcome.lines)
        if isinstance(command, Login):  # AUTHENTICATE logs its own outcome
            log_event(log, "login", peer=self.peer, user=command.username, status=reply.status)
        if outcome.close:
            raise Hangup("logout")

    # ------------------------------------------------------------ helpers

    async def in_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run a blocking session call in the server's worker pool."""
        return await self.shared.executor.run(function, *args)

    async def in_login_thread(self, function: Callable[..., T], *args: Any) -> T:
        """Run a password check (LOGIN, AUTHENTICATE) in the login pool."""
        return await (self.shared.logins or self.shared.executor).run(function, *args)

    async def delay(self, seconds: float) -> None:
        """Wait before a reply (failed logins); shutdown may cut it short."""
        if seconds <= 0:
            return
        self._interruptible = True
        try:
            await asyncio.sleep(seconds)
        finally:
            self._interruptible = False

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self._drain()

    async def write_lines(self, lines: list[bytes]) -> None:
        self.writer.writelines(lines)
        await self._drain()

    async def _drain(self) -> None:
        writer = self.writer
        if type(writer) is asyncio.StreamWriter and not writer.transport.get_write_buffer_size():
            # Everything went out: drain cannot block (the transport pauses
            # writing only above its high-water mark), so no timer is needed.
            await writer.drain()
            return
        async with asyncio.timeout(self.config.idle_timeout):
            await writer.drain()

    async def bye(self, text: str, code: str | None = None) -> None:
        """Best effort ``* BYE``: the peer may already be gone."""
        try:
            self.writer.write(untagged_status("BYE", text, code))
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self.writer.drain()
        except (OSError, RuntimeError):
            pass

    def replace_streams(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """After STARTTLS: new streams and a fresh protocol state."""
        # The cleartext writer must outlive the upgrade: garbage-collecting an
        # unclosed StreamWriter closes its transport, the one TLS now runs on.
        self._cleartext_writer = self.writer
        self.reader: compress.ByteSource = reader  # an InflatingReader after COMPRESS
        self.writer = writer
        # Anything the client sent after STARTTLS in cleartext is dropped with the
        # old connection state (RFC 9051 6.2.1; the CVE-2011-0411 injection).
        self.connection = self.new_connection()
