"""QRESYNC (RFC 7162 section 3.2) through real Sessions and a real SqliteStore."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.protocol.errors import ParseError
from roost.storage.sqlite import SqliteStore
from tests.session.harness import Client, add_messages


def modseqs(store: SqliteStore, client: Client, name: str = "INBOX") -> dict[int, int]:
    return {m.uid: m.modseq for m in store.message_flags(client.mailbox_id(name))}


def highest(store: SqliteStore, client: Client, name: str = "INBOX") -> int:
    return store.status(client.mailbox_id(name)).highestmodseq


@pytest.fixture
def qclient(connect: Callable[..., Client]) -> Client:
    """An IMAP4rev2 session with QRESYNC enabled."""
    client = connect()
    assert client.run("e ENABLE IMAP4rev2 QRESYNC") == [
        "* ENABLED IMAP4rev2 QRESYNC",
        "e OK ENABLE completed",
    ]
    return client


@pytest.fixture
def other(connect: Callable[..., Client]) -> Client:
    """A second session with INBOX selected (the one making changes)."""
    client = connect()
    return client


def select_lines(client: Client, store: SqliteStore, exists: int) -> list[str]:
    """The usual rev2 SELECT INBOX responses of a QRESYNC session."""
    st = store.status(client.mailbox_id())
    return [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
        "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted",
        f"* {exists} EXISTS",
        f"* OK [UIDVALIDITY {st.uidvalidity}] UIDs valid",
        f"* OK [UIDNEXT {st.uidnext}] Predicted next UID",
        f"* OK [HIGHESTMODSEQ {st.highestmodseq}] Highest",
        '* LIST (\\HasNoChildren) "/" INBOX',
    ]


# ---------------------------------------------------------------- SELECT (QRESYNC ...)


def test_qresync_parameter_needs_enable(connect: Callable[..., Client], store) -> None:
    client = connect()
    add_messages(store, client.mailbox_id(), 1)
    client.run("a SELECT INBOX")
    assert client.run("b SELECT INBOX (QRESYNC (1 1))") == [
        "b BAD QRESYNC needs ENABLE QRESYNC first"
    ]
    # A BAD changes nothing: the mailbox stays selected.
    assert client.session.selected is not None
    client.run("c ENABLE CONDSTORE")  # BAD in selected state; CONDSTORE alone is not enough
    client.run("d UNSELECT")
    client.run("e ENABLE CONDSTORE")
    assert client.run("f EXAMINE INBOX (QRESYNC (1 1))")[-1].startswith("f BAD")


def test_resync_reports_vanished_then_changes(
    qclient: Client, other: Client, store: SqliteStore
) -> None:
    add_messages(store, qclient.mailbox_id(), 10)
    uidvalidity = store.status(qclient.mailbox_id()).uidvalidity
    known = highest(store, qclient)
    other.run("s SELECT INBOX")
    other.run("a STORE 2 +FLAGS (\\Seen)")
    other.run("b STORE 3,4,8 +FLAGS (\\Deleted)")
    other.run("c EXPUNGE")  # UIDs 3, 4, 8 go
    add_messages(store, qclient.mailbox_id(), 1)  # UID 11
    other.run("d UID STORE 5 +FLAGS.SILENT (\\Flagged)")
    ms = modseqs(store, qclient)
    out = qclient.run(f"A02 SELECT INBOX (QRESYNC ({uidvalidity} {known}))")
    assert out == [
        *select_lines(qclient, store, 8),
        "* VANISHED (EARLIER) 3:4,8",
        f"* 2 FETCH (UID 2 FLAGS (\\Seen) MODSEQ ({ms[2]}))",
        f"* 3 FETCH (UID 5 FLAGS (\\Flagged) MODSEQ ({ms[5]}))",
        f"* 8 FETCH (UID 11 FLAGS () MODSEQ ({ms[11]}))",
        "A02 OK [READ-WRITE] SELECT completed",
    ]
    # Everything was said: the next sync is silent.
    assert qclient.run("n NOOP") == ["n OK NOOP completed"]


def test_known_uids_restrict_both_parts(qclient: Client, other: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 10)
    uidvalidity = store.status(qclient.mailbox_id()).uidvalidity
    known = highest(store, qclient)
    other.run("s SELECT INBOX")
    other.run("a STORE 1,6,9 +FLAGS (\\Answered)")
    other.run("b STORE 2,7,10 +FLAGS.SILENT (\\Deleted)")
    other.run("c EXPUNGE")
    add_messages(store, qclient.mailbox_id(), 1)  # UID 11, not known to the client
    ms = modseqs(store, qclient)
    # Like the RFC 7162 3.2.5.1 example: the client only knows some UIDs.
    out = qclient.run(f"A03 EXAMINE INBOX (QRESYNC ({uidvalidity} {known} 1:7))")
    assert out[-4:] == [
        "* VANISHED (EARLIER) 2,7",
        f"* 1 FETCH (UID 1 FLAGS (\\Answered) MODSEQ ({ms[1]}))",
        f"* 5 FETCH (UID 6 FLAGS (\\Answered) MODSEQ ({ms[6]}))",
        "A03 OK [READ-ONLY] EXAMINE completed",
    ]


def test_seq_match_data_is_accepted(qclient: Client, other: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 4)
    uidvalidity = store.status(qclient.mailbox_id()).uidvalidity
    known = highest(store, qclient)
    other.run("s SELECT INBOX")
    other.run("a STORE 2 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    # The expunge log is exact, so the hint changes nothing.
    out = qclient.run(f"a SELECT INBOX (QRESYNC ({uidvalidity} {known} 1:4 (1,3 1,3)))")
    assert out[-2:] == ["* VANISHED (EARLIER) 2", "a OK [READ-WRITE] SELECT completed"]


def test_uidvalidity_mismatch_is_a_plain_select(
    qclient: Client, other: Client, store: SqliteStore
) -> None:
    add_messages(store, qclient.mailbox_id(), 3)
    uidvalidity = store.status(qclient.mailbox_id()).uidvalidity
    other.run("s SELECT INBOX")
    other.run("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    out = qclient.run(f"a SELECT INBOX (QRESYNC ({uidvalidity + 1} 1))")
    assert out == [*select_lines(qclient, store, 2), "a OK [READ-WRITE] SELECT completed"]


def test_nothing_changed_nothing_sent(qclient: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 3)
    st = store.status(qclient.mailbox_id())
    out = qclient.run(f"a SELECT INBOX (QRESYNC ({st.uidvalidity} {st.highestmodseq} 1:3))")
    assert out == [*select_lines(qclient, store, 3), "a OK [READ-WRITE] SELECT completed"]


def test_closed_when_switching(qclient: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 1)
    qclient.run("a SELECT INBOX")
    out = qclient.run("b EXAMINE Drafts")
    assert out[0] == "* OK [CLOSED] Previous mailbox is now closed"
    assert qclient.run("c UNSELECT") == ["c OK UNSELECT completed"]


# ---------------------------------------------------------------- UID FETCH (... VANISHED)


def test_uid_fetch_vanished(qclient: Client, other: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 8)
    since = highest(store, qclient)
    other.run("s SELECT INBOX")
    other.run("a STORE 2,5,7 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    other.run("c UID STORE 3 +FLAGS (\\Seen)")
    qclient.run("s SELECT INBOX")
    ms = modseqs(store, qclient)
    # RFC 7162 3.2.6 example: VANISHED (EARLIER) first, for the UIDs of the set only.
    assert qclient.run(f"A03 UID FETCH 3:6 (FLAGS) (CHANGEDSINCE {since} VANISHED)") == [
        "* VANISHED (EARLIER) 5",
        f"* 2 FETCH (UID 3 FLAGS (\\Seen) MODSEQ ({ms[3]}))",
        "A03 OK FETCH completed",
    ]
    # "*" reaches every expunged UID above the start.
    assert qclient.run(f"b UID FETCH 1:* (UID) (CHANGEDSINCE {since} VANISHED)")[0] == (
        "* VANISHED (EARLIER) 2,5,7"
    )
    # None expunged in the set: no VANISHED response at all.
    assert qclient.run(f"c UID FETCH 8 (FLAGS) (VANISHED CHANGEDSINCE {since})") == [
        "c OK FETCH completed"
    ]


def test_uid_fetch_vanished_needs_qresync(
    connect: Callable[..., Client], store: SqliteStore
) -> None:
    client = connect()
    add_messages(store, client.mailbox_id(), 1)
    client.run("s SELECT INBOX")
    assert client.run("a UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)") == [
        "a BAD VANISHED needs ENABLE QRESYNC first"
    ]
    with pytest.raises(ParseError, match="only allowed in UID FETCH"):  # the driver's BAD
        client.run("b FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)")


def test_vanished_earlier_leaves_unannounced_expunges_to_the_sync(
    qclient: Client, other: Client, store: SqliteStore
) -> None:
    add_messages(store, qclient.mailbox_id(), 4)
    since = highest(store, qclient)
    qclient.run("s SELECT INBOX")
    other.run("s SELECT INBOX")
    other.run("a STORE 2 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    # UID 2 is still message 2 for this session: it is announced by the plain
    # VANISHED after the FETCH responses, not as EARLIER.
    out = qclient.run(f"c UID FETCH 1:* (FLAGS) (CHANGEDSINCE {since} VANISHED)")
    assert out == ["* VANISHED 2", "c OK FETCH completed"]


# ---------------------------------------------------------------- VANISHED instead of EXPUNGE


def test_expunge_says_vanished_with_highestmodseq(qclient: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 9)
    qclient.run("s SELECT INBOX")
    qclient.run("a STORE 2,4,5,6 +FLAGS.SILENT (\\Deleted)")
    # RFC 7162 3.2.7 example shape
    assert qclient.run("A202 EXPUNGE") == [
        "* VANISHED 2,4:6",
        f"A202 OK [HIGHESTMODSEQ {highest(store, qclient)}] EXPUNGE completed",
    ]
    qclient.run("b STORE 1:5 +FLAGS.SILENT (\\Deleted)")  # UIDs 1 3 7 8 9
    assert qclient.run("c UID EXPUNGE 3:8") == [
        "* VANISHED 3,7:8",
        f"c OK [HIGHESTMODSEQ {highest(store, qclient)}] UID EXPUNGE completed",
    ]
    assert qclient.session.selected is not None
    assert qclient.session.selected.uids == [1, 9]


def test_other_sessions_expunges_wait_like_expunge(
    qclient: Client, other: Client, store: SqliteStore
) -> None:
    add_messages(store, qclient.mailbox_id(), 5)
    qclient.run("s SELECT INBOX")
    other.run("s SELECT INBOX")
    other.run("a STORE 1,3 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    # Not during FETCH, STORE or SEARCH (RFC 7162 3.2.10.2, as for EXPUNGE) ...
    assert qclient.run("c FETCH 5 (UID)") == ["* 5 FETCH (UID 5)", "c OK FETCH completed"]
    assert qclient.run("d SEARCH ALL")[0] == '* ESEARCH (TAG "d") ALL 2,4:5'
    # ... but with the next command that allows them, as UIDs.
    assert qclient.run("e NOOP") == ["* VANISHED 1,3", "e OK NOOP completed"]
    assert qclient.run("f FETCH 3 (UID)") == ["* 3 FETCH (UID 5)", "f OK FETCH completed"]


def test_move_and_close(qclient: Client, store: SqliteStore) -> None:
    add_messages(store, qclient.mailbox_id(), 4)
    qclient.run("s SELECT INBOX")
    out = qclient.run("a UID MOVE 2:3 Archive")
    assert out[0].startswith("* OK [COPYUID ")
    assert out[1:] == [
        "* VANISHED 2:3",
        f"a OK [HIGHESTMODSEQ {highest(store, qclient)}] MOVE completed",
    ]
    qclient.run("b STORE 1 +FLAGS.SILENT (\\Deleted)")
    assert qclient.run("c CLOSE") == ["c OK CLOSE completed"]  # silent, as ever
    assert [m.uid for m in store.message_flags(qclient.mailbox_id())] == [4]


def test_flag_changes_carry_uid_and_modseq(
    qclient: Client, other: Client, store: SqliteStore
) -> None:
    add_messages(store, qclient.mailbox_id(), 2)
    qclient.run("s SELECT INBOX")
    assert qclient.run("a STORE 1 +FLAGS (\\Seen)") == [
        f"* 1 FETCH (UID 1 FLAGS (\\Seen) MODSEQ ({modseqs(store, qclient)[1]}))",
        "a OK STORE completed",
    ]
    other.run("s SELECT INBOX")
    other.run("b STORE 2 +FLAGS (\\Answered)")
    assert qclient.run("c NOOP") == [
        f"* 2 FETCH (FLAGS (\\Answered) UID 2 MODSEQ ({modseqs(store, qclient)[2]}))",
        "c OK NOOP completed",
    ]
