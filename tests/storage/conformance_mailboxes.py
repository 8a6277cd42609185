"""Backend-independent tests: users, mailboxes, hierarchy and subscriptions.

Every test takes a ``store`` fixture (an empty ``MailStore``), supplied by the
backend's test module.
"""

from __future__ import annotations

import pytest

from roost.storage.interface import MailStore, StorageError, StorageErrorKind
from tests.storage.helpers import add, flags_of, mailbox, new_user

DEFAULTS = {
    "INBOX": (),
    "Drafts": ("\\Drafts",),
    "Sent": ("\\Sent",),
    "Trash": ("\\Trash",),
    "Junk": ("\\Junk",),
    "Archive": ("\\Archive",),
}


def _kind(exc: pytest.ExceptionInfo[StorageError]) -> StorageErrorKind:
    return exc.value.kind


def _names(store: MailStore, user_id: int) -> dict[str, bool]:
    """name -> noselect."""
    return {m.name: m.noselect for m in store.list_mailboxes(user_id)}


# -- users


def test_create_user_makes_default_mailboxes(store: MailStore) -> None:
    user = new_user(store)
    boxes = {m.name: m for m in store.list_mailboxes(user.id)}
    assert set(boxes) == set(DEFAULTS)
    for name, special in DEFAULTS.items():
        assert boxes[name].special_use == special
        assert boxes[name].subscribed
        assert not boxes[name].noselect
        assert boxes[name].uidnext == 1
    assert sorted(store.list_subscriptions(user.id)) == sorted(DEFAULTS)
    assert len({m.uidvalidity for m in boxes.values()}) == len(boxes)


def test_users_lookup_password_and_duplicates(store: MailStore) -> None:
    bob = store.create_user("bob", "h1")
    alice = store.create_user("alice", "h2")
    with pytest.raises(StorageError) as exc:
        store.create_user("bob", "h3")
    assert _kind(exc) is StorageErrorKind.ALREADYEXISTS
    assert store.get_user("bob") == bob
    assert store.get_user("Bob") is None  # exact names
    assert store.get_user("nobody") is None
    assert [u.name for u in store.list_users()] == ["alice", "bob"]
    store.set_password("alice", "new")
    got = store.get_user("alice")
    assert got is not None and got.password_hash == "new" and got.id == alice.id
    with pytest.raises(StorageError) as exc:
        store.set_password("nobody", "x")
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    assert "h1" not in repr(bob)


def test_delete_user_removes_everything(store: MailStore) -> None:
    alice = new_user(store, "alice")
    bob = new_user(store, "bob")
    inbox = mailbox(store, alice)
    add(store, inbox.id, 3)
    store.create_mailbox(alice.id, "work/x")
    store.set_subscribed(alice.id, "ghost", True)
    store.delete_user("alice")
    assert store.get_user("alice") is None
    assert store.list_mailboxes(alice.id) == []
    assert store.list_subscriptions(alice.id) == []
    with pytest.raises(StorageError) as exc:
        store.status(inbox.id)
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    assert set(_names(store, bob.id)) == set(DEFAULTS)
    with pytest.raises(StorageError) as exc:
        store.delete_user("alice")
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    again = new_user(store, "alice")  # the name is free again, with fresh mailboxes
    assert mailbox(store, again).uidvalidity > inbox.uidvalidity
    assert again.id != alice.id and mailbox(store, again).id != inbox.id  # ids never reused
    assert store.status(mailbox(store, again).id).messages == 0


def test_users_are_isolated(store: MailStore) -> None:
    alice = new_user(store, "alice")
    bob = new_user(store, "bob")
    add(store, mailbox(store, alice).id, 2)
    assert mailbox(store, alice).id != mailbox(store, bob).id
    assert store.status(mailbox(store, bob).id).messages == 0
    store.create_mailbox(alice.id, "private")
    with pytest.raises(StorageError):
        store.get_mailbox(bob.id, "private")
    with pytest.raises(StorageError) as exc:  # no cross-user copies
        store.copy(mailbox(store, alice).id, [1], mailbox(store, bob).id)
    assert _kind(exc) is StorageErrorKind.NONEXISTENT


# -- create / get


