"""The commands the driver runs itself because they talk to the transport.

- STARTTLS (RFC 9051 6.2.1): answer OK, upgrade the stream, forget anything the
  client sent after the command in cleartext, mark the session as TLS.
- AUTHENTICATE (RFC 9051 6.2.2, SASL-IR RFC 4959): run a ``roost.auth.sasl``
  generator, one ``+ base64`` continuation per challenge; ``*`` cancels (BAD),
  bad base64 is BAD, unusable credentials (``SaslError``) are
  ``NO [AUTHENTICATIONFAILED]``; the credentials end in ``Session.login`` like
  LOGIN does.
  Refused with ``NO [PRIVACYREQUIRED]`` on cleartext unless plaintext logins are
  allowed (the capability list then says LOGINDISABLED).
- IDLE (RFC 9051 6.3.13, RFC 2177): ``+ idling``; a notifier task sends the
  session's updates whenever the change hub wakes it and ``* OK Still here``
  every ``idle_keepalive`` seconds; the next line from the client ends it
  (``DONE`` -> OK, anything else -> BAD). After NOTIFY the notifier watches
  every mailbox of the user and sends what NOTIFY asked for (RFC 5465 4).
  Commands pipelined after DONE are handled by the driver's loop as usual.

Rules: the notifier and the driver never write at the same time — the driver
stops the notifier (and waits for it) before it writes anything else. The
notifier is never cancelled mid-poll by the driver: a poll updates the
session's view, so its lines must reach the client.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from contextlib import ExitStack
from dataclasses import dataclass
from typing import TYPE_CHECKING

from roost.auth import sasl
from roost.protocol.commands import Authenticate, Idle, StartTLS
from roost.protocol.events import ConnectionClosed, Event, LineReceived, ProtocolError
from roost.protocol.responses import continuation, tagged
from roost.server import tls
from roost.server.logging import log_event
from roost.session.capabilities import plaintext_login_allowed
from roost.session.state import State

if TYPE_CHECKING:
    from roost.server.driver import Driver

log = logging.getLogger("roost.server")

KEEPALIVE = b"* OK Still here\r\n"


class Hangup(Exception):  # noqa: N818 - a control-flow signal, not an error
    """End the connection; whatever had to be said has been written."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# ---------------------------------------------------------------- STARTTLS


async def starttls(driver: Driver, command: StartTLS) -> None:
    if driver.session.tls:
        await driver.write(tagged(command.tag, "BAD", "TLS is already active"))
        return
    await driver.write(tagged(command.tag, "OK", "Begin TLS negotiation now"))
    # Fresh reader and protocol: bytes already buffered by the old reader are
    # cleartext sent after STARTTLS and must not be read as if they came over TLS.
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    protocol = asyncio.StreamReaderProtocol(reader)
    transport = await loop.start_tls(
        driver.writer.transport,
        protocol,
        driver.shared.tls,
        server_side=True,
        ssl_handshake_timeout=tls.HANDSHAKE_TIMEOUT,
    )
    protocol.connection_made(transport)  # start_tls does not call it for us
    driver.replace_streams(reader, asyncio.StreamWriter(transport, protocol, reader, loop))
    driver.session.tls = True
    log_event(log, "starttls", peer=driver.peer)


# ---------------------------------------------------------------- AUTHENTICATE


class _Abort(Exception):  # noqa: N818 - ends the exchange with a prepared reply
    def __init__(self, reply: bytes) -> None:
        super().__init__("authentication aborted")
        self.reply = reply


async def authenticate(driver: Driver, command: Authenticate) -> None:
    tag, mechanism = command.tag, command.mechanism.upper()
    if mechanism not in sasl.MECHANISMS:
        await driver.write(tagged(tag, "NO", "Unsupported authentication mechanism"))
        return
    if not plaintext_login_allowed(driver.config, driver.session.tls):
        text = "Use STARTTLS or the TLS port before authenticating"
        await driver.write(tagged(tag, "NO", text, "PRIVACYREQUIRED"))
        return
    try:
        credentials = await _run_exchange(driver, tag, mechanism, command.initial_response)
    except _Abort as abort:
        await driver.write(abort.reply)
        return
    reply = await driver.in_login_thread(
        driver.session.login, credentials.username, credentials.password
    )
    await driver.delay(reply.delay)
    await driver.write(tagged(tag, reply.status, reply.text, reply.code))
    log_event(
        log,
        "authenticate",
        peer=driver.peer,
        mechanism=mechanism,
        user=credentials.username,
        status=reply.status,
    )


