"""Fuzzing ServerConnection: any bytes only ever yield events, and it resynchronises."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol.command_encoder import encode_command
from roost.protocol.commands import Noop
from roost.protocol.connection import Limits
from roost.protocol.events import (
    CommandReceived,
    ConnectionClosed,
    ContinuationRequest,
    LineReceived,
    ProtocolError,
)

from .helpers import feed, feed_both
from .strategies import any_command

EVENT_TYPES = (CommandReceived, ConnectionClosed, ContinuationRequest, LineReceived, ProtocolError)
SMALL = Limits(max_line_length=60, max_literal_size=20, max_command_size=30, max_errors_in_a_row=5)
TOKENS = [
    b"a1 ", b"FETCH ", b"UID ", b"SEARCH ", b"APPEND ", b"LOGIN ", b"LIST ", b"STORE ", b"NOT ",
    b"OR ", b"{3}\r\n", b"{2+}\r\n", b"~{1}\r\n", b"{99}\r\n", b"{50+}\r\n", b"(", b")", b"[",
    b"]", b"<0.5>", b"\r\n", b"\r", b"\n", b" ", b'"', b"\\", b"1:*", b"$", b"*", b"%",
    b"BODY[", b"HEADER.FIELDS ", b"x", b"\x00", b"\xff", b"\x16", b"1-Jan-2020",
    b'" 1-Jan-2020 00:00:00 +0000"', b"\\Seen", b"+FLAGS", b"=",
]  # fmt: skip
imapish = st.lists(st.sampled_from(TOKENS), max_size=40).map(b"".join)


def check(events: list[object]) -> None:
    assert all(isinstance(e, EVENT_TYPES) for e in events)
    assert events[-1] == ConnectionClosed()
    assert ConnectionClosed() not in events[:-1]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_only_yield_events(data: bytes) -> None:
    check(feed_both(data))
    check(feed_both(data, limits=SMALL))


@settings(max_examples=300, deadline=None)
@given(imapish)
def test_imap_like_bytes_only_yield_events(data: bytes) -> None:
    check(feed_both(data))
    check(feed_both(data, limits=SMALL))


@settings(max_examples=100, deadline=None)
@given(any_command, st.data())
def test_truncated_commands_only_yield_events(cmd: object, data: st.DataObject) -> None:
    wire = encode_command(cmd)  # type: ignore[arg-type]
    cut = data.draw(st.integers(0, len(wire) - 1))
    events = feed(wire[:cut])
    check(events)
    assert not any(isinstance(e, CommandReceived) and e.command == cmd for e in events)


garbage_line = st.binary(max_size=60).map(
    lambda b: b.replace(b"\r", b"").replace(b"\n", b"").rstrip(b"}")
)


@settings(max_examples=200, deadline=None)
@given(st.lists(garbage_line, max_size=8))
def test_connection_stays_usable_after_garbage_lines(lines: list[bytes]) -> None:
    wire = b"\r\n" + b"".join(line + b"\r\n" for line in lines) + b"zz9 NOOP\r\n"
    events = feed_both(wire, limits=Limits(max_errors_in_a_row=100))
    assert events[-2:] == [CommandReceived(Noop("zz9")), ConnectionClosed()]
    answered = [e for e in events[:-2] if isinstance(e, (CommandReceived, ProtocolError))]
    assert len(answered) == sum(1 for line in lines if line)
