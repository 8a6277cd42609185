"""Round trips: parse(encode(cmd)) == cmd for generated commands of every type."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol import commands as c
from roost.protocol.command_encoder import encode_command
from roost.protocol.events import ContinuationRequest
from roost.protocol.parser import parse_command

from .helpers import commands, feed
from .strategies import BY_TYPE

_SYNC = re.compile(rb"~?\{([0-9]+)\}\r\n")


def test_every_command_type_has_a_strategy() -> None:
    every = {
        obj
        for obj in vars(c).values()
        if isinstance(obj, type) and issubclass(obj, c.Command) and obj is not c.Command
    }
    assert every == set(BY_TYPE)


@pytest.mark.parametrize("cls", list(BY_TYPE), ids=lambda cls: cls.__name__)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_parse_encode_round_trip(cls: type[c.Command], data: st.DataObject) -> None:
    cmd = data.draw(BY_TYPE[cls])
    wire = encode_command(cmd)
    assert wire.endswith(b"\r\n")
    assert parse_command(wire[:-2]) == cmd
    assert commands(feed(wire)) == [cmd]


@pytest.mark.parametrize("cls", [c.Login, c.Append, c.Search, c.List], ids=lambda cls: cls.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_round_trip_with_synchronizing_literals(cls: type[c.Command], data: st.DataObject) -> None:
    cmd = data.draw(BY_TYPE[cls])
    wire = encode_command(cmd, literal_plus=False)
    events = feed(wire)
    continuations = [e for e in events if isinstance(e, ContinuationRequest)]
    assert len(continuations) == count_literals(wire)
    assert commands(events) == [cmd]


def count_literals(wire: bytes) -> int:
    """Synchronizing literal announcements, skipping literal data (it may look like one)."""
    count, pos = 0, 0
    while m := _SYNC.search(wire, pos):
        count += 1
        pos = m.end() + int(m.group(1))
    return count


def test_encoder_uses_literals_only_when_needed() -> None:
    assert encode_command(c.Login("a", "fred", "two words")) == b'a LOGIN fred "two words"\r\n'
    assert encode_command(c.Login("a", "x", "l\r\n")) == b"a LOGIN x {3+}\r\nl\r\n\r\n"
    assert (
        encode_command(c.Login("a", "x", "é"), literal_plus=False)
        == "a LOGIN x {2}\r\né\r\n".encode()
    )
    assert encode_command(c.Select("a", 'q"\\')) == b'a SELECT "q\\"\\\\"\r\n'


def test_encoder_refuses_what_cannot_be_sent() -> None:
    with pytest.raises(ValueError):
        encode_command(c.Append("a", "x", (c.AppendMessage(data=b"\x00"),)))
    with pytest.raises(ValueError):
        encode_command(c.Append("a", "x", ()))
    with pytest.raises(ValueError):
        encode_command(c.Search("a", c.SearchKey("AND", ())))
    with pytest.raises(TypeError):
        encode_command(c.Command("a"))
