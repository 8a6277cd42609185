"""Two sessions on one mailbox: what each is told, and when (RFC 9051 5.2, 7.5.1)."""

from __future__ import annotations

from roost.session.state import State

from .harness import add_messages, converse, message


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def test_new_messages_reach_the_other_session(connect, store):
    a, b = connect(), connect()
    a.run("a1 SELECT INBOX")
    b.run("b1 SELECT INBOX")
    assert b.run(b"b2 APPEND INBOX " + literal(message(1)))[:2] == ["* 1 EXISTS", "* 1 RECENT"]
    # b claimed \Recent first (its sync ran right after its APPEND)
    converse(
        a,
        """
        C: a2 NOOP
        S: * 1 EXISTS
        S: * 0 RECENT
        S: a2 OK NOOP completed
        C: a3 NOOP
        S: a3 OK NOOP completed
        """,
    )


def test_flag_changes_reach_the_other_session_once(connect, store):
    add_messages(store, connect().mailbox_id(), 2)
    a, b = connect(), connect()
    a.run("a0 ENABLE IMAP4rev2")
    b.run("b0 ENABLE IMAP4rev2")
    a.run("a1 SELECT INBOX")
    b.run("b1 SELECT INBOX")
    converse(
        b,
        """
        C: b2 STORE 2 +FLAGS (\\Flagged)
        S: * 2 FETCH (FLAGS (\\Flagged))
        S: b2 OK STORE completed
        C: b3 NOOP
        S: b3 OK NOOP completed
        """,
    )
    converse(
        a,
        """
        C: a2 NOOP
        S: * 2 FETCH (FLAGS (\\Flagged) UID 2)
        S: a2 OK NOOP completed
        C: a3 NOOP
        S: a3 OK NOOP completed
        """,
    )


def test_no_expunge_during_fetch_store_search(connect, store):
    add_messages(store, connect().mailbox_id(), 3)
    a, b = connect(), connect()
    a.run("a0 ENABLE IMAP4rev2")
    a.run("a1 SELECT INBOX")
    b.run("b1 SELECT INBOX")
    b.run("b2 STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert b.run("b3 EXPUNGE") == ["* 2 EXPUNGE", "b3 OK EXPUNGE completed"]
    # message 3 keeps its number for a until a is told; the gone one is skipped
    converse(
        a,
        """
        C: a2 FETCH 1:3 (UID)
        S: * 1 FETCH (UID 1)
        S: * 3 FETCH (UID 3)
        S: a2 OK FETCH completed
        C: a3 STORE 3 +FLAGS (\\Seen)
        S: * 3 FETCH (FLAGS (\\Seen))
        S: a3 OK STORE completed
        C: a4 SEARCH ALL
        S: ...
        S: a4 OK SEARCH completed
        C: a5 FETCH 3 (FLAGS)
        S: * 3 FETCH (FLAGS (\\Seen))
        S: a5 OK FETCH completed
        C: a6 NOOP
        S: * 2 EXPUNGE
        S: a6 OK NOOP completed
        """,
    )
    assert a.run("a7 FETCH 3 (FLAGS)")[0].startswith("a7 BAD ")
    assert a.session.selected.exists() == 2
    assert not any("EXPUNGE" in line for line in a.run("a8 FETCH 1:2 (UID)"))


def test_uid_commands_may_carry_expunges(connect, store):
    add_messages(store, connect().mailbox_id(), 3)
    a, b = connect(), connect()
    a.run("a1 SELECT INBOX")
    b.run("b1 SELECT INBOX")
    b.run("b2 UID STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.run("b3 EXPUNGE")
    lines = a.run("a2 UID FETCH 1:* (FLAGS)")
    assert lines[-2:] == ["* 1 EXPUNGE", "a2 OK FETCH completed"]
    assert a.session.selected.exists() == 2


def test_expunged_and_new_together(connect, store):
    inbox = connect().mailbox_id()
    uids = add_messages(store, inbox, 2)
    a = connect()
    a.run("a1 SELECT INBOX")
    store.store_flags(inbox, [uids[0]], "+", ["\\Deleted"])
    store.expunge(inbox)
    add_messages(store, inbox, 1)
    # during FETCH the new message is counted on top of the not-yet-expunged one
    lines = a.run("a2 FETCH 1 (UID)")
    assert lines == ["* 3 EXISTS", "* 3 RECENT", "a2 OK FETCH completed"]
    assert a.run("a3 NOOP") == ["* 1 EXPUNGE", "a3 OK NOOP completed"]
    assert a.session.poll() == []


def test_deleted_mailbox_ends_the_other_session(connect, store):
    a, b = connect(), connect()
    a.run("a1 CREATE Shared")
    a.run("a2 SELECT Shared")
    assert b.run("b1 DELETE Shared") == ["b1 OK DELETE completed"]
    lines = a.run("a3 NOOP")
    assert lines == [
        "* BYE Selected mailbox was deleted, have to disconnect.",
        "a3 OK NOOP completed",
    ]
    assert a.last.close and a.session.state is State.LOGOUT


def test_poll_reports_for_idle(connect, store):
    inbox = connect().mailbox_id()
    a = connect()
    a.run("a1 SELECT INBOX")
    add_messages(store, inbox, 2)
    assert a.session.poll() == [b"* 2 EXISTS\r\n", b"* 2 RECENT\r\n"]
    assert a.session.poll() == []


def test_store_reports_nothing_for_a_message_seen_expunged_but_held_back(connect, store):
    add_messages(store, connect().mailbox_id(), 2)
    a, b = connect(), connect()
    a.run("a0 ENABLE IMAP4rev2")
    b.run("b0 ENABLE IMAP4rev2")
    a.run("a1 SELECT INBOX")
    b.run("b1 SELECT INBOX")
    b.run("b2 STORE 1 +FLAGS.SILENT (\\Deleted)")
    b.run("b3 EXPUNGE")
    # a's FETCH sees the expunge but may not announce it (RFC 9051 7.5.1) ...
    a.run("a2 FETCH 2 (FLAGS)")
    # ... and its STORE then reports only the message that still exists
    converse(
        a,
        """
        C: a3 STORE 1:2 +FLAGS (\\Seen)
        S: * 2 FETCH (FLAGS (\\Seen))
        S: a3 OK STORE completed
        C: a4 NOOP
        S: * 1 EXPUNGE
        S: a4 OK NOOP completed
        """,
    )
