"""NOTIFY (RFC 5465 section 8): known answers, errors and round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from roost.protocol.command_encoder import encode_command
from roost.protocol.commands import (
    FetchBody,
    Notify,
    NotifyEvent,
    NotifyGroup,
    Section,
)
from roost.protocol.errors import ParseError
from roost.protocol.events import CommandReceived, ConnectionClosed
from roost.protocol.parser import parse_command

from .helpers import feed_both
from .strategies import notifies

NEW, GONE, FLAGS = (
    NotifyEvent("MessageNew"),
    NotifyEvent("MessageExpunge"),
    NotifyEvent("FlagChange"),
)
HEADERS = FetchBody(Section((), "HEADER.FIELDS", ("FROM", "TO", "SUBJECT")), peek=True)

CASES: list[tuple[bytes, Notify]] = [
    (b"a NOTIFY NONE", Notify("a")),
    (b"a notify none", Notify("a")),
    (
        # RFC 5465 3.1, the example with the parentheses its grammar asks for
        b"a notify set status (selected (MessageNew (uid body.peek[header.fields"
        b" (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew MessageExpunge))",
        Notify(
            "a",
            (
                NotifyGroup("SELECTED", (), (NotifyEvent("MessageNew", ("UID", HEADERS)), GONE)),
                NotifyGroup("SUBTREE", ("Lists",), (NEW, GONE)),
            ),
            status=True,
        ),
    ),
    (
        # ... and as the RFC prints it, event lists without parentheses
        b"a notify set status (selected MessageNew (uid body.peek[header.fields"
        b" (from to subject)]) MessageExpunge) (subtree Lists MessageNew)",
        Notify(
            "a",
            (
                NotifyGroup("SELECTED", (), (NotifyEvent("MessageNew", ("UID", HEADERS)), GONE)),
                NotifyGroup("SUBTREE", ("Lists",), (NEW,)),
            ),
            status=True,
        ),
    ),
    (
        b"t NOTIFY SET (SELECTED (MessageNew (UID FLAGS) MessageExpunge FlagChange))"
        b" (PERSONAL (MessageNew MessageExpunge MailboxName SubscriptionChange))",
        Notify(
            "t",
            (
                NotifyGroup(
                    "SELECTED", (), (NotifyEvent("MessageNew", ("UID", "FLAGS")), GONE, FLAGS)
                ),
                NotifyGroup(
                    "PERSONAL",
                    (),
                    (NEW, GONE, NotifyEvent("MailboxName"), NotifyEvent("SubscriptionChange")),
                ),
            ),
        ),
    ),
    (
        b"a NOTIFY SET (selected-delayed (messagenew messageexpunge)) (inboxes NONE)",
        Notify(
            "a",
            (NotifyGroup("SELECTED-DELAYED", (), (NEW, GONE)), NotifyGroup("INBOXES", (), ())),
        ),
    ),
    (
        b'a NOTIFY SET (mailboxes (INBOX "Lists/a b" {3+}\r\nx\xc3\xa9) (FlagChange Foo-Bar))',
        Notify(
            "a",
            (
                NotifyGroup(
                    "MAILBOXES",
                    ("INBOX", "Lists/a b", "x\u00e9"),
                    (FLAGS, NotifyEvent("Foo-Bar")),
                ),
            ),
        ),
    ),
    (
        b"a NOTIFY SET (subscribed (AnnotationChange MailboxMetadataChange ServerMetadataChange))",
        Notify(
            "a",
            (
                NotifyGroup(
                    "SUBSCRIBED",
                    (),
                    tuple(
                        NotifyEvent(n)
                        for n in (
                            "AnnotationChange",
                            "MailboxMetadataChange",
                            "ServerMetadataChange",
                        )
                    ),
                ),
            ),
        ),
    ),
]


@pytest.mark.parametrize("wire, expected", CASES, ids=[c[0][:40].decode("latin-1") for c in CASES])
def test_known_answer(wire: bytes, expected: Notify) -> None:
    assert parse_command(wire) == expected
    events = feed_both(wire + b"\r\n")
    assert events == [CommandReceived(expected), ConnectionClosed()]


@pytest.mark.parametrize(
    "wire",
    [
        b"a NOTIFY",
        b"a NOTIFY SET",
        b"a NOTIFY SET STATUS",
        b"a NOTIFY ALL",
        b"a NOTIFY NONE (PERSONAL NONE)",
        b"a NOTIFY SET ()",
        b"a NOTIFY SET (PERSONAL)",
        b"a NOTIFY SET (PERSONAL ())",  # an event list is never empty (NONE says that)
        b"a NOTIFY SET (EVERYWHERE (MessageNew MessageExpunge))",
        b"a NOTIFY SET (SUBTREE (MessageNew MessageExpunge))",  # no mailbox
        b"a NOTIFY SET (MAILBOXES () (MailboxName))",
        b"a NOTIFY SET (PERSONAL (MessageNew (BOGUS) MessageExpunge))",
        b"a NOTIFY SET (PERSONAL (MessageNew MessageExpunge)",
        b"a NOTIFY SET (PERSONAL (MessageNew MessageExpunge)) trailing",
        b"a NOTIFY SET  (PERSONAL NONE)",
        b"a NOTIFY SET (PERSONAL NONE MessageNew)",
    ],
)
def test_bad_syntax(wire: bytes) -> None:
    with pytest.raises(ParseError) as exc:
        parse_command(wire)
    assert exc.value.tag == "a"


def test_encoder_writes_the_grammar_form() -> None:
    cmd = CASES[3][1]
    assert encode_command(cmd) == (
        b"a NOTIFY SET STATUS (SELECTED (MessageNew (UID BODY.PEEK[HEADER.FIELDS"
        b" (FROM TO SUBJECT)]) MessageExpunge)) (SUBTREE (Lists) (MessageNew))\r\n"
    )
    with pytest.raises(ValueError):
        encode_command(Notify("a", ()))


@settings(max_examples=60, deadline=None)
@given(cmd=notifies)
def test_round_trip(cmd: Notify) -> None:
    wire = encode_command(cmd)
    assert parse_command(wire[:-2]) == cmd