async def _run_exchange(
    driver: Driver, tag: str, mechanism: str, initial_text: str | None
) -> sasl.Credentials:
    exchange = sasl.start(mechanism, _decode(tag, initial_text))
    try:
        challenge = next(exchange)
        while True:
            challenge = exchange.send(await _client_response(driver, tag, challenge))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    except sasl.SaslError as error:
        # Well-formed base64 but unusable credentials (no NULs, another authzid):
        # "credentials rejected" is NO in RFC 9051 6.2.2.
        raise _Abort(tagged(tag, "NO", error.text, "AUTHENTICATIONFAILED")) from None
    finally:
        exchange.close()


def _decode(tag: str, text: str | None) -> bytes | None:
    """The SASL-IR initial response; ``=`` is an empty one (RFC 4959)."""
    if text is None:
        return None
    return b"" if text == "=" else _b64(tag, text.encode("ascii", "replace"))


def _b64(tag: str, data: bytes) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except binascii.Error:
        raise _Abort(tagged(tag, "BAD", "Invalid base64 data")) from None


async def _client_response(driver: Driver, tag: str, challenge: bytes) -> bytes:
    await driver.write(continuation(base64.b64encode(challenge).decode("ascii")))
    driver.connection.expect_line()
    event = await driver.next_event()
    if isinstance(event, LineReceived):
        if event.line == b"*":
            raise _Abort(tagged(tag, "BAD", "Authentication cancelled"))
        return _b64(tag, event.line)
    if isinstance(event, ConnectionClosed):
        raise Hangup("client closed")
    if isinstance(event, ProtocolError):
        await driver.protocol_error(event)
        raise _Abort(tagged(tag, "BAD", "Authentication aborted"))
    raise RuntimeError(f"unexpected event {type(event).__name__} during AUTHENTICATE")


# ---------------------------------------------------------------- IDLE


@dataclass
class IdleState:
    tag: str
    wake: asyncio.Event
    task: asyncio.Task[None] | None = None
    stopping: bool = False


async def enter_idle(driver: Driver, command: Idle) -> None:
    assert driver.group is not None
    await driver.write(continuation("idling"))
    driver.connection.expect_line()
    idle = IdleState(command.tag, asyncio.Event())
    idle.task = driver.group.create_task(_notifier(driver, idle))
    driver.idle = idle


async def leave_idle(driver: Driver, event: Event) -> Event | None:
    """Stop the notifier; answer the IDLE. Returns ``event`` when it still needs handling."""
    idle = driver.idle
    assert idle is not None and idle.task is not None
    driver.idle = None
    idle.stopping = True
    idle.wake.set()
    await idle.task
    if isinstance(event, LineReceived):
        if event.line.upper() == b"DONE":
            await driver.write(tagged(idle.tag, "OK", "IDLE terminated"))
        else:
            await driver.write(tagged(idle.tag, "BAD", "Expected DONE"))
        return None
    if not isinstance(event, ConnectionClosed):
        await driver.write(tagged(idle.tag, "BAD", "IDLE ended by a protocol error"))
    return event


async def _notifier(driver: Driver, idle: IdleState) -> None:
    session = driver.session
    hub = driver.shared.hub
    with ExitStack() as stack:
        # Watch before the first poll: a change in between still wakes us.
        if session.user is not None and session.notify_watching:
            stack.enter_context(hub.watch_user(session.user.id, idle.wake))
        elif session.user is not None and session.selected is not None:
            stack.enter_context(hub.watch(session.user.id, session.selected.mailbox_id, idle.wake))
        await _send_updates(driver, idle)
        while not idle.stopping:
            if await _wait(idle.wake, driver.config.idle_keepalive):
                await _send_updates(driver, idle)
            elif not idle.stopping:
                await driver.write(KEEPALIVE)


async def _wait(event: asyncio.Event, timeout: float) -> bool:
    """True when ``event`` was set (and is now cleared), False after ``timeout``."""
    try:
        async with asyncio.timeout(timeout):
            await event.wait()
    except TimeoutError:
        return False
    event.clear()
    return True


async def _send_updates(driver: Driver, idle: IdleState) -> None:
    if idle.stopping:
        return
    lines = await driver.in_thread(driver.session.poll)
    if lines:
        await driver.write_lines(lines)
    if driver.session.state is State.LOGOUT:
        raise Hangup("selected mailbox deleted")  # poll's lines ended in BYE
