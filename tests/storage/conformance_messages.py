"""Backend-independent tests: messages, flags, MODSEQ, copy/move/expunge, listeners.

Every test takes a ``store`` fixture (an empty ``MailStore``).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest

import roost.mime
from roost.storage.interface import MailStore, NewMessage, StorageError, StorageErrorKind
from tests.storage.helpers import add, flags_of, mailbox, new_user, raw_message


def _inbox_id(store: MailStore) -> int:
    return mailbox(store, new_user(store)).id


def _highest(store: MailStore, mailbox_id: int) -> int:
    return store.status(mailbox_id).highestmodseq


# -- append / fetch


def test_append_and_fetch_meta(store: MailStore) -> None:
    box = _inbox_id(store)
    when = datetime(2024, 5, 17, 8, 30, 0, tzinfo=timezone(timedelta(hours=-7)))
    raws = [raw_message(1), raw_message(2, "second body\r\n")]
    result = store.append(
        box,
        [NewMessage(raws[0], frozenset({"\\seen", "$Label"}), when), NewMessage(raws[1])],
    )
    assert result.uids == [1, 2]
    assert result.uidvalidity == store.status(box).uidvalidity
    metas = store.fetch_meta(box, [2, 1, 99])
    assert [m.uid for m in metas] == [1, 2]
    first, second = metas
    assert first.flags == {"\\Seen", "$Label"}
    assert first.internaldate == when and first.internaldate.utcoffset() == timedelta(hours=-7)
    assert first.size == len(raws[0])
    analysis = roost.mime.analyse(raws[0])
    assert first.envelope == analysis.envelope
    assert first.body == analysis.body
    assert first.bodystructure == analysis.bodystructure
    assert first.structure == analysis.structure.to_json()
    assert store.read_message(first.blob_id) == raws[0]
    assert store.read_message(second.blob_id) == raws[1]
    assert second.flags == frozenset()
    age = datetime.now(UTC) - second.internaldate
    assert second.internaldate.tzinfo is not None and timedelta(0) <= age < timedelta(minutes=5)
    assert first.modseq == second.modseq == _highest(store, box)


def test_append_errors(store: MailStore) -> None:
    with pytest.raises(StorageError) as exc:
        store.append(987654, [NewMessage(raw_message(1))])
    assert exc.value.kind is StorageErrorKind.NONEXISTENT
    box = _inbox_id(store)
    with pytest.raises(StorageError) as exc:
        store.append(box, [NewMessage(raw_message(1), frozenset({"\\Bogus"}))])
    assert exc.value.kind is StorageErrorKind.CANNOT
    assert store.status(box).messages == 0
    assert store.append(box, []).uids == []


def test_read_message_unknown(store: MailStore) -> None:
    for blob_id in ["0" * 32, "../../etc/passwd", ""]:
        with pytest.raises(StorageError):
            store.read_message(blob_id)


def test_recent_flag_is_never_stored(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 1, flags=["\\Recent", "\\Draft"])
    assert flags_of(store, box) == {1: frozenset({"\\Draft"})}
    changed, _ = store.store_flags(box, [1], "+", ["\\Recent"])
    assert changed == []
    assert flags_of(store, box) == {1: frozenset({"\\Draft"})}


def test_uids_ascending_never_reused(store: MailStore) -> None:
    box = _inbox_id(store)
    assert add(store, box, 3) == [1, 2, 3]
    store.store_flags(box, [1, 2, 3], "+", ["\\Deleted"])
    assert store.expunge(box) == [1, 2, 3]
    assert add(store, box, 2) == [4, 5]
    assert store.status(box).uidnext == 6


# -- flags and MODSEQ


def test_store_flag_modes(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3, flags=["\\Seen"])
    changed, failed = store.store_flags(box, [1, 2], "+", ["\\Flagged", "$Work"])
    assert failed == [] and [m.uid for m in changed] == [1, 2]
    assert changed[0].flags == {"\\Seen", "\\Flagged", "$Work"}
    changed, _ = store.store_flags(box, [1, 2, 3], "-", ["\\seen"])
    assert [m.uid for m in changed] == [1, 2, 3]
    changed, _ = store.store_flags(box, [2, 3], "", ["\\Answered"])
    assert flags_of(store, box) == {
        1: frozenset({"\\Flagged", "$Work"}),
        2: frozenset({"\\Answered"}),
        3: frozenset({"\\Answered"}),
    }
    with pytest.raises(ValueError):
        store.store_flags(box, [1], "?", ["\\Seen"])


def test_store_only_real_changes_get_modseq(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3, flags=["\\Seen"])
    before = store.fetch_meta(box, [1, 2, 3])
    highest = _highest(store, box)
    changed, failed = store.store_flags(box, [1, 2, 3], "+", ["\\Seen"])
    assert changed == [] and failed == []
    assert _highest(store, box) == highest
    changed, _ = store.store_flags(box, [1, 2, 3, 77], "", ["\\Seen", "\\Flagged"])
    assert [m.uid for m in changed] == [1, 2, 3]
    assert all(m.modseq > highest for m in changed)
    assert _highest(store, box) == max(m.modseq for m in changed)
    assert [m.modseq for m in store.fetch_meta(box, [1])] != [before[0].modseq]


def test_unchangedsince(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3)
    base = _highest(store, box)
    store.store_flags(box, [2], "+", ["\\Answered"])
    changed, failed = store.store_flags(box, [1, 2, 3], "+", ["\\Seen"], unchangedsince=base)
    assert [m.uid for m in changed] == [1, 3]
    assert failed == [2]
    assert flags_of(store, box)[2] == {"\\Answered"}
    changed, failed = store.store_flags(box, [1], "-", ["\\Seen"], unchangedsince=0)
    assert changed == [] and failed == [1]  # RFC 7162 3.1.3: 0 always fails


def test_keywords_are_case_insensitive(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 2, flags=["$Junk"])
    store.store_flags(box, [2], "+", ["$JUNK", "Later"])
    assert flags_of(store, box)[2] == {"$Junk", "Later"}
    changed, _ = store.store_flags(box, [1, 2], "-", ["$junk"])
    assert [m.uid for m in changed] == [1, 2]
    assert flags_of(store, box) == {1: frozenset(), 2: frozenset({"Later"})}
    assert store.keywords(box) == ["$Junk", "Later"]
    with pytest.raises(StorageError) as exc:
        store.store_flags(box, [1], "+", ["\\Custom"])
    assert exc.value.kind is StorageErrorKind.CANNOT


def test_modseq_strictly_increasing(store: MailStore) -> None:
    user = new_user(store)
    box = mailbox(store, user).id
    other = store.create_mailbox(user.id, "other").id
    add(store, other, 1)
    seen = [_highest(store, box)]
    steps = [
        lambda: add(store, box, 2),
        lambda: store.store_flags(box, [1], "+", ["\\Seen"]),
        lambda: store.store_flags(box, [1, 2], "+", ["\\Deleted"]),
        lambda: store.expunge(box, [2]),
        lambda: store.move(other, [1], box),
        lambda: add(store, box, 1),
        lambda: store.expunge(box),
    ]
    for step in steps:
        step()
        seen.append(_highest(store, box))
    assert all(b > a for a, b in zip(seen, seen[1:], strict=False)), seen
    messages = store.message_flags(box)
    assert all(m.modseq <= seen[-1] for m in messages)


def test_changes_since(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 4)
    base = _highest(store, box)
    assert store.changes_since(box, base).changed == []
    store.store_flags(box, [2], "+", ["\\Seen"])
    store.store_flags(box, [3], "+", ["\\Deleted"])
    store.expunge(box)
    add(store, box, 1, start=10)
    changes = store.changes_since(box, base)
    assert changes.highestmodseq == _highest(store, box)
    assert [(m.uid, m.flags) for m in changes.changed] == [
        (2, frozenset({"\\Seen"})),
        (5, frozenset()),
    ]
    assert changes.expunged == [3]
    everything = store.changes_since(box, 0)
    assert [m.uid for m in everything.changed] == [1, 2, 4, 5]
    latest = store.changes_since(box, changes.highestmodseq)
    assert latest.changed == [] and latest.expunged == []


def test_message_flags(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3)
    store.store_flags(box, [2], "+", ["\\Flagged"])
    listed = store.message_flags(box)
    assert [m.uid for m in listed] == [1, 2, 3]
    assert listed[1].flags == {"\\Flagged"} and listed[1].modseq > listed[0].modseq
    with pytest.raises(StorageError):
        store.message_flags(123456)


# -- copy / move / expunge


def test_copy_keeps_flags_dates_and_shares_body(store: MailStore) -> None:
    user = new_user(store)
    src = mailbox(store, user).id
    dest = store.create_mailbox(user.id, "dest").id
    when = datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.append(src, [NewMessage(raw_message(i), frozenset({f"k{i}"}), when) for i in range(4)])
    add(store, dest, 1, start=50)
    result = store.copy(src, [4, 2, 99, 3], dest)
    assert result.source_uids == [2, 3, 4] and result.dest_uids == [2, 3, 4]
    assert result.uidvalidity == store.status(dest).uidvalidity
    originals = store.fetch_meta(src, [2, 3, 4])
    copies = store.fetch_meta(dest, [2, 3, 4])
    for o, c in zip(originals, copies, strict=True):
        assert (o.flags, o.internaldate, o.size, o.envelope) == (
            c.flags, c.internaldate, c.size, c.envelope
        )  # fmt: skip
        assert o.blob_id == c.blob_id
    assert store.status(src).messages == 4
    assert set(store.keywords(dest)) == {"k1", "k2", "k3"}
    # The body survives while one reference remains.
    store.store_flags(src, [2], "+", ["\\Deleted"])
    store.expunge(src)
    assert store.read_message(copies[0].blob_id) == raw_message(1)
    empty = store.copy(src, [99], dest)
    assert empty.source_uids == [] and empty.dest_uids == []
    with pytest.raises(StorageError) as exc:
        store.copy(src, [1], 999999)
    assert exc.value.kind is StorageErrorKind.NONEXISTENT


def test_move(store: MailStore) -> None:
    user = new_user(store)
    src = mailbox(store, user).id
    dest = store.create_mailbox(user.id, "dest").id
    add(store, src, 3, flags=["\\Seen"])
    base = _highest(store, src)
    calls: list[tuple[int, int]] = []
    store.add_listener(lambda u, m: calls.append((u, m)))
    result = store.move(src, [3, 1], dest)
    assert result.source_uids == [1, 3] and result.dest_uids == [1, 2]
    assert sorted(set(calls)) == sorted({(user.id, src), (user.id, dest)})
    assert list(flags_of(store, src)) == [2]
    assert flags_of(store, dest) == {1: frozenset({"\\Seen"}), 2: frozenset({"\\Seen"})}
    changes = store.changes_since(src, base)
    assert changes.expunged == [1, 3] and changes.changed == []
    with pytest.raises(StorageError) as exc:
        store.move(src, [2], 999999)
    assert exc.value.kind is StorageErrorKind.NONEXISTENT
    assert list(flags_of(store, src)) == [2]
    # Moving within one mailbox renumbers the message.
    assert store.move(src, [2], src).dest_uids == [4]
    assert list(flags_of(store, src)) == [4]


def test_expunge_only_deleted_and_only_given_uids(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 5)
    store.store_flags(box, [1, 3, 4], "+", ["\\Deleted"])
    assert store.expunge(box, [3, 4, 5]) == [3, 4]
    assert list(flags_of(store, box)) == [1, 2, 5]
    assert store.expunge(box, []) == []
    assert store.expunge(box) == [1]
    assert store.expunge(box) == []
    assert list(flags_of(store, box)) == [2, 5]


# -- recent and status


def test_take_recent_and_status(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3, flags=["\\Seen"])
    add(store, box, 1, flags=["\\Deleted"], start=3)
    status = store.status(box)
    assert (status.messages, status.recent, status.unseen, status.deleted) == (4, 4, 1, 1)
    assert status.size == sum(len(raw_message(i)) for i in range(4))
    assert status.uidnext == 5 and status.highestmodseq == _highest(store, box)
    assert store.take_recent(box) == 1
    assert store.status(box).recent == 0
    assert store.take_recent(box) == 5  # nothing new: the floor is UIDNEXT
    add(store, box, 2, start=10)
    assert store.status(box).recent == 2
    assert store.take_recent(box) == 5


def test_take_recent_is_atomic(store: MailStore) -> None:
    box = _inbox_id(store)
    add(store, box, 3)
    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(store.take_recent(box)))
               for _ in range(6)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [1, 4, 4, 4, 4, 4]


# -- listeners and concurrency


def test_listeners_after_commit(store: MailStore) -> None:
    user = new_user(store)
    box = mailbox(store, user).id
    seen: list[tuple[int, int, int]] = []

    def listener(user_id: int, mailbox_id: int) -> None:
        # Called after commit: the change is visible, and the store is usable here.
        seen.append((user_id, mailbox_id, store.status(mailbox_id).messages))

    store.add_listener(listener)
    add(store, box, 2)
    assert seen == [(user.id, box, 2)]
    store.store_flags(box, [1], "+", ["\\Seen"])
    assert len(seen) == 2
    store.store_flags(box, [1], "+", ["\\Seen"])  # no change, no wake-up
    store.take_recent(box)
    assert len(seen) == 2
    with pytest.raises(StorageError):
        store.append(box, [NewMessage(raw_message(9), frozenset({"\\Bogus"}))])
    assert len(seen) == 2


def test_concurrent_appends_get_unique_ascending_uids(store: MailStore) -> None:
    box = _inbox_id(store)
    per_thread, threads_count = 8, 6
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            uids: list[int] = []
            for i in range(per_thread):
                uids += add(store, box, 1, start=n * 100 + i)
            results[n] = uids
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [u for uids in results.values() for u in uids]
    assert sorted(every) == list(range(1, per_thread * threads_count + 1))
    for uids in results.values():
        assert uids == sorted(uids)
    metas = store.fetch_meta(box, every)
    assert len({m.blob_id for m in metas}) == len(every)
    bodies = {store.read_message(m.blob_id) for m in metas}
    assert len(bodies) == len(every)
