"""COPY / MOVE and their UID forms through a real Session and SqliteStore
(RFC 9051 6.4.7-6.4.8, RFC 4315 COPYUID, RFC 6851 MOVE)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from roost.commands.copy_move import copyuid
from roost.storage.interface import CopyResult
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import append, select, simple
from tests.session.harness import Client


@pytest.fixture
def box(client: Client, store: SqliteStore) -> Client:
    """INBOX with five messages (UIDs 1-5), message 2 \\Flagged; selected."""
    for n in range(1, 6):
        append(store, client.mailbox_id(), simple(n), flags=["\\Flagged"] if n == 2 else [])
    select(client)
    return client


def uidvalidity(client: Client, name: str) -> int:
    assert client.session.user is not None
    return client.store.get_mailbox(client.session.user.id, name).uidvalidity


def contents(store: SqliteStore, client: Client, name: str) -> list[tuple[int, frozenset[str]]]:
    return [(m.uid, m.flags) for m in store.message_flags(client.mailbox_id(name))]


def test_copy_answers_copyuid(box: Client, store: SqliteStore) -> None:
    v = uidvalidity(box, "Archive")
    assert box.run("a COPY 1:3,5 Archive") == [f"a OK [COPYUID {v} 1:3,5 1:4] COPY completed"]
    assert contents(store, box, "Archive") == [
        (1, frozenset()),
        (2, frozenset({"\\Flagged"})),
        (3, frozenset()),
        (4, frozenset()),
    ]
    # The source keeps its messages.
    assert len(contents(store, box, "INBOX")) == 5
    assert box.run("b COPY 4 Archive") == [f"b OK [COPYUID {v} 4 5] COPY completed"]


def test_uid_copy_ignores_missing_uids(box: Client) -> None:
    v = uidvalidity(box, "Archive")
    assert box.run("a UID COPY 4:9 Archive") == [f"a OK [COPYUID {v} 4:5 1:2] COPY completed"]
    assert box.run("b UID COPY 7:9,20 Archive") == ["b OK COPY completed, no messages"]
    # "9:*" with 5 as the highest UID is 5:9 (RFC 9051 6.4.9).
    assert box.run("c UID COPY 9:* Archive") == [f"c OK [COPYUID {v} 5 3] COPY completed"]


def test_copy_missing_destination_is_trycreate(box: Client) -> None:
    out = box.run("a COPY 1 Nowhere")
    assert out == ["a NO [TRYCREATE] destination mailbox does not exist"]
    assert box.run("b MOVE 1 Nowhere") == ["b NO [TRYCREATE] destination mailbox does not exist"]


def test_copy_bad_sequence(box: Client) -> None:
    assert box.run("a COPY 6 Archive") == ["a BAD Invalid message sequence number"]


def test_move_sends_copyuid_before_expunges(box: Client, store: SqliteStore) -> None:
    v = uidvalidity(box, "Trash")
    assert box.run("a MOVE 2,4 Trash") == [
        f"* OK [COPYUID {v} 2,4 1:2] moved",
        "* 2 EXPUNGE",
        "* 3 EXPUNGE",
        "a OK MOVE completed",
    ]
    assert [uid for uid, _ in contents(store, box, "INBOX")] == [1, 3, 5]
    assert contents(store, box, "Trash") == [(1, frozenset({"\\Flagged"})), (2, frozenset())]
    # Sequence numbers now follow the expunges.
    assert box.run("b FETCH 1:* UID") == [
        "* 1 FETCH (UID 1)",
        "* 2 FETCH (UID 3)",
        "* 3 FETCH (UID 5)",
        "b OK FETCH completed",
    ]


def test_uid_move(box: Client) -> None:
    v = uidvalidity(box, "Archive")
    assert box.run("a UID MOVE 4:* Archive") == [
        f"* OK [COPYUID {v} 4:5 1:2] moved",
        "* 4 EXPUNGE",
        "* 4 EXPUNGE",
        "a OK MOVE completed",
    ]
    assert box.run("b UID MOVE 9 Archive") == ["b OK MOVE completed, no messages"]


def test_move_to_same_mailbox_gives_new_uids(box: Client, store: SqliteStore) -> None:
    v = uidvalidity(box, "INBOX")
    out = box.run("a MOVE 1 INBOX")
    assert out == [
        f"* OK [COPYUID {v} 1 6] moved",
        "* 1 EXPUNGE",
        "* 5 EXISTS",
        "* 5 RECENT",
        "a OK MOVE completed",
    ]
    assert [uid for uid, _ in contents(store, box, "INBOX")] == [2, 3, 4, 5, 6]


def test_move_from_read_only_mailbox_is_refused(client: Client, store: SqliteStore) -> None:
    append(store, client.mailbox_id(), simple(1))
    select(client, examine=True)
    assert client.run("a MOVE 1 Trash") == ["a NO [READ-ONLY] mailbox is read-only"]
    assert len(contents(store, client, "INBOX")) == 1
    # COPY from a read-only mailbox is fine.
    assert client.run("b COPY 1 Trash")[-1].startswith("b OK [COPYUID")


def test_other_session_sees_moved_messages_go(box: Client, connect: Callable[..., Client]) -> None:
    other = connect()
    select(other)
    box.run("a MOVE 1 Trash")
    assert other.run("n NOOP") == ["* 1 EXPUNGE", "n OK NOOP completed"]


def test_copy_of_message_expunged_elsewhere(
    box: Client, connect: Callable[..., Client], store: SqliteStore
) -> None:
    other = connect()
    select(other)
    other.run("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.run("b EXPUNGE")
    v = uidvalidity(box, "Archive")
    # Message 1 is gone from storage: only message 2 is copied.
    assert box.run("c COPY 1:2 Archive") == [
        "* 1 EXPUNGE",
        f"c OK [COPYUID {v} 2 1] COPY completed",
    ]


def test_dollar_set(box: Client) -> None:
    box.run("s SEARCH RETURN (SAVE) FLAGGED")
    v = uidvalidity(box, "Archive")
    assert box.run("a COPY $ Archive") == [f"a OK [COPYUID {v} 2 1] COPY completed"]


def test_copyuid_pairs_follow_source_order() -> None:
    result = CopyResult(7, [5, 1, 2], [12, 10, 11])
    assert copyuid(result) == "COPYUID 7 1:2,5 10:12"
