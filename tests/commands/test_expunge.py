"""EXPUNGE and UID EXPUNGE."""

from __future__ import annotations

from tests.session.harness import add_messages, converse


def test_expunge_reports_each_removed_message(client, store):
    inbox = client.mailbox_id()
    uids = add_messages(store, inbox, 11)
    # RFC 9051 6.4.3 example: messages 3, 4, 7 and 11 had \Deleted set
    store.store_flags(inbox, [uids[i - 1] for i in (3, 4, 7, 11)], "+", ["\\Deleted"])
    client.run("a SELECT INBOX")
    converse(
        client,
        """
        C: A202 EXPUNGE
        S: * 3 EXPUNGE
        S: * 3 EXPUNGE
        S: * 5 EXPUNGE
        S: * 8 EXPUNGE
        S: A202 OK EXPUNGE completed
        C: A203 EXPUNGE
        S: A203 OK EXPUNGE completed
        """,
    )
    assert client.session.selected.exists() == 7


def test_uid_expunge_only_removes_named_messages(client, store):
    inbox = client.mailbox_id()
    uids = add_messages(store, inbox, 4, ["\\Deleted"])
    client.run("a SELECT INBOX")
    converse(
        client,
        f"""
        C: b UID EXPUNGE {uids[1]}:{uids[2]}
        S: * 2 EXPUNGE
        S: * 2 EXPUNGE
        S: b OK UID EXPUNGE completed
        """,
    )
    assert [m.uid for m in store.message_flags(inbox)] == [uids[0], uids[3]]


def test_expunge_in_read_only_mailbox(client, store):
    add_messages(store, client.mailbox_id(), 1, ["\\Deleted"])
    client.run("a EXAMINE INBOX")
    assert client.run("b EXPUNGE") == ["b NO [READ-ONLY] Mailbox is read-only"]
    assert client.run("c UID EXPUNGE 1") == ["c NO [READ-ONLY] Mailbox is read-only"]
    assert len(store.message_flags(client.mailbox_id())) == 1


def test_expunge_removes_deleted_messages_the_session_has_not_seen(client, store):
    # RFC 9051 6.4.3: EXPUNGE removes all \\Deleted messages; one that arrived
    # since the last update goes too and is never announced to this session.
    inbox = client.mailbox_id()
    add_messages(store, inbox, 1, ["\\Deleted"])
    client.run("a SELECT INBOX")
    add_messages(store, inbox, 1, ["\\Deleted"])
    kept = add_messages(store, inbox, 1, [])
    assert client.run("b EXPUNGE") == [
        "* 1 EXPUNGE",
        "* 1 EXISTS",
        "* 1 RECENT",
        "b OK EXPUNGE completed",
    ]
    assert [m.uid for m in store.message_flags(inbox)] == kept
