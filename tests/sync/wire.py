"""Client side of the wire for the sync tests: a raw socket, whole responses, a value parser.

Independent of roost's own protocol code (these tests are its oracle):
- ``Wire`` reads one complete response at a time (a line plus any literals
  ``{n}`` it announces), with a timeout, so a test sees every untagged
  response in the order the server sent it, including those pushed in IDLE.
- ``parse_values`` turns the text of a response into Python values: numbers
  are ``int``, atoms ``str``, quoted strings and literals ``bytes``, NIL
  ``None`` and parenthesised lists ``list``. An atom may hold a bracketed
  section with spaces (``BODY[HEADER.FIELDS (FROM)]``).
- ``split_status`` splits ``OK [CODE args] text`` into its parts; ``parse_uid_set``
  (from the e2e raw client) expands ``1:3,7``.
Only 127.0.0.1 is ever contacted (the tests pass the server's address).
"""

from __future__ import annotations

import re
import socket
import time
from dataclasses import dataclass

# UID sets in COPYUID / VANISHED: the e2e raw client's reader, one place for it.
from tests.e2e.imapwire import expand_set as parse_uid_set

__all__ = [
    "Status",
    "Wire",
    "WireClosed",
    "is_status",
    "parse_uid_set",
    "parse_values",
    "split_status",
]

CRLF = b"\r\n"
_LITERAL_AT_END = re.compile(rb"~?\{(\d+)\+?\}$")
_STATUS_WORDS = ("OK", "NO", "BAD", "BYE", "PREAUTH")


class WireClosed(Exception):
    """The server closed the connection."""


@dataclass(frozen=True)
class Status:
    """``OK [CODE args] text`` of a tagged or untagged status response."""

    status: str
    code: str | None  # "COPYUID 5 1:2 7:8" (without brackets)
    text: str


class Wire:
    """A blocking socket that yields whole IMAP responses (without the final CRLF)."""

    def __init__(self, host: str, port: int, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.timeout = timeout
        self._buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_response(self, timeout: float | None = None) -> bytes | None:
        """The next whole response, or None when nothing complete came within ``timeout``."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        end = self._complete_response_end()
        while end is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                return None
            if not chunk:
                raise WireClosed(f"connection closed; unread: {self._buffer[:200]!r}")
            self._buffer += chunk
            end = self._complete_response_end()
        response, self._buffer = self._buffer[:end], self._buffer[end + 2 :]
        return response

    def _complete_response_end(self) -> int | None:
        """Offset of the CRLF that ends the first buffered response, if it is all there."""
        pos = 0
        while True:
            eol = self._buffer.find(CRLF, pos)
            if eol < 0:
                return None
            match = _LITERAL_AT_END.search(self._buffer, pos, eol)
            if match is None:
                return eol
            after = eol + 2 + int(match.group(1))
            if len(self._buffer) < after:
                return None
            pos = after


# ---------------------------------------------------------------- parsing


def split_status(text: bytes) -> Status:
    """``OK [CODE] text`` -> Status; the code keeps its arguments as written."""
    word, _, rest = text.partition(b" ")
    code = None
    if rest.startswith(b"["):
        close = rest.find(b"]")
        code = rest[1:close].decode("utf-8", "replace")
        rest = rest[close + 1 :].lstrip(b" ")
    return Status(word.decode("ascii", "replace").upper(), code, rest.decode("utf-8", "replace"))


def is_status(word: str) -> bool:
    return word.upper() in _STATUS_WORDS


def parse_values(data: bytes) -> list[object]:
    """All values of ``data`` (space separated) as Python values."""
    values, pos = _parse_sequence(data, 0, closing=None)
    if pos != len(data):
        raise ValueError(f"trailing data at {pos}: {data!r}")
    return values


def _parse_sequence(data: bytes, pos: int, closing: bytes | None) -> tuple[list[object], int]:
    values: list[object] = []
    while pos < len(data):
        char = data[pos : pos + 1]
        if char == b" ":
            pos += 1
        elif closing is not None and char == closing:
            return values, pos + 1
        else:
            value, pos = _parse_value(data, pos)
            values.append(value)
    if closing is not None:
        raise ValueError(f"unclosed list in {data!r}")
    return values, pos


def _parse_value(data: bytes, pos: int) -> tuple[object, int]:
    char = data[pos : pos + 1]
    if char == b"(":
        return _parse_sequence(data, pos + 1, closing=b")")
    if char == b'"':
        return _parse_quoted(data, pos + 1)
    if char in (b"{", b"~"):
        match = re.compile(rb"~?\{(\d+)\+?\}\r\n").match(data, pos)
        if match is not None:
            start = match.end()
            size = int(match.group(1))
            return data[start : start + size], start + size
    return _parse_atom(data, pos)


def _parse_quoted(data: bytes, pos: int) -> tuple[bytes, int]:
    out = bytearray()
    while True:
        char = data[pos : pos + 1]
        if not char:
            raise ValueError(f"unterminated quoted string in {data!r}")
        if char == b"\\":
            out += data[pos + 1 : pos + 2]
            pos += 2
        elif char == b'"':
            return bytes(out), pos + 1
        else:
            out += char
            pos += 1


def _parse_atom(data: bytes, pos: int) -> tuple[object, int]:
    start, depth = pos, 0
    while pos < len(data):
        char = data[pos : pos + 1]
        if char == b"[":
            depth += 1
        elif char == b"]":
            depth -= 1
        elif depth == 0 and char in (b" ", b"(", b")"):
            break
        pos += 1
    atom = data[start:pos].decode("utf-8", "replace")
    if not atom:
        raise ValueError(f"empty atom at {start} in {data!r}")
    if atom.isdigit():
        return int(atom), pos
    if atom.upper() == "NIL":
        return None, pos
    return atom, pos
