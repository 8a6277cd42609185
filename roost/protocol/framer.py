"""The framer: finds complete commands (lines plus literals) in the byte stream.

A command is a line ending in CRLF; when the line ends with a literal
announcement (``{n}`` synchronizing, ``{n+}`` non-synchronizing per RFC 7888,
``~{n}`` / ``~{n+}`` literal8 per RFC 3516) the next n bytes are literal data
and the command continues with the rest of the line, possibly with more
literals. ``Framer.next()`` returns, in stream order:

- ``bytes``: one complete command, literals inline (``... {5}\\r\\nhello ...``),
  without the final CRLF (what ``parse_command`` takes);
- ``ContinuationRequest``: a synchronizing literal was accepted (send ``+``);
- ``ProtocolError``: a line or literal over the limits;
- ``LineReceived``: one raw line, after ``expect_line()``;
- ``None``: more data is needed.

Memory rules: limits are checked before anything is kept. Line bytes of one
command (literal data excluded) are capped by ``max_line_length``; each literal
by ``max_literal_size`` and all literals of one command by
``max_command_size``. Over the line limit the rest of the line is discarded
(keeping only a short tail to spot a trailing ``{n+}``) and a BAD is reported
when the line ends. A synchronizing literal over the limit is refused at once
with ``NO [TOOBIG]`` (the client will not send it); a non-synchronizing one is
skipped byte by byte, with the rest of its command, and then refused.
Processing is lazy (work happens in ``next()``), so ``expect_line()`` applies
to data that is already buffered.
"""

from __future__ import annotations

import enum
import re
from typing import Literal

from roost.protocol.events import ContinuationRequest, LineReceived, ProtocolError
from roost.protocol.parser_core import read_tag

# A literal announcement at the end of a line; more than 20 digits is no size
# anyone can send, so it is refused as too big rather than misread.
_ANNOUNCE = re.compile(rb"(~?)\{([0-9]+)(\+?)\}\Z")
# Longest announcement worth recognising at the end of a discarded line.
_TAIL = 32
# How much of a command's start is searched for its tag when reporting errors.
_TAG_SCAN = 1024

Frame = bytes | ContinuationRequest | ProtocolError | LineReceived


class _State(enum.Enum):
    LINE = "line"  # reading line bytes up to CRLF
    LITERAL = "literal"  # collecting accepted literal data
    SKIP = "skip"  # dropping the data of a refused non-synchronizing literal
    DISCARD = "discard"  # dropping the rest of a refused line

    __hash__ = object.__hash__  # identity, as in ``roost.session.state.State``