def test_create_mailbox_and_parents(store: MailStore) -> None:
    user = new_user(store)
    info = store.create_mailbox(user.id, "a/b/c")
    assert info.name == "a/b/c" and info.uidnext == 1 and not info.subscribed
    assert info.highestmodseq >= 1
    names = _names(store, user.id)
    assert names["a"] is False and names["a/b"] is False and names["a/b/c"] is False
    assert store.get_mailbox(user.id, "a/b").id != info.id
    with pytest.raises(StorageError) as exc:
        store.create_mailbox(user.id, "a/b/c")
    assert _kind(exc) is StorageErrorKind.ALREADYEXISTS
    with pytest.raises(StorageError) as exc:
        store.create_mailbox(user.id, "INBOX")
    assert _kind(exc) is StorageErrorKind.ALREADYEXISTS
    # A trailing delimiter only declares the intent to create children.
    assert store.create_mailbox(user.id, "d/").name == "d"
    assert store.create_mailbox(user.id, "Ünïcödé/日本").name == "Ünïcödé/日本"


@pytest.mark.parametrize("name", ["", "/a", "a//b", "a\x00b", "a\nb"])
def test_create_mailbox_rejects_bad_names(store: MailStore, name: str) -> None:
    user = new_user(store)
    with pytest.raises(StorageError) as exc:
        store.create_mailbox(user.id, name)
    assert _kind(exc) is StorageErrorKind.CANNOT


def test_create_mailbox_special_use(store: MailStore) -> None:
    user = new_user(store)
    info = store.create_mailbox(user.id, "Everything", ["\\All"])
    assert info.special_use == ("\\All",)
    assert store.get_mailbox(user.id, "Everything").special_use == ("\\All",)
    with pytest.raises(StorageError) as exc:
        store.create_mailbox(user.id, "Odd", ["\\Bogus"])
    assert _kind(exc) is StorageErrorKind.CANNOT
    assert "Odd" not in _names(store, user.id)


def test_get_mailbox_missing(store: MailStore) -> None:
    user = new_user(store)
    with pytest.raises(StorageError) as exc:
        store.get_mailbox(user.id, "nope")
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    with pytest.raises(StorageError):
        store.get_mailbox(user.id, "inbox")  # callers normalise INBOX, the store is exact


def test_uidvalidity_unique_and_increasing(store: MailStore) -> None:
    user = new_user(store)
    first = store.create_mailbox(user.id, "x")
    store.delete_mailbox(user.id, "x")
    second = store.create_mailbox(user.id, "x")
    assert second.uidvalidity > first.uidvalidity
    assert second.id != first.id
    values = [store.create_mailbox(user.id, f"m{i}").uidvalidity for i in range(5)]
    assert values == sorted(values) and len(set(values)) == 5
    assert all(0 < v < 2**32 for v in values)


# -- delete


def test_delete_mailbox_rules(store: MailStore) -> None:
    user = new_user(store)
    with pytest.raises(StorageError) as exc:
        store.delete_mailbox(user.id, "INBOX")
    assert _kind(exc) is StorageErrorKind.CANNOT
    with pytest.raises(StorageError) as exc:
        store.delete_mailbox(user.id, "nope")
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    store.create_mailbox(user.id, "leaf")
    store.delete_mailbox(user.id, "leaf")
    assert "leaf" not in _names(store, user.id)


def test_delete_parent_leaves_noselect_placeholder(store: MailStore) -> None:
    user = new_user(store)
    parent = store.create_mailbox(user.id, "foo")
    store.create_mailbox(user.id, "foo/bar")
    add(store, parent.id, 2)
    store.delete_mailbox(user.id, "foo")
    placeholder = store.get_mailbox(user.id, "foo")
    assert placeholder.noselect
    assert store.status(placeholder.id).messages == 0
    with pytest.raises(StorageError) as exc:  # RFC 9051 6.3.5 example
        store.delete_mailbox(user.id, "foo")
    assert _kind(exc) is StorageErrorKind.HASCHILDREN
    with pytest.raises(StorageError) as exc:
        store.append(placeholder.id, [])
    assert _kind(exc) is StorageErrorKind.NONEXISTENT
    store.delete_mailbox(user.id, "foo/bar")
    assert _names(store, user.id)["foo"] is True  # still there until deleted itself
    store.delete_mailbox(user.id, "foo")
    assert "foo" not in _names(store, user.id)


