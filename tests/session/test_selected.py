"""SelectedView against a real SqliteStore: numbering, lookup, sync, \\Recent."""

from __future__ import annotations

import pytest

from roost.protocol.commands import SeqRange, SequenceSet
from roost.session.selected import SelectedView

from .harness import add_messages


def seqset(*ranges: tuple[int | None, int | None]) -> SequenceSet:
    return SequenceSet(tuple(SeqRange(a, b) for a, b in ranges))


@pytest.fixture
def inbox(store):
    user = store.get_user("alice")
    return store.get_mailbox(user.id, "INBOX")


def fresh(store, readonly=False, rev2=False):
    user = store.get_user("alice")
    return SelectedView.open(store, store.get_mailbox(user.id, "INBOX"), readonly, rev2=rev2)


def test_open_loads_messages_in_uid_order(store, inbox):
    uids = add_messages(store, inbox.id, 3, flags=["\\Seen"])
    view = fresh(store)
    assert view.uids == uids and view.exists() == 3
    assert view.flags[uids[0]] == frozenset({"\\Seen"})
    assert view.uidnext == uids[-1] + 1
    assert view.first_unseen() is None
    assert view.seq_of(uids[1]) == 2 and view.seq_of(10_000) is None


def test_lookup_by_sequence_number(store, inbox):
    uids = add_messages(store, inbox.id, 5)
    view = fresh(store)
    assert view.lookup(seqset((2, 3), (5, 5)), False, []) == [
        (2, uids[1]),
        (3, uids[2]),
        (5, uids[4]),
    ]
    assert view.lookup(seqset((4, None)), False, []) == [(4, uids[3]), (5, uids[4])]
    assert view.lookup(seqset((3, 1)), False, []) == [(1, uids[0]), (2, uids[1]), (3, uids[2])]
    assert view.lookup(seqset((1, 2), (2, 3)), False, []) == [
        (1, uids[0]),
        (2, uids[1]),
        (3, uids[2]),
    ]


def test_lookup_by_uid(store, inbox):
    store.expunge(inbox.id, [])  # nothing
    uids = add_messages(store, inbox.id, 4)
    store.store_flags(inbox.id, [uids[1]], "+", ["\\Deleted"])
    store.expunge(inbox.id)
    view = fresh(store)
    last = uids[-1]
    # a missing UID inside a range is skipped; 1:* is everything
    assert [u for _, u in view.lookup(seqset((1, None)), True, [])] == [uids[0], uids[2], uids[3]]
    assert view.lookup(seqset((uids[1], uids[1])), True, []) == []
    # "n:*" with n above the highest UID still means the last message (RFC 9051 6.4.9)
    assert view.lookup(seqset((last + 100, None)), True, []) == [(3, last)]
    assert view.lookup(seqset((last + 100, last + 200)), True, []) == []


def test_lookup_of_saved_result(store, inbox):
    uids = add_messages(store, inbox.id, 4)
    view = fresh(store)
    saved = SequenceSet(saved=True)
    assert view.lookup(saved, False, [uids[3], uids[1], 999]) == [(2, uids[1]), (4, uids[3])]
    assert view.lookup(saved, True, []) == []


def test_sequence_range_check(store, inbox):
    empty = fresh(store)
    assert not empty.sequence_in_range(seqset((1, None)))
    assert not empty.sequence_in_range(seqset((None, None)))
    assert empty.sequence_in_range(SequenceSet(saved=True))
    add_messages(store, inbox.id, 3)
    view = fresh(store)
    assert view.sequence_in_range(seqset((1, None), (3, 3)))
    assert not view.sequence_in_range(seqset((2, 4)))


def test_sync_reports_expunges_in_ascending_adjusted_order(store, inbox):
    uids = add_messages(store, inbox.id, 6)
    view = fresh(store)
    # messages 2, 3 and 5 go (RFC 9051 6.4.3 example style numbering)
    store.store_flags(inbox.id, [uids[1], uids[2], uids[4]], "+", ["\\Deleted"])
    store.expunge(inbox.id)
    assert view.sync(store, True, False) == [
        b"* 2 EXPUNGE\r\n",
        b"* 2 EXPUNGE\r\n",
        b"* 3 EXPUNGE\r\n",
    ]
    assert view.uids == [uids[0], uids[3], uids[5]]
    assert view.sync(store, True, False) == []


def test_expunges_wait_while_not_allowed(store, inbox):
    uids = add_messages(store, inbox.id, 3)
    view = fresh(store)
    store.store_flags(inbox.id, [uids[0]], "+", ["\\Deleted"])
    store.expunge(inbox.id)
    new = add_messages(store, inbox.id, 1)
    # EXISTS still counts the expunged message: numbers must not move yet
    lines = view.sync(store, False, True)
    assert lines == [b"* 4 EXISTS\r\n"]
    assert view.pending_expunge == {uids[0]}
    assert view.seq_of(new[0]) == 4
    assert view.sync(store, True, True) == [b"* 1 EXPUNGE\r\n"]
    assert view.seq_of(new[0]) == 3 and view.pending_expunge == set()


def test_flag_changes_are_reported_once(store, inbox):
    uids = add_messages(store, inbox.id, 2)
    view = fresh(store, rev2=True)
    store.store_flags(inbox.id, [uids[1]], "+", ["\\Flagged"])
    assert view.sync(store, True, True) == [b"* 2 FETCH (FLAGS (\\Flagged) UID %d)\r\n" % uids[1]]
    assert view.sync(store, True, True) == []
    # our own STORE told the client already: no repeat
    changed, _ = store.store_flags(inbox.id, [uids[0]], "+", ["\\Seen"])
    view.set_flags(uids[0], changed[0].flags)
    assert view.sync(store, True, True) == []
    # a change and its undo between two syncs: nothing to tell
    store.store_flags(inbox.id, [uids[0]], "+", ["\\Draft"])
    store.store_flags(inbox.id, [uids[0]], "-", ["\\Draft"])
    assert view.sync(store, True, True) == []


