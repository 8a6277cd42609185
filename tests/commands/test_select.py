"""SELECT, EXAMINE, CLOSE, UNSELECT, CHECK as C:/S: transcripts."""

from __future__ import annotations

from roost.session.state import State
from tests.session.harness import add_messages, converse

FLAGS = "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)"
PERMANENT = (
    "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted"
)


def test_select_rev1(client, store):
    inbox = client.mailbox_id()
    add_messages(store, inbox, 1, ["\\Seen"])
    add_messages(store, inbox, 2)
    validity = store.status(inbox).uidvalidity
    converse(
        client,
        f"""
        C: a1 SELECT inbox
        S: {FLAGS}
        S: {PERMANENT}
        S: * 3 EXISTS
        S: * 3 RECENT
        S: * OK [UNSEEN 2] First unseen
        S: * OK [UIDVALIDITY {validity}] UIDs valid
        S: * OK [UIDNEXT 4] Predicted next UID
        S: a1 OK [READ-WRITE] SELECT completed
        """,
    )
    assert client.session.state is State.SELECTED
    assert client.session.selected.name == "INBOX"


def test_examine_rev2_then_select_closes_first(client, store):
    drafts = client.mailbox_id("Drafts")
    inbox = client.mailbox_id()
    add_messages(store, inbox, 1, ["$Forwarded"])
    client.run("a0 ENABLE IMAP4rev2")
    converse(
        client,
        f"""
        C: a1 EXAMINE Drafts
        S: {FLAGS}
        S: * OK [PERMANENTFLAGS ()] Read-only mailbox
        S: * 0 EXISTS
        S: * OK [UIDVALIDITY {store.status(drafts).uidvalidity}] UIDs valid
        S: * OK [UIDNEXT 1] Predicted next UID
        S: * LIST (\\HasNoChildren \\Drafts) "/" Drafts
        S: a1 OK [READ-ONLY] EXAMINE completed
        C: a2 SELECT INBOX
        S: * OK [CLOSED] Previous mailbox is now closed
        S: * FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)
        S: * OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted
        S: * 1 EXISTS
        S: * OK [UIDVALIDITY {store.status(inbox).uidvalidity}] UIDs valid
        S: * OK [UIDNEXT 2] Predicted next UID
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: a2 OK [READ-WRITE] SELECT completed
        """,
    )


def test_select_lists_children_for_rev2(client):
    client.run("a ENABLE IMAP4rev2")
    client.run("b CREATE Work/Old")
    lines = client.run("c SELECT Work")
    assert '* LIST (\\HasChildren) "/" Work' in lines


def test_failed_select_leaves_authenticated_state(client):
    client.run("a SELECT INBOX")
    converse(
        client,
        """
        C: b SELECT Nowhere
        S: * OK [CLOSED] Previous mailbox is now closed
        S: b NO [NONEXISTENT] Mailbox does not exist
        C: c FETCH 1 FLAGS
        S: c BAD FETCH not allowed in authenticated state
        """,
    )
    assert client.session.state is State.AUTHENTICATED and client.session.selected is None


def test_placeholder_and_bad_names_cannot_be_selected(client):
    client.run("a CREATE a/b")
    client.run("b DELETE a")  # a has a child: it stays as \Noselect
    assert client.run("c SELECT a") == ["c NO [NONEXISTENT] Mailbox does not exist"]
    lines = client.run("d SELECT &Jjo")
    assert lines[0].startswith("d NO mailbox name is not valid modified UTF-7")


def test_select_modified_utf7_name(client):
    client.run("a CREATE Entw&APw-rfe")
    lines = client.run("b SELECT Entw&APw-rfe")
    assert lines[-1] == "b OK [READ-WRITE] SELECT completed"
    assert client.session.selected.name == "Entwürfe"


def test_close_expunges_silently(client, store, connect):
    inbox = client.mailbox_id()
    uids = add_messages(store, inbox, 3)
    client.run("a SELECT INBOX")
    store.store_flags(inbox, uids[:2], "+", ["\\Deleted"])
    converse(
        client,
        """
        C: b CLOSE
        S: b OK CLOSE completed
        """,
    )
    assert [m.uid for m in store.message_flags(inbox)] == [uids[2]]
    assert client.session.state is State.AUTHENTICATED


def test_close_of_examined_mailbox_and_unselect_keep_messages(client, store):
    inbox = client.mailbox_id()
    add_messages(store, inbox, 2, ["\\Deleted"])
    client.run("a EXAMINE INBOX")
    assert client.run("b CLOSE") == ["b OK CLOSE completed"]
    client.run("c SELECT INBOX")
    assert client.run("d CHECK") == ["d OK CHECK completed"]
    assert client.run("e UNSELECT") == ["e OK UNSELECT completed"]
    assert len(store.message_flags(inbox)) == 2
    assert client.session.state is State.AUTHENTICATED


def test_select_resets_saved_search_result(client):
    client.run("a SELECT INBOX")
    client.session.saved_uids = [1, 2]
    client.run("b SELECT INBOX")
    assert client.session.saved_uids == []