def test_create_over_placeholder_makes_it_real(store: MailStore) -> None:
    user = new_user(store)
    old = store.create_mailbox(user.id, "p")
    store.create_mailbox(user.id, "p/c")
    store.delete_mailbox(user.id, "p")
    real = store.create_mailbox(user.id, "p")
    assert not real.noselect
    assert real.uidvalidity > old.uidvalidity
    assert add(store, real.id, 1) == [1]


# -- rename


def test_rename_with_children_and_subscriptions(store: MailStore) -> None:
    user = new_user(store)
    a = store.create_mailbox(user.id, "a")
    store.create_mailbox(user.id, "a/x/y")
    add(store, a.id, 2, flags=["\\Seen"])
    store.set_subscribed(user.id, "a", True)
    store.set_subscribed(user.id, "a/x", True)
    store.set_subscribed(user.id, "ab", True)  # not a child: stays
    store.rename_mailbox(user.id, "a", "n/b")
    names = _names(store, user.id)
    assert {"n", "n/b", "n/b/x", "n/b/x/y"} <= set(names)
    assert not {"a", "a/x", "a/x/y"} & set(names)
    moved = store.get_mailbox(user.id, "n/b")
    assert moved.id == a.id and moved.uidvalidity == a.uidvalidity  # same mailbox
    assert set(flags_of(store, moved.id)) == {1, 2}
    assert moved.subscribed
    assert sorted(store.list_subscriptions(user.id)) == sorted([*DEFAULTS, "ab", "n/b", "n/b/x"])


def test_rename_errors(store: MailStore) -> None:
    user = new_user(store)
    store.create_mailbox(user.id, "a")
    store.create_mailbox(user.id, "b")
    cases = [
        ("nope", "z", StorageErrorKind.NONEXISTENT),
        ("a", "b", StorageErrorKind.ALREADYEXISTS),
        ("a", "a", StorageErrorKind.ALREADYEXISTS),
        ("a", "INBOX", StorageErrorKind.ALREADYEXISTS),
        ("a", "a/inside", StorageErrorKind.CANNOT),
        ("a", "x//y", StorageErrorKind.CANNOT),
    ]
    for old, new, kind in cases:
        with pytest.raises(StorageError) as exc:
            store.rename_mailbox(user.id, old, new)
        assert _kind(exc) is kind, (old, new)
    assert {"a", "b"} <= set(_names(store, user.id))


def test_rename_inbox_moves_messages(store: MailStore) -> None:
    user = new_user(store)
    inbox = mailbox(store, user)
    store.create_mailbox(user.id, "INBOX/child")
    add(store, inbox.id, 3)
    store.store_flags(inbox.id, [2], "+", ["\\Flagged"])
    store.rename_mailbox(user.id, "INBOX", "old/mail")
    after = mailbox(store, user)
    assert after.id == inbox.id and after.uidvalidity == inbox.uidvalidity
    assert store.status(inbox.id).messages == 0
    assert after.uidnext == 4  # UIDs are not reused
    target = store.get_mailbox(user.id, "old/mail")
    assert target.id != inbox.id
    assert flags_of(store, target.id) == {
        1: frozenset(),
        2: frozenset({"\\Flagged"}),
        3: frozenset(),
    }
    assert "INBOX/child" in _names(store, user.id)  # INBOX's children stay
    assert "old" in _names(store, user.id)
    assert store.changes_since(inbox.id, inbox.highestmodseq).expunged == [1, 2, 3]


# -- subscriptions


def test_subscriptions_are_names(store: MailStore) -> None:
    user = new_user(store)
    store.set_subscribed(user.id, "does/not/exist", True)
    store.set_subscribed(user.id, "does/not/exist", True)  # idempotent
    assert "does/not/exist" in store.list_subscriptions(user.id)
    assert "does/not/exist" not in _names(store, user.id)
    store.set_subscribed(user.id, "Sent", False)
    store.set_subscribed(user.id, "Sent", False)  # RFC 9051 6.3.8: still OK
    assert not store.get_mailbox(user.id, "Sent").subscribed
    assert "Sent" not in store.list_subscriptions(user.id)
    subs = store.list_subscriptions(user.id)
    assert subs == sorted(subs)
    # Deleting a mailbox does not unsubscribe it (RFC 9051 6.3.9).
    store.create_mailbox(user.id, "tmp")
    store.set_subscribed(user.id, "tmp", True)
    store.delete_mailbox(user.id, "tmp")
    assert "tmp" in store.list_subscriptions(user.id)
