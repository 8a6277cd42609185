"""Property: flag-only SEARCH answered from the view's flag classes equals the
reference evaluator run over the store's flags, message by message.

Another session changes flags (system flags and keywords, in any case),
expunges and appends; the searching session stores, fetches and syncs itself.
Big-mailbox paths are forced: the shared mailbox cache takes every mailbox,
and a tiny class limit makes the classes give up (and be rebuilt) too. Each
SEARCH is checked against the store's flags of the messages the searching
session knows (those expunged meanwhile match nothing), with \\Recent as that
session holds it (IMAP4rev1 SELECT and EXAMINE, IMAP4rev2).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import roost.session.selected as selected
from roost.protocol.parser import parse_command
from roost.search.evaluate import SearchScope, compile_key
from roost.session import flag_classes, mailbox_cache
from roost.session.mailbox_cache import MailboxCache
from roost.session.selected import SelectedView
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import append, simple
from tests.session.harness import Client, make_user

FLAGS = ["\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "\\Draft", "$Junk", "$junk", "Work"]
LEAVES = [
    "ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "UNANSWERED", "UNDELETED",
    "UNDRAFT", "UNFLAGGED", "UNSEEN", "NEW", "OLD", "RECENT",
    "KEYWORD $Junk", "KEYWORD $JUNK", "KEYWORD Work", "KEYWORD none",
    "UNKEYWORD $junk", "UNKEYWORD Work",
]  # fmt: skip

keys = st.recursive(
    st.sampled_from(LEAVES),
    lambda inner: st.one_of(
        inner.map(lambda k: f"NOT {k}"),
        st.tuples(inner, inner).map(lambda p: f"OR {p[0]} {p[1]}"),
        st.tuples(inner, inner).map(lambda p: f"({p[0]} {p[1]})"),
    ),
    max_leaves=4,
)
flag_lists = st.lists(st.sampled_from(FLAGS), max_size=3)
ops = st.lists(
    st.one_of(
        st.tuples(st.just("other_store"), st.integers(0, 30), st.sampled_from("+-="), flag_lists),
        st.tuples(st.just("own_store"), st.integers(0, 30), st.sampled_from("+-="), flag_lists),
        st.tuples(st.just("other_expunge"), st.integers(0, 30)),
        st.tuples(st.just("append"), st.integers(1, 3), flag_lists),
        st.tuples(st.just("command"), st.sampled_from(["NOOP", "FETCH 1 (FLAGS)",
                                                       "FETCH 1:* (FLAGS INTERNALDATE)"])),
        st.tuples(st.just("reselect")),
        st.tuples(st.just("search"), keys, st.booleans()),
        st.tuples(st.just("search"), keys, st.booleans()),
    ),
    max_size=12,
)  # fmt: skip

_ESEARCH_ALL = re.compile(r" ALL ([0-9:,]+)")


@dataclass
class _Flags:
    flags: frozenset[str]
    recent: bool


@contextmanager
def _big_mailbox_paths(limit: int) -> Iterator[None]:
    cache = MailboxCache(min_messages=1)
    with (
        mock.patch.object(mailbox_cache, "CACHE", cache),
        mock.patch.object(selected, "CACHE", cache),
        mock.patch.object(flag_classes, "LIMIT", limit),
    ):
        yield


def _expected(view: SelectedView, store: SqliteStore, criteria: str) -> list[tuple[int, int]]:
    """(seq, uid) by the reference evaluator over the store's flags now."""
    key = parse_command(f"x SEARCH {criteria}".encode()).criteria  # type: ignore[attr-defined]
    predicate = compile_key(key)
    scope = SearchScope(largest_seq=view.exists(), largest_uid=view.uids[-1] if view.uids else 0)
    truth = {m.uid: m.flags for m in store.message_flags(view.mailbox_id)}
    return [
        (seq, uid)
        for seq, uid in enumerate(view.uids, start=1)
        if uid in truth and predicate(_Flags(truth[uid], uid in view.recent), scope)  # type: ignore[arg-type]
    ]


def _numbers(lines: list[str]) -> list[int]:
    for line in lines:
        if line.startswith("* SEARCH"):
            return [int(n) for n in line.split()[2:]]
        if line.startswith("* ESEARCH"):
            found = _ESEARCH_ALL.search(line)
            return _expand(found.group(1)) if found else []
    raise AssertionError(lines)


def _expand(compact: str) -> list[int]:
    out: list[int] = []
    for part in compact.split(","):
        lo, _, hi = part.partition(":")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _in_step(view: SelectedView) -> None:
    """The view's classes describe exactly its flags (when it keeps them)."""
    if view.classes is not None:
        assert len(view.classes) == len(view.uids)
        assert all(view.classes.flags_at(i) == view.flags[u] for i, u in enumerate(view.uids))