class Framer:
    """Splits a byte stream into commands; see the module docstring."""

    def __init__(self, max_line_length: int, max_literal_size: int, max_command_size: int) -> None:
        self._max_line = max_line_length
        self._max_literal = max_literal_size
        self._max_command = max_command_size
        self._buf = bytearray()
        self._state = _State.LINE
        self._scan = 0  # where the CRLF search resumes in _buf
        self._remaining = 0  # bytes left of the literal being read or skipped
        self._tail = bytearray()  # end of the line being discarded
        self._pending: ProtocolError | None = None  # reported once a discard ends
        self._line_mode = False  # expect_line() was called
        self._discard_raw = False  # the line being discarded was an expect_line() line
        self._reset_command()
        self._steps = {
            _State.LINE: self._step_line,
            _State.LITERAL: self._step_literal,
            _State.SKIP: self._step_skip,
            _State.DISCARD: self._step_discard,
        }

    def _reset_command(self) -> None:
        self._cmd = bytearray()  # the command so far: line segments and literals
        self._line_bytes = 0  # its line bytes, literal data excluded
        self._literal_bytes = 0  # its literal data

    def feed(self, data: bytes) -> None:
        self._buf += data

    def expect_line(self) -> None:
        """The next frame is one raw line (applies at the next command boundary)."""
        self._line_mode = True

    @property
    def buffered(self) -> int:
        """Bytes held (unprocessed input plus the command being collected)."""
        return len(self._buf) + len(self._cmd)

    def next(self) -> Frame | None:
        while True:
            result = self._steps[self._state]()
            if result is not _CONTINUE:
                return result  # type: ignore[return-value]

    # ------------------------------------------------------------ states

    def _step_line(self) -> object:
        i = self._buf.find(b"\r\n", self._scan)
        if i < 0:
            self._scan = max(len(self._buf) - 1, 0)  # a CR may end the buffer
            pending = len(self._buf) - self._buf.endswith(b"\r")  # that CR is no line byte
            if self._line_bytes + pending <= self._max_line:
                return None
            self._start_discard(self._error("BAD", "command line too long"))
            return _CONTINUE
        segment = bytes(self._buf[:i])
        del self._buf[: i + 2]
        self._scan = 0
        self._line_bytes += len(segment)
        if self._line_bytes > self._max_line:
            self._start_discard(self._error("BAD", "command line too long", head=segment))
            return self._end_discarded(segment)
        if self._line_mode and not self._cmd:
            self._line_mode = False
            return LineReceived(segment)
        return self._end_of_line(segment)

    def _end_of_line(self, segment: bytes) -> object:
        m = _ANNOUNCE.search(segment)
        if m is None:
            command = bytes(self._cmd) + segment
            self._reset_command()
            return command if command else _CONTINUE  # empty lines are ignored
        size = int(m.group(2)) if len(m.group(2)) <= 20 else -1
        sync = not m.group(3)
        if not self._literal_fits(size):
            error = self._error("NO", "literal too big", code="TOOBIG", head=segment)
            if sync or size < 0:  # the client waits for "+" and will not send it
                self._reset_command()
                return error
            self._start_discard(error)
            self._remaining, self._state = size, _State.SKIP
            return _CONTINUE
        self._cmd += segment + b"\r\n"
        self._literal_bytes += size
        self._remaining, self._state = size, _State.LITERAL
        return ContinuationRequest() if sync else _CONTINUE

    def _literal_fits(self, size: int) -> bool:
        return 0 <= size <= self._max_literal and (self._literal_bytes + size <= self._max_command)

    def _step_literal(self) -> object:
        n = min(self._remaining, len(self._buf))
        self._cmd += self._buf[:n]
        del self._buf[:n]
        self._remaining -= n
        if self._remaining:
            return None
        self._state = _State.LINE
        return _CONTINUE

    def _step_skip(self) -> object:
        n = min(self._remaining, len(self._buf))
        del self._buf[:n]
        self._remaining -= n
        if self._remaining:
            return None
        self._state, self._scan = _State.DISCARD, 0
        return _CONTINUE

    def _step_discard(self) -> object:
        i = self._buf.find(b"\r\n", self._scan)
        if i < 0:
            keep = 1 if self._buf.endswith(b"\r") else 0
            drop = len(self._buf) - keep
            self._tail = (self._tail + self._buf[:drop])[-_TAIL:]
            del self._buf[:drop]
            self._scan = 0
            return None
        end = bytes((self._tail + self._buf[:i])[-_TAIL:])
        del self._buf[: i + 2]
        self._scan = 0
        self._tail = bytearray()
        return self._end_discarded(end)

    def _end_discarded(self, line_end: bytes) -> object:
        """A refused line ended: skip a following non-sync literal, else report."""
        m = None if self._discard_raw else _ANNOUNCE.search(line_end)
        if m is not None and m.group(3) and len(m.group(2)) <= 20:
            self._remaining, self._state = int(m.group(2)), _State.SKIP
            return _CONTINUE
        self._state = _State.LINE
        if self._discard_raw:
            self._line_mode = self._discard_raw = False
        error, self._pending = self._pending, None
        return error if error is not None else _CONTINUE

    # ------------------------------------------------------------ errors

    def _start_discard(self, error: ProtocolError) -> None:
        """Refuse the command being read: drop what was kept, report ``error`` later."""
        self._discard_raw = self._line_mode and not self._cmd
        self._pending = error
        self._reset_command()
        self._state = _State.DISCARD

    def _error(
        self,
        status: Literal["BAD", "NO"],
        text: str,
        code: str | None = None,
        head: bytes | None = None,
    ) -> ProtocolError:
        if self._line_mode and not self._cmd:
            return ProtocolError(None, status, text, code)
        # Only as far as a line may reach, so that the answer does not depend on
        # how the data was split into chunks.
        scan = min(_TAG_SCAN, self._max_line + 1)
        start = bytes(self._cmd[:scan]) or (head or bytes(self._buf))[:scan]
        tag = read_tag(start) if b" " in start else None
        return ProtocolError(tag, status, text, code)


_CONTINUE = object()  # a step changed state; run the next one

__all__ = ["Frame", "Framer"]