def test_new_keyword_sends_flags_first(store, inbox):
    uids = add_messages(store, inbox.id, 1)
    view = fresh(store, rev2=True)
    store.store_flags(inbox.id, uids, "+", ["$Important"])
    assert view.sync(store, True, True) == [
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)\r\n",
        b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important \\*)]"
        b" Flags permitted\r\n",
        b"* 1 FETCH (FLAGS ($Important) UID %d)\r\n" % uids[0],
    ]
    # our own STORE of a new keyword: the FETCH was sent, the FLAGS still is due
    changed, _ = store.store_flags(inbox.id, uids, "+", ["$Later"])
    view.set_flags(uids[0], changed[0].flags)
    lines = view.sync(store, True, True)
    assert (
        lines[0] == b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important $Later)\r\n"
    )
    assert len(lines) == 2
    # a read-only view gets no PERMANENTFLAGS
    examiner = fresh(store, readonly=True, rev2=True)
    store.store_flags(inbox.id, uids, "+", ["$Third"])
    assert [line[:8] for line in examiner.sync(store, True, True)] == [b"* FLAGS ", b"* 1 FETC"]


def test_recent_is_claimed_by_the_first_rev1_read_write_view(store, inbox):
    uids = add_messages(store, inbox.id, 2)
    examiner = fresh(store, readonly=True)
    assert examiner.recent == set(uids)  # EXAMINE does not claim
    rev2 = fresh(store, rev2=True)
    assert rev2.recent == set()  # IMAP4rev2 has no \Recent and claims nothing
    first = fresh(store)
    second = fresh(store)
    assert first.recent == set(uids) and second.recent == set()
    new = add_messages(store, inbox.id, 1)
    assert second.sync(store, True, False) == [b"* 3 EXISTS\r\n", b"* 1 RECENT\r\n"]
    assert first.sync(store, True, False) == [b"* 3 EXISTS\r\n", b"* 2 RECENT\r\n"]
    assert second.recent == set(new)
    # a recent message's unsolicited FETCH carries \Recent for rev1 only
    store.store_flags(inbox.id, new, "+", ["\\Seen"])
    assert second.sync(store, True, False) == [
        b"* 3 FETCH (FLAGS (\\Seen \\Recent) UID %d)\r\n" % new[0]
    ]
    assert rev2.sync(store, True, True) == [b"* 3 EXISTS\r\n"]


# ---------------------------------------------------------------- CONDSTORE / QRESYNC (RFC 7162)


def test_qresync_sync_says_vanished_with_a_compact_uid_set(store, inbox):
    uids = add_messages(store, inbox.id, 8)
    view = fresh(store, rev2=True)
    gone = [uids[1], uids[2], uids[3], uids[6]]
    store.store_flags(inbox.id, gone, "+", ["\\Deleted"])
    store.expunge(inbox.id)
    # Held back like EXPUNGE while not allowed (RFC 7162 3.2.10.2) ...
    assert view.sync(store, False, True, condstore=True, qresync=True) == []
    assert view.exists() == 8
    # ... then one VANISHED for all of them, and the numbering follows.
    assert view.sync(store, True, True, condstore=True, qresync=True) == [
        b"* VANISHED %d:%d,%d\r\n" % (uids[1], uids[3], uids[6])
    ]
    assert view.uids == [uids[0], uids[4], uids[5], uids[7]]


def test_condstore_sync_adds_modseq_and_reports_modseq_only_changes(store, inbox):
    uids = add_messages(store, inbox.id, 2)
    view = fresh(store, rev2=True)
    store.store_flags(inbox.id, [uids[0]], "+", ["\\Seen"])
    store.store_flags(inbox.id, [uids[0]], "-", ["\\Seen"])
    # Same flags as told: nothing without CONDSTORE ...
    assert view.sync(store, True, True) == []
    store.store_flags(inbox.id, [uids[0]], "+", ["\\Seen"])
    store.store_flags(inbox.id, [uids[0]], "-", ["\\Seen"])
    modseq = store.message_flags(inbox.id)[0].modseq
    # ... the new MODSEQ with it.
    assert view.sync(store, True, True, condstore=True) == [
        b"* 1 FETCH (FLAGS () UID %d MODSEQ (%d))\r\n" % (uids[0], modseq)
    ]


def test_condstore_sync_skips_what_the_session_reported_itself(store, inbox):
    uids = add_messages(store, inbox.id, 2)
    view = fresh(store, rev2=True)
    changed, _ = store.store_flags(inbox.id, uids, "+", ["\\Flagged"])
    view.set_flags(uids[0], changed[0].flags, changed[0].modseq)  # as a STORE reply would
    view.told_modseq(uids[1], changed[1].modseq)  # .SILENT: MODSEQ only, flags untold
    assert view.sync(store, True, True, condstore=True) == [
        b"* 2 FETCH (FLAGS (\\Flagged) UID %d MODSEQ (%d))\r\n" % (uids[1], changed[1].modseq)
    ]
    assert view.reported == {}


def test_new_messages_get_exists_only_under_condstore(store, inbox):
    add_messages(store, inbox.id, 1)
    view = fresh(store, rev2=True)
    add_messages(store, inbox.id, 2, flags=["\\Seen"])
    assert view.sync(store, True, True, condstore=True) == [b"* 3 EXISTS\r\n"]
