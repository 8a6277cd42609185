"""The big-mailbox paths: the shared mailbox cache, FETCH FLAGS from the view, bound SEARCH.

The cache only takes big mailboxes; these tests lower its threshold so that
small mailboxes exercise it, and compare every answer with the store's truth.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from roost.session import mailbox_cache
from roost.session.mailbox_cache import MailboxCache
from roost.storage.sqlite import SqliteStore

from .harness import Client, add_messages


@pytest.fixture(autouse=True)
def small_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[MailboxCache]:
    cache = MailboxCache(min_messages=1)
    monkeypatch.setattr(mailbox_cache, "CACHE", cache)
    import roost.session.selected as selected

    monkeypatch.setattr(selected, "CACHE", cache)
    yield cache


def _inbox(client: Client, store: SqliteStore) -> int:
    return client.mailbox_id("INBOX")


def _truth(store: SqliteStore, mailbox_id: int) -> list[tuple[int, frozenset[str]]]:
    return [(s.uid, s.flags) for s in store.message_flags(mailbox_id)]


def test_cached_view_follows_every_change(
    connect: Callable[..., Client], store: SqliteStore, small_cache: MailboxCache
) -> None:
    a, b = connect(), connect()
    box = _inbox(a, store)
    add_messages(store, box, 6)
    a.run("s1 SELECT INBOX")  # loads the cache
    b.run("s2 SELECT INBOX")  # from the cache
    b.run("t1 STORE 2:3 +FLAGS ($Work \\Seen)")
    b.run("t2 STORE 4 +FLAGS (\\Deleted)")
    b.run("t3 EXPUNGE")
    add_messages(store, box, 2, flags=["\\Flagged"])
    c = connect()
    c.run("s3 SELECT INBOX")  # the cache catches up with changes_since
    view = c.session.selected
    assert view is not None
    assert [(u, view.flags[u]) for u in view.uids] == _truth(store, box)
    assert view.modseq == store.status(box).highestmodseq
    assert "$Work" in view.keywords


def test_fetch_flags_from_view_sees_other_sessions(
    connect: Callable[..., Client], store: SqliteStore
) -> None:
    a, b = connect(), connect()
    box = _inbox(a, store)
    add_messages(store, box, 3)
    a.run("s1 SELECT INBOX")
    b.run("s2 SELECT INBOX")
    b.run("t1 STORE 1 +FLAGS ($New)")
    b.run("t2 STORE 2 +FLAGS (\\Deleted)")
    b.run("t3 EXPUNGE")
    out = a.run("f1 FETCH 1:* (FLAGS)")
    # The keyword is announced first; the expunged message is skipped and its
    # EXPUNGE waits (FETCH may not carry it); the changed flags are not repeated.
    assert out[0].startswith("* FLAGS (") and "$New" in out[0]
    assert out[1:] == [
        "* 1 FETCH (FLAGS (\\Recent $New))",
        "* 3 FETCH (FLAGS (\\Recent))",
        "f1 OK FETCH completed",
    ]
    assert a.run("f2 FETCH 1:* (FLAGS UID)") == [
        "* 1 FETCH (FLAGS (\\Recent $New) UID 1)",
        "* 3 FETCH (FLAGS (\\Recent) UID 3)",
        "f2 OK FETCH completed",
    ]
    assert a.run("f3 UID FETCH 1:* (FLAGS)") == [
        "* 1 FETCH (UID 1 FLAGS (\\Recent $New))",
        "* 3 FETCH (UID 3 FLAGS (\\Recent))",
        "* 2 EXPUNGE",
        "f3 OK FETCH completed",
    ]
    assert a.run("f4 FETCH 1:2 (UID)") == [
        "* 1 FETCH (UID 1)",
        "* 2 FETCH (UID 3)",
        "f4 OK FETCH completed",
    ]


def test_search_binds_session_keys(connect: Callable[..., Client], store: SqliteStore) -> None:
    a = connect()
    box = _inbox(a, store)
    add_messages(store, box, 5)
    a.run("s1 SELECT INBOX")
    a.run("t1 STORE 2,4 +FLAGS (\\Flagged)")
    assert a.run("q1 SEARCH 2:* FLAGGED") == ["* SEARCH 2 4", "q1 OK SEARCH completed"]
    assert a.run("q2 UID SEARCH 4:* FLAGGED") == ["* SEARCH 4", "q2 OK SEARCH completed"]
    assert a.run("q3 SEARCH RETURN (SAVE) FLAGGED") == ["q3 OK SEARCH completed"]
    assert a.run("q4 SEARCH $ SUBJECT message") == ["* SEARCH 2 4", "q4 OK SEARCH completed"]
    assert a.run("q5 SEARCH NOT RECENT") == ["* SEARCH", "q5 OK SEARCH completed"]
    assert a.run("q6 SEARCH NEW SUBJECT 3") == ["* SEARCH 4", "q6 OK SEARCH completed"]
    # A body key goes to the evaluator, the FLAGGED part to the store first.
    assert a.run("q7 SEARCH FLAGGED BODY 3") == ["* SEARCH 4", "q7 OK SEARCH completed"]


def test_flag_search_from_view_sees_other_sessions(
    connect: Callable[..., Client], store: SqliteStore
) -> None:
    a, b = connect(), connect()
    box = _inbox(a, store)
    add_messages(store, box, 4, flags=["\\Seen"])
    a.run("s1 SELECT INBOX")
    b.run("s2 SELECT INBOX")
    b.run("t1 STORE 1 -FLAGS (\\Seen)")  # now no flags at all (an empty set)
    b.run("t2 STORE 2 +FLAGS (\\Deleted $Later)")
    b.run("t3 EXPUNGE")
    b.run("t4 UID STORE 3 +FLAGS ($later)")
    # The answers come first; the sync's updates (FLAGS, FETCH) follow them.
    assert a.run("q1 SEARCH UNSEEN")[0] == "* SEARCH 1"
    assert a.run("q2 SEARCH KEYWORD $LATER")[0] == "* SEARCH 3"
    assert a.run("q3 SEARCH OR DELETED NOT SEEN")[0] == "* SEARCH 1"
    assert a.run("q4 UID SEARCH SEEN")[0] == "* SEARCH 3 4"
    assert a.run("q5 SEARCH SEEN")[0] == "* SEARCH 2 3"  # after the EXPUNGE of UID 2
