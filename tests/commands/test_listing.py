"""LIST (basic, extended, RECURSIVEMATCH, STATUS) and LSUB, against RFC examples."""

from __future__ import annotations

import pytest

from tests.session.harness import add_messages, converse

DEFAULTS = ("Archive", "Drafts", "Junk", "Sent", "Trash")


@pytest.fixture
def bare(client, store):
    """alice with only INBOX, nothing subscribed (RFC examples start from a known tree)."""
    user = client.session.user
    for name in DEFAULTS:
        store.delete_mailbox(user.id, name)
    for name in store.list_subscriptions(user.id):
        store.set_subscribed(user.id, name, False)
    return client


def build(client, boxes=(), subscribed=()):
    user = client.session.user
    for name in boxes:
        client.store.create_mailbox(user.id, name)
    for name in subscribed:
        client.store.set_subscribed(user.id, name, True)


def test_empty_pattern_gives_the_delimiter(client):
    converse(
        client,
        """
        C: A101 LIST "" ""
        S: * LIST (\\Noselect) "/" ""
        S: A101 OK LIST completed
        C: A102 LIST "Work/x" ""
        S: * LIST (\\Noselect) "/" ""
        S: A102 OK LIST completed
        C: A103 LIST () "" ""
        S: A103 OK LIST completed
        """,
    )


def test_default_mailboxes_with_special_use(client):
    converse(
        client,
        """
        C: a LIST "" *
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasNoChildren \\Archive) "/" Archive
        S: * LIST (\\HasNoChildren \\Drafts) "/" Drafts
        S: * LIST (\\HasNoChildren \\Junk) "/" Junk
        S: * LIST (\\HasNoChildren \\Sent) "/" Sent
        S: * LIST (\\HasNoChildren \\Trash) "/" Trash
        S: a OK LIST completed
        C: b LIST (SPECIAL-USE) "" * RETURN (SUBSCRIBED)
        S: * LIST (\\HasNoChildren \\Archive \\Subscribed) "/" Archive
        S: * LIST (\\HasNoChildren \\Drafts \\Subscribed) "/" Drafts
        S: * LIST (\\HasNoChildren \\Junk \\Subscribed) "/" Junk
        S: * LIST (\\HasNoChildren \\Sent \\Subscribed) "/" Sent
        S: * LIST (\\HasNoChildren \\Trash \\Subscribed) "/" Trash
        S: b OK LIST completed
        C: c LIST "" (inbox Sent nothing)
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasNoChildren \\Sent) "/" Sent
        S: c OK LIST completed
        """,
    )


def test_percent_and_placeholders(bare):
    build(bare, ["blurdybloop", "foo/bar"])
    bare.store.delete_mailbox(bare.session.user.id, "foo")  # kept as \Noselect
    converse(
        bare,
        """
        C: A682 LIST "" *
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasNoChildren) "/" blurdybloop
        S: * LIST (\\Noselect \\HasChildren) "/" foo
        S: * LIST (\\HasNoChildren) "/" foo/bar
        S: A682 OK LIST completed
        C: A683 LIST "" %
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasNoChildren) "/" blurdybloop
        S: * LIST (\\Noselect \\HasChildren) "/" foo
        S: A683 OK LIST completed
        C: A684 LIST foo/ %
        S: * LIST (\\HasNoChildren) "/" foo/bar
        S: A684 OK LIST completed
        C: A685 LIST "" foo/%
        S: * LIST (\\HasNoChildren) "/" foo/bar
        S: A685 OK LIST completed
        """,
    )


def test_subscribed_selection_shows_missing_names(bare):
    build(
        bare,
        ["Fruit/Apple", "Fruit/Banana", "Vegetable/Broccoli"],
        ["Fruit/Banana", "Fruit/Peach", "Vegetable"],
    )
    converse(
        bare,
        """
        C: A02 LIST (SUBSCRIBED) "" "*"
        S: * LIST (\\HasNoChildren \\Subscribed) "/" Fruit/Banana
        S: * LIST (\\NonExistent \\Subscribed) "/" Fruit/Peach
        S: * LIST (\\HasChildren \\Subscribed) "/" Vegetable
        S: A02 OK LIST completed
        C: A03 LIST "" "%" RETURN (SUBSCRIBED CHILDREN)
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasChildren) "/" Fruit
        S: * LIST (\\HasChildren \\Subscribed) "/" Vegetable
        S: A03 OK LIST completed
        """,
    )


