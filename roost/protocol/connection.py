"""The sans-IO server side of one IMAP connection (h11 style).

``ServerConnection`` owns no socket: the driver feeds it bytes with
``receive_data`` and pulls events with ``next_event`` until it returns None
(more data needed). The framer (``roost.protocol.framer``) cuts commands out
of the stream; the parser (``roost.protocol.parser``) types them. A parse error
is "local" inside the parser and becomes a ``ProtocolError`` event here, the
one inbound entry point: it never raises out and never desynchronises the
stream, so the next command parses normally.

Abuse budget: after ``max_errors_in_a_row`` errors with no good command in
between, the error is made fatal (the driver answers ``* BYE`` and closes),
like aiosmtpd's bogus-command limit. A TLS handshake arriving on a plaintext
connection is fatal at once: no IMAP command starts with the byte 0x16.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from roost.protocol.errors import ParseError
from roost.protocol.events import (
    CommandReceived,
    ConnectionClosed,
    Event,
    LineReceived,
    ProtocolError,
)
from roost.protocol.framer import Framer
from roost.protocol.parser import parse_command

_TLS_HANDSHAKE = 0x16  # TLS record type "handshake": the first byte of a ClientHello


@dataclass(frozen=True)
class Limits:
    # RFC 9051 section 4 / RFC 7162 section 4: accept command lines of at least
    # 8192 octets; 64 KiB leaves room for the long UID sets of sync clients.
    max_line_length: int = 65536
    # Largest single literal (APPENDLIMIT, RFC 7889).
    max_literal_size: int = 64 * 1024 * 1024
    # All literals of one command (MULTIAPPEND sends several); None: four times
    # max_literal_size. Bounds the memory one command can take.
    max_command_size: int | None = None
    # Errors in a row before the connection is given up (Dovecot and aiosmtpd
    # both drop clients that keep sending invalid commands).
    max_errors_in_a_row: int = 10

    @property
    def command_size(self) -> int:
        if self.max_command_size is None:
            return 4 * self.max_literal_size
        return self.max_command_size


class ServerConnection:
    """Bytes in, ``Event`` objects out; see the module docstring."""

    def __init__(self, limits: Limits = Limits()) -> None:  # noqa: B008 - frozen value
        self._limits = limits
        self._framer = Framer(limits.max_line_length, limits.max_literal_size, limits.command_size)
        self._closed = False  # the peer closed
        self._close_reported = False
        self._seen_data = False
        self._errors_in_a_row = 0
        self._fatal: ProtocolError | None = None  # queued fatal error
        self._dead = False  # a fatal error was reported: nothing more is read

    def receive_data(self, data: bytes) -> None:
        """Feed bytes from the peer; ``b""`` means the peer closed."""
        if not data:
            self._closed = True
            return
        if self._closed:
            raise RuntimeError("receive_data() after the peer closed")
        if not self._seen_data and data[0] == _TLS_HANDSHAKE:
            self._fatal = ProtocolError(
                None, "BAD", "TLS handshake on a plaintext port", fatal=True
            )
        self._seen_data = True
        if not self._dead and self._fatal is None:
            self._framer.feed(data)

    def expect_line(self) -> None:
        """Make the next event one ``LineReceived`` (AUTHENTICATE responses, IDLE's DONE)."""
        self._framer.expect_line()

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def buffered(self) -> int:
        """Bytes held for the command being read (for memory accounting and tests)."""
        return self._framer.buffered

    def next_event(self) -> Event | None:
        """The next event, or None when more data is needed."""
        if self._fatal is not None:
            event, self._fatal, self._dead = self._fatal, None, True
            return event
        frame = None if self._dead else self._framer.next()
        if frame is None:
            if self._closed and not self._close_reported:
                self._close_reported = True
                return ConnectionClosed()
            return None
        if isinstance(frame, bytes):
            try:
                frame = CommandReceived(parse_command(frame))
            except ParseError as e:
                frame = ProtocolError(e.tag, "BAD", e.text, e.code)
        return self._account(frame)

    def _account(self, event: Event) -> Event:
        if isinstance(event, (CommandReceived, LineReceived)):
            self._errors_in_a_row = 0
        elif isinstance(event, ProtocolError):
            self._errors_in_a_row += 1
            if self._errors_in_a_row >= self._limits.max_errors_in_a_row:
                self._dead = True
                return dataclasses.replace(event, text="too many invalid commands", fatal=True)
        return event


__all__ = ["Limits", "ServerConnection"]
