"""COPY / MOVE of many messages (rows copied by SQL): every column, the search
rows, the STATUS counters and the destination's keyword spellings come out as
for a message-by-message copy."""

from __future__ import annotations

import random

from roost.protocol.commands import SearchKey
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import append, select, simple
from tests.session.harness import Client

FLAG_CHOICES = [
    [],
    ["\\Seen"],
    ["\\Seen", "\\Answered"],
    ["\\Deleted"],
    ["$Junk", "\\Seen"],
    ["Later"],
]


def _fill(store: SqliteStore, box: int, count: int) -> None:
    rng = random.Random(7)
    for n in range(count):
        subject = f"invoice {n}" if n % 5 == 0 else ""
        append(store, box, simple(n, subject=subject), flags=rng.choice(FLAG_CHOICES))


def test_bulk_copy_keeps_every_column(client: Client, store: SqliteStore) -> None:
    src, dest = client.mailbox_id(), client.mailbox_id("Archive")
    _fill(store, src, 120)
    append(store, dest, simple(500))  # the copies start at UID 2
    store.store_flags(src, [3, 4, 50], "+", ["\\Deleted"])
    store.expunge(src, [3, 4, 50])
    select(client)
    out = client.run("c UID COPY 2:100 Archive")
    v = store.status(dest).uidvalidity
    assert out == [f"c OK [COPYUID {v} 2,5:49,51:100 2:97] COPY completed"]
    originals = store.fetch_meta(src, [2, *range(5, 50), *range(51, 101)])
    copies = store.fetch_meta(dest, range(2, 98))
    assert [c.uid for c in copies] == list(range(2, 98))
    for o, c in zip(originals, copies, strict=True):
        assert (o.flags, o.internaldate, o.size, o.blob_id, o.envelope, o.bodystructure) == (
            c.flags, c.internaldate, c.size, c.blob_id, c.envelope, c.bodystructure
        )  # fmt: skip
    assert {c.modseq for c in copies} == {store.status(dest).highestmodseq}
    status = store.status(dest)
    every = [m.flags for m in store.message_flags(dest)]
    assert status.messages == len(every) == 97
    assert status.unseen == sum("\\Seen" not in f for f in every)
    assert status.deleted == sum("\\Deleted" in f for f in every)
    assert status.size == sum(m.size for m in store.fetch_meta(dest, range(1, 98)))
    # The copies have their search rows: SQL answers, and finds exactly them.
    found = store.search(dest, SearchKey("SUBJECT", ("invoice",)))
    assert found is not None
    wanted = [c.uid for c, o in zip(copies, originals, strict=True) if o.uid % 5 == 1]
    assert [uid for uid, _ in found] == wanted


def test_copy_takes_the_destinations_keyword_spelling(client: Client, store: SqliteStore) -> None:
    src, dest = client.mailbox_id(), client.mailbox_id("Archive")
    append(store, src, simple(1), flags=["$Junk", "\\Seen"])
    append(store, src, simple(2), flags=["Later", "$Junk"])
    append(store, src, simple(3))
    append(store, dest, simple(9), flags=["$JUNK"])
    select(client)
    client.run("c COPY 1:3 Archive")
    assert [(m.uid, m.flags) for m in store.message_flags(dest)][1:] == [
        (2, frozenset({"$JUNK", "\\Seen"})),
        (3, frozenset({"$JUNK", "Later"})),
        (4, frozenset()),
    ]
    assert store.keywords(dest) == ["$JUNK", "Later"]
    # The stored text follows the new spelling: SQL SEARCH finds them by it.
    found = store.search(dest, SearchKey("KEYWORD", ("$junk",)))
    assert found is not None and [uid for uid, _ in found] == [1, 2, 3]
    found = store.search(dest, SearchKey("UNKEYWORD", ("LATER",)))
    assert found is not None and [uid for uid, _ in found] == [1, 2, 4]


def test_copy_and_move_within_one_mailbox(client: Client, store: SqliteStore) -> None:
    box = client.mailbox_id()
    for n, flags in enumerate([["\\Seen"], ["\\Flagged"], []]):
        append(store, box, simple(n), flags=flags)
    select(client)
    v = store.status(box).uidvalidity
    assert client.run("c COPY 1:3 INBOX")[-1] == f"c OK [COPYUID {v} 1:3 4:6] COPY completed"
    assert [m.flags for m in store.message_flags(box)][3:] == [
        frozenset({"\\Seen"}),
        frozenset({"\\Flagged"}),
        frozenset(),
    ]
    out = client.run("m UID MOVE 2 INBOX")
    assert out[0] == f"* OK [COPYUID {v} 2 7] moved"
    assert [m.uid for m in store.message_flags(box)] == [1, 3, 4, 5, 6, 7]
    assert store.fetch_meta(box, [7])[0].flags == frozenset({"\\Flagged"})