def _uid_at(store: SqliteStore, box: int, index: int) -> int | None:
    uids = [m.uid for m in store.message_flags(box)]
    return uids[index % len(uids)] if uids else None


def _store_command(uid: int, mode: str, flags: list[str]) -> str:
    verb = {"+": "+FLAGS", "-": "-FLAGS", "=": "FLAGS"}[mode]
    return f"UID STORE {uid} {verb} ({' '.join(flags)})"


def _step(op: tuple, a: Client, b: Client, store: SqliteStore, box: int) -> None:
    kind = op[0]
    if kind in ("other_store", "own_store"):
        uid = _uid_at(store, box, op[1])
        if uid is not None:
            who = b if kind == "other_store" else a
            who.run("t " + _store_command(uid, op[2], op[3]))
    elif kind == "other_expunge":
        uid = _uid_at(store, box, op[1])
        if uid is not None:
            b.run(f"t UID STORE {uid} +FLAGS.SILENT (\\Deleted)")
            b.run(f"t UID EXPUNGE {uid}")
    elif kind == "append":
        for n in range(op[1]):
            append(store, box, simple(n), flags=op[2])
    elif kind == "command":
        a.run("t " + op[1])
    elif kind == "reselect":  # a new view from the shared cache, as it has kept up
        view = a.session.selected
        assert view is not None
        a.run(("t EXAMINE" if view.readonly else "t SELECT") + " INBOX")
    else:
        view = a.session.selected
        assert view is not None
        want = _expected(view, store, op[1])
        out = a.run(("t UID SEARCH " if op[2] else "t SEARCH ") + op[1])
        assert out[-1] == "t OK SEARCH completed", out
        assert _numbers(out) == [uid if op[2] else seq for seq, uid in want], (op, out)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(flag_lists, max_size=8),
    st.sampled_from(["rev1", "examine", "rev2"]),
    st.sampled_from([2, 4, 256]),
    ops,
)
def test_flag_search_matches_the_evaluator(initial, mode, limit, operations) -> None:
    tmp = Path(tempfile.mkdtemp())
    store = SqliteStore(tmp / "data")
    try:
        with _big_mailbox_paths(limit):
            make_user(store)
            a, b = Client(store), Client(store)
            a.login()
            b.login()
            box = a.mailbox_id()
            for n, flags in enumerate(initial):
                append(store, box, simple(n), flags=flags)
            b.run("b1 SELECT INBOX")  # takes \\Recent first: the observer may see none
            append(store, box, simple(99), flags=["\\Seen"])  # recent for the observer
            if mode == "rev2":
                a.run("e ENABLE IMAP4rev2")
            a.run(("s EXAMINE" if mode == "examine" else "s SELECT") + " INBOX")
            for op in operations:
                _step(op, a, b, store, box)
                view = a.session.selected
                assert view is not None
                _in_step(view)
    finally:
        store.close()
        shutil.rmtree(tmp)


def test_recent_keys_for_imap4rev1(client: Client, store: SqliteStore) -> None:
    """RECENT, NEW and OLD from the view's classes (a rev1 SELECT claims \\Recent)."""
    box = client.mailbox_id()
    with _big_mailbox_paths(256):
        append(store, box, simple(1), flags=["\\Seen"])
        other = Client(store)
        other.login()
        other.run("o SELECT INBOX")  # claims message 1
        append(store, box, simple(2), flags=["\\Seen"])
        append(store, box, simple(3))
        client.run("s SELECT INBOX")
        assert client.run("a SEARCH RECENT") == ["* SEARCH 2 3", "a OK SEARCH completed"]
        assert client.run("b SEARCH NEW") == ["* SEARCH 3", "b OK SEARCH completed"]
        assert client.run("c SEARCH OLD") == ["* SEARCH 1", "c OK SEARCH completed"]
        assert client.run("d UID SEARCH NOT RECENT FLAGGED") == [
            "* SEARCH",
            "d OK SEARCH completed",
        ]


def test_keyword_change_from_another_session(client: Client, store: SqliteStore) -> None:
    """A keyword set elsewhere counts before this session's sync reports it."""
    box = client.mailbox_id()
    with _big_mailbox_paths(256):
        for n in range(4):
            append(store, box, simple(n))
        client.run("s SELECT INBOX")
        other = Client(store)
        other.login()
        other.run("o SELECT INBOX")
        other.run("t STORE 2,4 +FLAGS ($Later)")
        other.run("u STORE 3 +FLAGS (\\Deleted)")
        other.run("v EXPUNGE")
        out = client.run("a SEARCH KEYWORD $later")
        assert out[0] == "* SEARCH 2 4"  # message 3 is gone: it matches nothing
        assert client.run("b SEARCH UNDELETED")[0] == "* SEARCH 1 2 4"