def test_recursivematch_childinfo_rfc_example_7(bare):
    build(bare, ["Foo/Bar", "Foo/Baz", "Moo"], ["Foo/Baz"])
    converse(
        bare,
        """
        C: C02 LIST (SUBSCRIBED) "" "*"
        S: * LIST (\\HasNoChildren \\Subscribed) "/" Foo/Baz
        S: C02 OK LIST completed
        C: C03 LIST (SUBSCRIBED) "" "%"
        S: C03 OK LIST completed
        C: C04 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"
        S: * LIST (\\HasChildren) "/" Foo ("CHILDINFO" ("SUBSCRIBED"))
        S: C04 OK LIST completed
        """,
    )
    build(bare, subscribed=["Foo", "Moo"])
    bare.store.set_subscribed(bare.session.user.id, "Foo/Baz", False)
    converse(
        bare,
        """
        C: C05 LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)
        S: * LIST (\\HasChildren \\Subscribed) "/" Foo
        S: * LIST (\\HasNoChildren \\Subscribed) "/" Moo
        S: C05 OK LIST completed
        """,
    )


def test_recursivematch_rfc_example_8(bare):
    build(
        bare,
        [
            "foo2/bar1",
            "foo2/bar2",
            "baz2/bar2",
            "baz2/bar22",
            "baz2/bar222",
            "eps2/mamba",
            "qux2/bar2",
        ],
        [
            "foo2/bar1",
            "foo2/bar2",
            "baz2/bar2",
            "baz2/bar22",
            "baz2/bar222",
            "eps2",
            "eps2/mamba",
            "qux2/bar2",
        ],
    )
    converse(
        bare,
        """
        C: D03 LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"
        S: * LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar2
        S: * LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar22
        S: * LIST (\\HasNoChildren \\Subscribed) "/" baz2/bar222
        S: * LIST (\\HasChildren \\Subscribed) "/" eps2 ("CHILDINFO" ("SUBSCRIBED"))
        S: * LIST (\\HasChildren) "/" foo2 ("CHILDINFO" ("SUBSCRIBED"))
        S: * LIST (\\HasNoChildren \\Subscribed) "/" foo2/bar2
        S: * LIST (\\HasNoChildren \\Subscribed) "/" qux2/bar2
        S: D03 OK LIST completed
        """,
    )


def test_list_status(bare, store):
    build(bare, ["foo", "bar/child"])
    store.delete_mailbox(bare.session.user.id, "bar")
    add_messages(store, bare.mailbox_id(), 3, ["\\Seen"])
    add_messages(store, bare.mailbox_id(), 1)
    store.set_subscribed(bare.session.user.id, "INBOX", True)
    converse(
        bare,
        """
        C: A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * STATUS INBOX (MESSAGES 4 UNSEEN 1)
        S: * LIST (\\Noselect \\HasChildren) "/" bar
        S: * LIST (\\HasNoChildren) "/" foo
        S: * STATUS foo (MESSAGES 0 UNSEEN 0)
        S: A01 OK LIST completed
        C: A02 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))
        S: * LIST (\\HasNoChildren \\Subscribed) "/" INBOX
        S: * STATUS INBOX (MESSAGES 4)
        S: A02 OK LIST completed
        """,
    )
    build(bare, subscribed=["foo/x"])
    lines = bare.run('A03 LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))')
    # foo is listed for its subscribed child only: no STATUS for it (RFC 9051 example 11)
    assert lines[-2:] == [
        '* LIST (\\HasNoChildren) "/" foo ("CHILDINFO" ("SUBSCRIBED"))',
        "A03 OK LIST completed",
    ]


def test_names_on_the_wire(bare):
    build(bare, ["Entwürfe", "My Mail"])
    converse(
        bare,
        """
        C: a LIST "" *
        S: * LIST (\\HasNoChildren) "/" INBOX
        S: * LIST (\\HasNoChildren) "/" Entw&APw-rfe
        S: * LIST (\\HasNoChildren) "/" "My Mail"
        S: a OK LIST completed
        C: b LIST "" Entw&APw-*
        S: * LIST (\\HasNoChildren) "/" Entw&APw-rfe
        S: b OK LIST completed
        C: c LIST "" &Jjo*
        S: c OK LIST completed
        C: d ENABLE IMAP4rev2
        S: * ENABLED IMAP4rev2
        S: d OK ENABLE completed
        C: e LIST "" Entw*
        S: * LIST (\\HasNoChildren) "/" "Entwürfe"
        S: e OK LIST completed
        """,
    )


def test_lsub(bare):
    build(bare, ["a/b/c", "x"], ["a/b/c", "x", "gone"])
    converse(
        bare,
        """
        C: a LSUB "" *
        S: * LSUB () "/" a/b/c
        S: * LSUB () "/" gone
        S: * LSUB () "/" x
        S: a OK LSUB completed
        C: b LSUB "" %
        S: * LSUB (\\Noselect) "/" a
        S: * LSUB () "/" gone
        S: * LSUB () "/" x
        S: b OK LSUB completed
        C: c LSUB a/ %
        S: * LSUB (\\Noselect) "/" a/b
        S: c OK LSUB completed
        C: d LSUB "" ""
        S: * LSUB (\\Noselect) "/" ""
        S: d OK LSUB completed
        """,
    )
