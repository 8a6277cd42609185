"""STATUS."""

from __future__ import annotations

from tests.session.harness import add_messages, converse, message


def test_status_items_in_the_order_asked(client, store):
    inbox = client.mailbox_id()
    add_messages(store, inbox, 2, ["\\Seen"])
    add_messages(store, inbox, 1, ["\\Deleted"])
    st = store.status(inbox)
    size = 3 * len(message(0))
    converse(
        client,
        f"""
        C: a STATUS inbox (UIDNEXT MESSAGES UNSEEN DELETED SIZE UIDVALIDITY RECENT MESSAGES)
        S: * STATUS INBOX (UIDNEXT 4 MESSAGES 3 UNSEEN 1 DELETED 1 SIZE {size} UIDVALIDITY {st.uidvalidity} RECENT 3)
        S: a OK STATUS completed
        C: b STATUS Drafts (MESSAGES HIGHESTMODSEQ)
        S: * STATUS Drafts (MESSAGES 0 HIGHESTMODSEQ 1)
        S: b OK STATUS completed
        C: c STATUS Nowhere (MESSAGES)
        S: c NO [NONEXISTENT] Mailbox does not exist
        """,
    )


def test_status_of_the_selected_mailbox_counts_its_recent(client, store, connect):
    add_messages(store, client.mailbox_id(), 2)
    client.run("a SELECT INBOX")  # claims both as \Recent
    other = connect()
    assert (
        other.run("b STATUS INBOX (RECENT MESSAGES)")[0] == "* STATUS INBOX (RECENT 0 MESSAGES 2)"
    )
    assert client.run("c STATUS INBOX (RECENT MESSAGES)") == [
        "* STATUS INBOX (RECENT 2 MESSAGES 2)",
        "c OK STATUS completed",
    ]


def test_status_of_placeholder_and_utf7_name(client):
    client.run("a CREATE p/child")
    client.run("b DELETE p")
    assert client.run("c STATUS p (MESSAGES)") == ["c NO [NONEXISTENT] Mailbox does not exist"]
    client.run("d CREATE Entw&APw-rfe")
    assert client.run("e STATUS Entw&APw-rfe (MESSAGES)")[0] == "* STATUS Entw&APw-rfe (MESSAGES 0)"
