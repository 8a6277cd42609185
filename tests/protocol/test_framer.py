"""Framing: literals, limits, expect_line, close, fatal errors (via ServerConnection)."""

from __future__ import annotations

import pytest

from roost.protocol.commands import Append, AppendMessage, Login, Noop
from roost.protocol.connection import Limits, ServerConnection
from roost.protocol.events import (
    CommandReceived,
    ConnectionClosed,
    ContinuationRequest,
    LineReceived,
    ProtocolError,
)

from .helpers import commands, drain, feed_both

SMALL = Limits(max_line_length=100, max_literal_size=50, max_command_size=80)
NOOP_AFTER = b"z9 NOOP\r\n"
NOOP_EVENT = CommandReceived(Noop("z9"))


def toobig(tag: str | None) -> ProtocolError:
    return ProtocolError(tag, "NO", "literal too big", "TOOBIG")


def too_long(tag: str | None) -> ProtocolError:
    return ProtocolError(tag, "BAD", "command line too long")


# ---------------------------------------------------------------- literals


def test_sync_literal_continuation_comes_before_the_literal_bytes() -> None:
    conn = ServerConnection()
    conn.receive_data(b"a1 LOGIN {4}\r\n")
    assert drain(conn) == [ContinuationRequest()]
    conn.receive_data(b"fred {6}")
    assert drain(conn) == []  # the announcement's CRLF has not arrived
    conn.receive_data(b"\r\n")
    assert drain(conn) == [ContinuationRequest()]
    conn.receive_data(b"secret\r\n")
    assert drain(conn) == [CommandReceived(Login("a1", "fred", "secret"))]


def test_literal_data_may_contain_crlf_braces_and_8bit() -> None:
    data = b"x {3}\r\n\r\n\xff\x01"
    wire = b"a APPEND box {%d+}\r\n" % len(data) + data + b"\r\n"
    assert commands(feed_both(wire)) == [Append("a", "box", (AppendMessage(data=data),))]


def test_non_sync_literals_need_no_continuation() -> None:
    events = feed_both(b"a1 LOGIN {4+}\r\nfred {6+}\r\nsecret\r\n")
    assert events == [CommandReceived(Login("a1", "fred", "secret")), ConnectionClosed()]


def test_literal8_sync_and_non_sync() -> None:
    wire = b"a APPEND x ~{2}\r\n\x00\x01 ~{1+}\r\n\x00\r\n"
    events = feed_both(wire)
    assert events[0] == ContinuationRequest()
    message = AppendMessage(data=b"\x00\x01", binary=True)
    assert events[1] == CommandReceived(
        Append("a", "x", (message, AppendMessage(data=b"\x00", binary=True)))
    )


def test_literal_at_the_size_limit_is_accepted() -> None:
    wire = b"a APPEND x {50}\r\n" + b"y" * 50 + b"\r\n"
    events = feed_both(wire, limits=SMALL)
    assert events[0] == ContinuationRequest()
    assert isinstance(events[1], CommandReceived)


def test_empty_lines_are_ignored() -> None:
    assert feed_both(b"\r\n\r\nz9 NOOP\r\n\r\n") == [NOOP_EVENT, ConnectionClosed()]


# ---------------------------------------------------------------- literal limits


def test_sync_literal_over_the_limit_is_refused_without_continuation() -> None:
    conn = ServerConnection(SMALL)
    conn.receive_data(b"a5 APPEND x (\\Seen) {51}\r\n")
    assert drain(conn) == [toobig("a5")]
    conn.receive_data(NOOP_AFTER)  # the client did not send the literal
    assert drain(conn) == [NOOP_EVENT]


def test_non_sync_literal_over_the_limit_is_skipped_without_buffering() -> None:
    limits = Limits(max_line_length=1000, max_literal_size=1000)
    conn = ServerConnection(limits)
    conn.receive_data(b"a6 APPEND x {900000+}\r\n")
    assert drain(conn) == []
    for _ in range(100):
        conn.receive_data(b"z0 NOOP\r\n" * 1000)  # 9000 bytes that look like commands
        assert drain(conn) == []
        assert conn.buffered < 2000
    conn.receive_data(b" {3+}\r\nabc more\r\n" + NOOP_AFTER)
    assert drain(conn) == [toobig("a6"), NOOP_EVENT]


def test_non_sync_literal_over_the_limit_whole_and_bytewise() -> None:
    wire = b"a7 APPEND x {60+}\r\n" + b"\r\n" * 30 + b" {2+}\r\n{}\r\n" + NOOP_AFTER
    assert feed_both(wire, limits=SMALL) == [toobig("a7"), NOOP_EVENT, ConnectionClosed()]


def test_all_literals_of_one_command_are_capped() -> None:
    # 3 x 30 bytes: each literal fits max_literal_size (50), the sum exceeds 80.
    wire = b"a8 APPEND x {30+}\r\n" + b"m" * 30 + b" {30+}\r\n" + b"m" * 30
    wire += b" {30+}\r\n" + b"m" * 30 + b"\r\n" + NOOP_AFTER
    assert feed_both(wire, limits=SMALL) == [toobig("a8"), NOOP_EVENT, ConnectionClosed()]


@pytest.mark.parametrize("announce", [b"{99999999999999999999999}", b"{99999999999999999999999+}"])
def test_absurd_literal_sizes_are_refused(announce: bytes) -> None:
    events = feed_both(b"a9 APPEND x " + announce + b"\r\n" + NOOP_AFTER)
    assert events == [toobig("a9"), NOOP_EVENT, ConnectionClosed()]


