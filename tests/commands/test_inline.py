"""Which commands the driver may run on the event loop (``roost.commands.inline``,
``Session.runs_inline``): light reads only, and never when the sync after them
would write (a read-write IMAP4rev1 view claiming \\Recent for new messages)."""

from __future__ import annotations

import pytest

from roost.protocol.parser import parse_command
from roost.storage.interface import NewMessage
from roost.storage.sqlite import SqliteStore
from tests.session.harness import Client, add_messages, message

HEADERS = "BODY.PEEK[HEADER.FIELDS (FROM SUBJECT)]"


@pytest.fixture
def selected(client: Client, store: SqliteStore) -> Client:
    add_messages(store, client.mailbox_id(), 150)
    client.run("s SELECT INBOX")
    return client


def _inline(client: Client, text: str) -> bool:
    return client.session.runs_inline(parse_command(text.encode()))


@pytest.mark.parametrize(
    ("command", "light"),
    [
        ("a NOOP", True),
        ("a CHECK", True),
        ("a CAPABILITY", True),
        (f"a UID FETCH 1:20 (UID FLAGS RFC822.SIZE INTERNALDATE {HEADERS})", True),
        ("a FETCH 1:100 (ENVELOPE BODYSTRUCTURE RFC822.HEADER)", True),
        ("a FETCH 1:101 (FLAGS)", False),  # more than MAX_MESSAGES
        ("a FETCH 1:* (FLAGS)", False),
        ("a FETCH 1 (BODY.PEEK[])", False),  # a body
        ("a FETCH 1 (BODY.PEEK[1.MIME])", False),  # a part: the whole message is read
        ("a FETCH 1 (BODY[HEADER])", False),  # sets \Seen
        ("a FETCH 1 (RFC822.TEXT)", False),
        ("a FETCH 1 (BINARY.PEEK[1])", False),
        ("a FETCH $ (FLAGS)", False),
        ("a UID SEARCH UNSEEN", True),
        ("a SEARCH OR FLAGGED NOT SEEN", True),
        ('a UID SEARCH SUBJECT "x" SINCE 1-Jan-2020', True),
        ('a UID SEARCH TEXT "x"', False),
        ('a UID SEARCH NOT BODY "x"', False),
        ("a STORE 1 +FLAGS (\\Seen)", False),
        ("a SELECT INBOX", False),
        ("a EXPUNGE", False),
        ("a STATUS INBOX (MESSAGES UNSEEN RECENT HIGHESTMODSEQ)", True),
    ],
)
def test_light_reads(selected: Client, command: str, light: bool) -> None:
    assert _inline(selected, command) is light


def test_no_inline_fetch_without_a_selected_mailbox(client: Client) -> None:
    assert _inline(client, "a NOOP")
    assert not _inline(client, "a FETCH 1 (FLAGS)")


def test_a_view_claiming_recent_goes_to_the_worker_when_messages_arrive(
    selected: Client, store: SqliteStore
) -> None:
    assert _inline(selected, "a NOOP")
    store.store_flags(selected.mailbox_id(), [1], "+", ["\\Flagged"])
    assert _inline(selected, "a NOOP")  # a flag change: the sync only reads
    store.append(selected.mailbox_id(), [NewMessage(message(999))])
    assert not _inline(selected, "a NOOP")  # the sync will claim \Recent: a write
    assert "* 151 EXISTS" in selected.run("a NOOP")
    assert _inline(selected, "a NOOP")


def test_views_that_claim_nothing_stay_inline_when_messages_arrive(
    connect, store: SqliteStore
) -> None:
    examiner, rev2 = connect(), connect()
    examiner.run("e EXAMINE INBOX")
    rev2.run("r ENABLE IMAP4rev2")
    rev2.run("r SELECT INBOX")
    store.append(examiner.mailbox_id(), [NewMessage(message(1))])
    assert _inline(examiner, "e NOOP")
    assert _inline(rev2, "r NOOP")
