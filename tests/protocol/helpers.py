"""Test helpers: feed bytes to a ServerConnection whole or one byte at a time."""

from __future__ import annotations

from roost.protocol.connection import Limits, ServerConnection
from roost.protocol.events import CommandReceived, Event

DEFAULT = Limits()


def drain(conn: ServerConnection) -> list[Event]:
    events = []
    while (event := conn.next_event()) is not None:
        events.append(event)
    return events


def feed(
    data: bytes, *, limits: Limits = DEFAULT, bytewise: bool = False, close: bool = True
) -> list[Event]:
    """Events for ``data``, draining after every chunk (one chunk, or one per byte)."""
    conn = ServerConnection(limits)
    chunks = [data[i : i + 1] for i in range(len(data))] if bytewise else [data][: len(data)]
    events: list[Event] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        events += drain(conn)
    if close:
        conn.receive_data(b"")
        events += drain(conn)
    return events


def feed_both(data: bytes, *, limits: Limits = DEFAULT, close: bool = True) -> list[Event]:
    """Events for ``data``; asserts that whole and byte-at-a-time feeding agree."""
    whole = feed(data, limits=limits, close=close)
    bytewise = feed(data, limits=limits, bytewise=True, close=close)
    assert whole == bytewise
    return whole


def commands(events: list[Event]) -> list[object]:
    return [e.command for e in events if isinstance(e, CommandReceived)]