# ---------------------------------------------------------------- line limits


def test_line_at_the_limit_is_accepted_one_more_byte_is_not() -> None:
    line = b"a1 LOGIN " + b"u" * (100 - len(b"a1 LOGIN ") - 2) + b" p"
    assert len(line) == 100
    assert isinstance(feed_both(line + b"\r\n", limits=SMALL)[0], CommandReceived)
    events = feed_both(line + b"x\r\n" + NOOP_AFTER, limits=SMALL)
    assert events == [too_long("a1"), NOOP_EVENT, ConnectionClosed()]


def test_long_line_is_discarded_while_streaming() -> None:
    conn = ServerConnection(SMALL)
    conn.receive_data(b"b1 SEARCH ")
    for _ in range(1000):
        conn.receive_data(b"SEEN " * 20)
        assert drain(conn) == []
        assert conn.buffered <= 200
    conn.receive_data(b"ALL\r\n" + NOOP_AFTER)
    assert drain(conn) == [too_long("b1"), NOOP_EVENT]


def test_long_line_ending_in_non_sync_literal_skips_the_literal() -> None:
    wire = b"b2 LOGIN " + b"u" * 200 + b" {20+}\r\n" + b"z0 NOOP\r\n" * 2 + b"ab\r\n" + NOOP_AFTER
    assert feed_both(wire, limits=SMALL) == [too_long("b2"), NOOP_EVENT, ConnectionClosed()]


def test_long_line_ending_in_sync_literal_is_refused_at_once() -> None:
    wire = b"b3 LOGIN " + b"u" * 200 + b" {20}\r\n" + NOOP_AFTER
    assert feed_both(wire, limits=SMALL) == [too_long("b3"), NOOP_EVENT, ConnectionClosed()]


def test_line_bytes_after_a_literal_count_towards_the_limit() -> None:
    wire = b"b4 LOGIN {3+}\r\nabc " + b"p" * 100 + b"\r\n" + NOOP_AFTER
    assert feed_both(wire, limits=SMALL) == [too_long("b4"), NOOP_EVENT, ConnectionClosed()]


def test_long_line_without_a_readable_tag() -> None:
    assert feed_both(b"x" * 300 + b"\r\n" + NOOP_AFTER, limits=SMALL)[0] == too_long(None)


# ---------------------------------------------------------------- expect_line


def test_expect_line_reads_one_raw_line_even_if_already_buffered() -> None:
    conn = ServerConnection()
    conn.receive_data(b"a1 AUTHENTICATE PLAIN\r\ndGVzdA== {5}\r\nDONE\r\n" + NOOP_AFTER)
    first = conn.next_event()
    assert isinstance(first, CommandReceived)
    conn.expect_line()
    assert conn.next_event() == LineReceived(b"dGVzdA== {5}")  # no literal in a raw line
    conn.expect_line()
    assert conn.next_event() == LineReceived(b"DONE")
    assert drain(conn) == [NOOP_EVENT]


def test_expect_line_accepts_an_empty_line_and_waits_for_data() -> None:
    conn = ServerConnection()
    conn.expect_line()
    assert conn.next_event() is None
    conn.receive_data(b"\r")
    assert conn.next_event() is None
    conn.receive_data(b"\n")
    assert conn.next_event() == LineReceived(b"")


def test_expect_line_too_long_is_a_bad_without_tag() -> None:
    conn = ServerConnection(SMALL)
    conn.expect_line()
    conn.receive_data(b"A" * 150)
    assert drain(conn) == []
    conn.receive_data(b" {5+}\r\n" + NOOP_AFTER)
    assert drain(conn) == [too_long(None), NOOP_EVENT]


# ---------------------------------------------------------------- close and fatal


def test_close_reports_pending_commands_first_and_only_once() -> None:
    conn = ServerConnection()
    conn.receive_data(b"a NOOP\r\nb NOOP\r\nc NO")
    conn.receive_data(b"")
    assert drain(conn) == [
        CommandReceived(Noop("a")),
        CommandReceived(Noop("b")),
        ConnectionClosed(),
    ]
    assert conn.next_event() is None
    with pytest.raises(RuntimeError):
        conn.receive_data(b"more")


def test_close_in_the_middle_of_a_literal() -> None:
    conn = ServerConnection()
    conn.receive_data(b"a LOGIN {10}\r\nabc")
    conn.receive_data(b"")
    assert drain(conn) == [ContinuationRequest(), ConnectionClosed()]


def test_tls_handshake_on_plaintext_is_fatal() -> None:
    conn = ServerConnection()
    conn.receive_data(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
    event = conn.next_event()
    assert isinstance(event, ProtocolError) and event.fatal and event.tag is None
    conn.receive_data(NOOP_AFTER)
    assert conn.next_event() is None


def test_too_many_errors_in_a_row_is_fatal() -> None:
    limits = Limits(max_errors_in_a_row=3)
    events = feed_both(
        b"a BAD1\r\nb BAD2\r\nc NOOP\r\nd BAD3\r\ne BAD4\r\nf BAD5\r\ng NOOP\r\n", limits=limits
    )
    assert [getattr(e, "fatal", None) for e in events] == [
        False,
        False,
        None,
        False,
        False,
        True,
        None,
    ]
    assert isinstance(events[-1], ConnectionClosed)
    assert events[2] == CommandReceived(Noop("c"))
