"""The mirror itself: what it must refuse and how it follows numbering (so the sync tests can fail)."""

from __future__ import annotations

import pytest

from .mirror import Mirror, MirrorError
from .wire import parse_values


def selected(
    count: int, uids: list[int] | None = None, *, rev2: bool = False, uidnext: int | None = None
) -> Mirror:
    mirror = Mirror("probe", rev2=rev2)
    mirror.reset("INBOX")
    mirror.apply(b"%d EXISTS" % count, "SELECT")
    uidnext = uidnext or (max(uids) + 1 if uids else 1)
    mirror.apply(b"OK [UIDNEXT %d] next" % uidnext, "SELECT")
    for seq, uid in enumerate(uids or [], 1):
        mirror.apply(b"%d FETCH (UID %d FLAGS ())" % (seq, uid), "FETCH")
    return mirror


@pytest.mark.parametrize("command", ["FETCH", "STORE", "SEARCH"])
def test_no_expunge_or_vanished_during_fetch_store_search(command: str) -> None:
    mirror = selected(3, [1, 2, 3])
    with pytest.raises(MirrorError, match=f"during {command}"):
        mirror.apply(b"2 EXPUNGE", command)
    with pytest.raises(MirrorError, match=f"during {command}"):
        mirror.apply(b"VANISHED 2", command)


@pytest.mark.parametrize("command", ["UID FETCH", "UID STORE", "NOOP", "IDLE", None])
def test_expunge_renumbers_where_allowed(command: str | None) -> None:
    mirror = selected(4, [3, 5, 8, 9])
    mirror.apply(b"2 EXPUNGE", command)
    mirror.apply(b"2 EXPUNGE", command)  # numbers adjusted for the first, as in RFC 9051 6.4.3
    assert mirror.uids() == [3, 9]
    with pytest.raises(MirrorError, match="knows 2 messages"):
        mirror.apply(b"3 EXPUNGE", command)


def test_uid_rules() -> None:
    mirror = selected(2, [4, 6], uidnext=10)
    mirror.apply(b"4 EXISTS", "NOOP")
    with pytest.raises(MirrorError, match="below UIDNEXT"):
        mirror.apply(b"3 FETCH (UID 8)", "FETCH")
    with pytest.raises(MirrorError, match="ascending"):
        mirror.apply(b"4 FETCH (UID 6)", "FETCH")
    mirror.apply(b"3 FETCH (UID 11)", "FETCH")
    with pytest.raises(MirrorError, match="now FETCH says"):
        mirror.apply(b"1 FETCH (UID 5)", "FETCH")
    with pytest.raises(MirrorError, match="below the 4"):
        mirror.apply(b"3 EXISTS", "NOOP")
    mirror.apply(b"1 EXPUNGE", "NOOP")
    with pytest.raises(MirrorError, match="never reused"):
        mirror.apply(b"3 FETCH (UID 4)", "FETCH")  # seq 3 is the unknown slot now


def test_vanished_finds_unknown_slots_and_earlier_changes_nothing() -> None:
    mirror = selected(2, [2, 5])
    mirror.apply(b"5 EXISTS", "NOOP")  # three new messages, UIDs not told yet
    mirror.apply(b"VANISHED 7,5", "NOOP")
    assert mirror.uids() == [2, None, None]
    mirror.apply(b"VANISHED (EARLIER) 1:4", "UID FETCH")  # for the cache, not this view
    assert mirror.uids() == [2, None, None]
    with pytest.raises(MirrorError, match="never reused"):
        mirror.apply(b"2 FETCH (UID 3)", "FETCH")


def test_flags_recent_modseq_and_closed() -> None:
    mirror = selected(1, [7])
    mirror.apply(b"1 FETCH (FLAGS (\\Seen \\Recent $Work) MODSEQ (12))", "NOOP")
    entry = mirror.entries[0]
    assert entry.flags == frozenset({"\\Seen", "$Work"}) and entry.recent and entry.modseq == 12
    with pytest.raises(MirrorError, match="MODSEQ"):
        mirror.apply(b"1 FETCH (MODSEQ (11))", "NOOP")
    mirror.apply(b"OK [CLOSED] previous mailbox closed", "SELECT")
    assert mirror.exists() == 0
    rev2 = selected(0, rev2=True)
    with pytest.raises(MirrorError, match="RECENT"):
        rev2.apply(b"0 RECENT", "SELECT")


def test_parser_values() -> None:
    assert parse_values(
        b'1 FETCH (UID 4 FLAGS (\\Seen) BODY[HEADER.FIELDS (A B)] {3}\r\nabc "q\\"x" NIL)'
    ) == [
        1,
        "FETCH",
        ["UID", 4, "FLAGS", ["\\Seen"], "BODY[HEADER.FIELDS (A B)]", b"abc", b'q"x', None],
    ]
