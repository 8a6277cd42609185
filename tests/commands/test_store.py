"""STORE / UID STORE through a real Session and SqliteStore (RFC 9051 6.4.6, RFC 7162 3.1.3)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.commands.store import expected_flags
from roost.protocol.commands import SeqRange, SequenceSet, Store
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import append, select, simple
from tests.session.harness import Client


@pytest.fixture
def box(client: Client, store: SqliteStore) -> Client:
    """INBOX with three messages (UIDs 1-3); message 2 starts \\Seen; selected (rev1)."""
    for n in range(1, 4):
        append(store, client.mailbox_id(), simple(n), flags=["\\Seen"] if n == 2 else [])
    select(client)
    return client


def flags_in_store(store: SqliteStore, client: Client) -> dict[int, frozenset[str]]:
    return {m.uid: m.flags for m in store.message_flags(client.mailbox_id())}


def test_add_flags_reports_every_message_of_the_set(box: Client, store: SqliteStore) -> None:
    # The new keyword is announced before the FETCH responses that show it.
    assert box.run("a STORE 1:3 +FLAGS (\\Seen $Work)") == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Work)",
        "* 1 FETCH (FLAGS (\\Seen \\Recent $Work))",
        "* 2 FETCH (FLAGS (\\Seen \\Recent $Work))",
        "* 3 FETCH (FLAGS (\\Seen \\Recent $Work))",
        "a OK STORE completed",
    ]
    assert set(flags_in_store(store, box).values()) == {frozenset({"\\Seen", "$Work"})}


def test_unchanged_messages_are_reported_too(box: Client) -> None:
    # Message 2 already has \Seen: still reported, with its current flags.
    assert box.run("a STORE 2 +FLAGS (\\Seen)") == [
        "* 2 FETCH (FLAGS (\\Seen \\Recent))",
        "a OK STORE completed",
    ]


def test_remove_and_replace(box: Client, store: SqliteStore) -> None:
    box.run("a STORE 1 FLAGS (\\Flagged \\Answered)")
    assert box.run("b STORE 1 -FLAGS (\\Answered)") == [
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
        "b OK STORE completed",
    ]
    assert box.run("c STORE 1 FLAGS ()") == [
        "* 1 FETCH (FLAGS (\\Recent))",
        "c OK STORE completed",
    ]
    assert flags_in_store(store, box)[1] == frozenset()


def test_uid_store_includes_uid(box: Client) -> None:
    assert box.run("a UID STORE 3,9 +FLAGS (\\Deleted)") == [
        "* 3 FETCH (UID 3 FLAGS (\\Deleted \\Recent))",
        "a OK STORE completed",
    ]


def test_silent_sends_nothing_for_own_change(box: Client, store: SqliteStore) -> None:
    assert box.run("a STORE 1:2 +FLAGS.SILENT (\\Flagged)") == ["a OK STORE completed"]
    assert box.run("n NOOP") == ["n OK NOOP completed"]
    assert flags_in_store(store, box)[1] == frozenset({"\\Flagged"})


def test_silent_still_reports_concurrent_changes(
    box: Client, connect: Callable[..., Client]
) -> None:
    other = connect()
    select(other)
    other.run("o STORE 1 +FLAGS.SILENT (\\Answered)")
    # Our silent store does not hide what the other session did to message 1.
    assert box.run("a STORE 1 +FLAGS.SILENT (\\Flagged)") == [
        "* 1 FETCH (FLAGS (\\Answered \\Flagged \\Recent) UID 1)",
        "a OK STORE completed",
    ]


def test_non_silent_shows_concurrent_changes_once(
    box: Client, connect: Callable[..., Client]
) -> None:
    other = connect()
    select(other)
    other.run("o STORE 3 +FLAGS.SILENT (\\Answered)")
    assert box.run("a STORE 1,3 +FLAGS (\\Flagged)") == [
        "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
        "* 3 FETCH (FLAGS (\\Answered \\Flagged \\Recent))",
        "a OK STORE completed",
    ]


def test_other_session_is_told(box: Client, connect: Callable[..., Client]) -> None:
    other = connect()
    select(other)
    box.run("a STORE 3 +FLAGS (\\Flagged)")
    assert other.run("n NOOP") == ["* 3 FETCH (FLAGS (\\Flagged) UID 3)", "n OK NOOP completed"]


def test_read_only_mailbox_refuses(client: Client, store: SqliteStore) -> None:
    append(store, client.mailbox_id(), simple(1))
    select(client, examine=True)
    assert client.run("a STORE 1 +FLAGS (\\Seen)") == ["a NO [READ-ONLY] mailbox is read-only"]


def test_recent_cannot_be_stored(box: Client, store: SqliteStore) -> None:
    # The parser refuses it already; the handler does not rely on that.
    outcome = box.session.execute(
        Store("a", SequenceSet((SeqRange(1, 1),)), mode="+", flags=("\\Recent",))
    )
    assert outcome.reply.status == "BAD"
    assert flags_in_store(store, box)[1] == frozenset()


def test_bad_sequence_number(box: Client, store: SqliteStore) -> None:
    assert box.run("a STORE 4 +FLAGS (\\Seen)") == ["a BAD Invalid message sequence number"]
    assert flags_in_store(store, box)[1] == frozenset()


def test_rev2_flags_have_no_recent(connect: Callable[..., Client], store: SqliteStore) -> None:
    client = connect()
    append(store, client.mailbox_id(), simple(1))
    client.run("e ENABLE IMAP4rev2")
    select(client)
    assert client.run("a STORE 1 +FLAGS (\\Seen)")[0] == "* 1 FETCH (FLAGS (\\Seen))"


def test_unchangedsince(box: Client, store: SqliteStore) -> None:
    modseq = {m.uid: m.modseq for m in store.message_flags(box.mailbox_id())}
    box.run("a STORE 1 +FLAGS.SILENT (\\Answered)")
    # Message 1 changed after modseq[3]: it fails; messages 2 and 3 are stored.
    out = box.run(f"b STORE 1:3 (UNCHANGEDSINCE {modseq[3]}) +FLAGS (\\Flagged)")
    new = {m.uid: m.modseq for m in store.message_flags(box.mailbox_id())}
    assert out == [
        f"* 2 FETCH (FLAGS (\\Seen \\Flagged \\Recent) MODSEQ ({new[2]}))",
        f"* 3 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ ({new[3]}))",
        "b OK [MODIFIED 1] conditional STORE failed",
    ]
    assert "\\Flagged" not in flags_in_store(store, box)[1]


def test_unchangedsince_silent_uid_form(box: Client, store: SqliteStore) -> None:
    since = max(m.modseq for m in store.message_flags(box.mailbox_id()))
    box.run("a STORE 2:3 +FLAGS.SILENT (\\Answered)")
    out = box.run(f"b UID STORE 1:3 (UNCHANGEDSINCE {since}) +FLAGS.SILENT (\\Deleted)")
    new = {m.uid: m.modseq for m in store.message_flags(box.mailbox_id())}
    assert out == [
        f"* 1 FETCH (UID 1 MODSEQ ({new[1]}))",
        "b OK [MODIFIED 2:3] conditional STORE failed",
    ]


@pytest.mark.parametrize(
    ("mode", "old", "flags", "new"),
    [
        ("+", {"\\Seen"}, ("\\Flagged",), {"\\Seen", "\\Flagged"}),
        ("-", {"\\Seen", "a"}, ("a", "b"), {"\\Seen"}),
        ("", {"\\Seen"}, ("x",), {"x"}),
    ],
)
def test_expected_flags(mode: str, old: set[str], flags: tuple[str, ...], new: set[str]) -> None:
    assert expected_flags(frozenset(old), mode, flags) == frozenset(new)


def test_silent_store_still_announces_new_keyword(box: Client) -> None:
    assert box.run("a STORE 1 +FLAGS.SILENT (Project)") == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft Project)",
        "a OK STORE completed",
    ]
    assert box.run("n NOOP") == ["n OK NOOP completed"]
