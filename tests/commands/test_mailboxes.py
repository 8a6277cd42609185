"""CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, NAMESPACE."""

from __future__ import annotations

from roost.session.state import State
from tests.session.harness import add_messages, converse


def names(client) -> list[str]:
    user = client.session.user
    return sorted(m.name for m in client.store.list_mailboxes(user.id) if not m.noselect)


def test_create_with_parents_and_trailing_delimiter(client):
    converse(
        client,
        """
        C: a CREATE owatagusiam/
        S: a OK CREATE completed
        C: b CREATE owatagusiam/blurdybloop
        S: b OK CREATE completed
        C: c CREATE deep/er/still
        S: c OK CREATE completed
        C: d CREATE owatagusiam
        S: d NO [ALREADYEXISTS] Mailbox already exists
        """,
    )
    assert {"owatagusiam", "owatagusiam/blurdybloop", "deep", "deep/er", "deep/er/still"} <= set(
        names(client)
    )


def test_create_inbox_in_any_case_already_exists(client):
    for n, name in enumerate(["INBOX", "inbox", "Inbox/"]):
        assert client.run(f"a{n} CREATE {name}") == [f"a{n} NO [ALREADYEXISTS] INBOX always exists"]
    assert client.run("b CREATE inbox/child") == ["b OK CREATE completed"]
    assert "INBOX/child" in names(client)


def test_create_refuses_unusable_names(client):
    converse(
        client,
        """
        C: a CREATE "a//b"
        S: a NO [CANNOT] mailbox name has an empty hierarchy level
        C: b CREATE "/top"
        S: b NO [CANNOT] mailbox name has an empty hierarchy level
        C: c CREATE "a*b"
        S: c NO [CANNOT] mailbox name contains control or wildcard characters
        """,
    )


def test_create_special_use(client, store):
    converse(
        client,
        """
        C: a CREATE MySent (USE (\\Sent))
        S: a OK CREATE completed
        C: b CREATE Everything (USE (\\All))
        S: b NO [USEATTR] Special-use attribute \\All is not supported
        C: c CREATE Odd (USE (\\Bogus))
        S: c NO [USEATTR] Special-use attribute \\Bogus is not supported
        """,
    )
    user = client.session.user
    assert store.get_mailbox(user.id, "MySent").special_use == ("\\Sent",)
    assert "Everything" not in names(client)


def test_create_rev1_modified_utf7_and_utf8_after_enable(client, store):
    client.run("a CREATE Entw&APw-rfe")
    assert "Entwürfe" in names(client)
    client.run("b ENABLE UTF8=ACCEPT")
    assert client.run('c CREATE "Büro"') == ["c OK CREATE completed"]
    assert "Büro" in names(client)


def test_delete(client, store):
    converse(
        client,
        """
        C: a CREATE foo/bar
        S: a OK CREATE completed
        C: b DELETE INBOX
        S: b NO [CANNOT] INBOX cannot be deleted
        C: c DELETE nothing
        S: c NO [NONEXISTENT] Mailbox does not exist
        C: d DELETE foo
        S: d OK DELETE completed
        C: e DELETE foo
        S: e NO [HASCHILDREN] Mailbox has inferior hierarchical names
        C: f DELETE foo/bar
        S: f OK DELETE completed
        C: g DELETE foo
        S: g OK DELETE completed
        """,
    )
    assert "foo" not in names(client)


def test_delete_of_the_selected_mailbox_unselects(client, store):
    client.run("a CREATE Doomed")
    add_messages(store, client.mailbox_id("Doomed"), 2)
    client.run("b SELECT Doomed")
    converse(
        client,
        """
        C: c DELETE Doomed
        S: * OK [CLOSED] Selected mailbox was deleted
        S: c OK DELETE completed
        """,
    )
    assert client.session.state is State.AUTHENTICATED


def test_rename_follows_children_and_selection(client, store):
    client.run("a CREATE foo/bar")
    client.run("b SELECT foo/bar")
    converse(
        client,
        """
        C: c RENAME foo zowie
        S: c OK RENAME completed
        C: d RENAME zowie zowie/inside
        S: d NO [CANNOT] Cannot move a mailbox into itself
        C: e RENAME nothing other
        S: e NO [NONEXISTENT] Mailbox does not exist
        C: f RENAME zowie Sent
        S: f NO [ALREADYEXISTS] Mailbox already exists
        C: g RENAME zowie INBOX
        S: g NO [ALREADYEXISTS] INBOX always exists
        """,
    )
    assert {"zowie", "zowie/bar"} <= set(names(client))
    assert client.session.selected.name == "zowie/bar"


def test_rename_inbox_moves_its_messages(client, store):
    inbox = client.mailbox_id()
    add_messages(store, inbox, 2)
    client.run("a SELECT INBOX")
    converse(
        client,
        """
        C: b RENAME INBOX old-mail
        S: * 1 EXPUNGE
        S: * 1 EXPUNGE
        S: b OK RENAME completed
        """,
    )
    assert client.session.selected.name == "INBOX"
    assert len(store.message_flags(client.mailbox_id("old-mail"))) == 2


def test_subscriptions_and_namespace(client, store):
    converse(
        client,
        """
        C: a SUBSCRIBE "#news.comp.mail.mime"
        S: a OK SUBSCRIBE completed
        C: b SUBSCRIBE inbox
        S: b OK SUBSCRIBE completed
        C: c UNSUBSCRIBE Trash
        S: c OK UNSUBSCRIBE completed
        C: d UNSUBSCRIBE never-subscribed
        S: d OK UNSUBSCRIBE completed
        C: e NAMESPACE
        S: * NAMESPACE (("" "/")) NIL NIL
        S: e OK NAMESPACE completed
        """,
    )
    subs = set(store.list_subscriptions(client.session.user.id))
    assert "#news.comp.mail.mime" in subs and "INBOX" in subs and "Trash" not in subs
