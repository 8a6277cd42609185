"""SEARCH / UID SEARCH through a real Session and SqliteStore (RFC 9051 6.4.4 and 7.3.4,
RFC 4731 ESEARCH, RFC 5182 SEARCHRES)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

import roost.commands.fetch as fetch_module
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import MULTIPART, append, select, simple
from tests.session.harness import Client

ENCODED_SUBJECT = (
    b"From: Dora <dora@example.net>\r\nTo: rcpt@example.com\r\n"
    b"Subject: =?utf-8?q?Caf=C3=A9_menu?=\r\nDate: Tue, 1 Mar 2022 10:00:00 +0000\r\n"
    b"X-Tracking: abc123\r\n\r\nSee you there.\r\n"
)


@pytest.fixture
def box(client: Client, store: SqliteStore) -> Client:
    """INBOX with six messages; UIDs 1-6 but UID 2 expunged so UIDs are 1,3,4,5,6,7.

    seq uid  what
    1   1    simple(1), \\Seen, small
    2   3    simple(3, "hello world"), \\Flagged \\Seen, $Work
    3   4    MULTIPART (body "Hello café" in quoted-printable), internal date 2021, 539 octets
    4   5    ENCODED_SUBJECT (Subject "Café menu"), \\Deleted
    5   6    simple(6, body long), from boss, 608 octets
    6   7    simple(7)
    """
    mid = client.mailbox_id()
    old = datetime.fromisoformat("2021-06-01T12:00:00+00:00")
    now = datetime.fromisoformat("2024-06-01T12:00:00+00:00")
    append(store, mid, simple(1), flags=["\\Seen"], when=now)
    doomed = append(store, mid, simple(2), when=now)
    append(store, mid, simple(3, "hello world"), ["\\Flagged", "\\Seen", "$Work"], now)
    append(store, mid, MULTIPART, when=old)
    append(store, mid, ENCODED_SUBJECT, flags=["\\Deleted"], when=now)
    append(store, mid, simple(6, body="x" * 500, sender="boss@example.org"), when=now)
    append(store, mid, simple(7), when=now)
    store.store_flags(mid, [doomed], "+", ["\\Deleted"])
    store.expunge(mid, [doomed])
    select(client)
    return client


@pytest.mark.parametrize(
    ("criteria", "seqs"),
    [
        ("ALL", [1, 2, 3, 4, 5, 6]),
        ("SEEN", [1, 2]),
        ("UNSEEN", [3, 4, 5, 6]),
        ("FLAGGED DELETED", []),
        ("OR FLAGGED DELETED", [2, 4]),
        ("NOT DELETED", [1, 2, 3, 5, 6]),
        ("KEYWORD $work", [2]),
        ("SUBJECT hello", [2]),
        ("SUBJECT {5}\r\ncafé", [4]),  # RFC 2047 decoded
        ("FROM boss", [5]),
        ("HEADER X-Tracking abc", [4]),
        ('HEADER X-Tracking ""', [4]),
        ("BODY {5}\r\ncafé", [3]),  # quoted-printable decoded
        ("BODY world", [3]),  # message 2 has it in the subject only
        ("TEXT world", [2, 3]),
        ("TEXT dora", [4]),
        ("TEXT menu", [4]),
        ("LARGER 500", [3, 5]),
        ("SMALLER 121", [1, 2, 6]),
        ("BEFORE 1-Jan-2022", [3]),
        ("SENTON 1-Mar-2022", [4]),
        ("2:3,6", [2, 3, 6]),
        ("5:*", [5, 6]),
        ("UID 4:5", [3, 4]),
        ("UID 2", []),
        ("UID 100:*", [6]),
        ("RECENT", [1, 2, 3, 4, 5, 6]),
        ("NEW", [3, 4, 5, 6]),
    ],
)
def test_search_keys(box: Client, criteria: str, seqs: list[int]) -> None:
    out = box.run(f"a SEARCH {criteria}")
    assert out == ["* SEARCH" + "".join(f" {n}" for n in seqs), "a OK SEARCH completed"]


def test_uid_search_answers_uids(box: Client) -> None:
    assert box.run("a UID SEARCH UNSEEN") == ["* SEARCH 4 5 6 7", "a OK SEARCH completed"]
    assert box.run("b UID SEARCH 1:2") == ["* SEARCH 1 3", "b OK SEARCH completed"]


def test_charsets(box: Client) -> None:
    assert box.run("a SEARCH CHARSET utf-8 SUBJECT {5}\r\ncafé")[0] == "* SEARCH 4"
    assert box.run("b SEARCH CHARSET US-ASCII SEEN")[0] == "* SEARCH 1 2"
    assert box.run("c SEARCH CHARSET KOI8-R SEEN") == [
        "c NO [BADCHARSET (UTF-8 US-ASCII)] unsupported charset"
    ]


def test_esearch_forms(box: Client) -> None:
    assert box.run("a SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN") == [
        '* ESEARCH (TAG "a") MIN 3 MAX 6 COUNT 4 ALL 3:6',
        "a OK SEARCH completed",
    ]
    assert box.run("b UID SEARCH RETURN (MIN COUNT) UNSEEN") == [
        '* ESEARCH (TAG "b") UID MIN 4 COUNT 4',
        "b OK SEARCH completed",
    ]
    assert box.run("c UID SEARCH RETURN () NOT DELETED") == [
        '* ESEARCH (TAG "c") UID ALL 1,3:4,6:7',
        "c OK SEARCH completed",
    ]


def test_esearch_empty_result(box: Client) -> None:
    assert box.run("a SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED DELETED") == [
        '* ESEARCH (TAG "a") COUNT 0',
        "a OK SEARCH completed",
    ]
    assert box.run("b UID SEARCH RETURN (ALL) FLAGGED DELETED") == [
        '* ESEARCH (TAG "b") UID',
        "b OK SEARCH completed",
    ]


def test_rev2_plain_search_is_esearch_all(
    connect: Callable[..., Client], store: SqliteStore
) -> None:
    client = connect()
    for n in range(1, 4):
        append(store, client.mailbox_id(), simple(n))
    client.run("e ENABLE IMAP4rev2")
    select(client)
    assert client.run("a SEARCH ALL") == ['* ESEARCH (TAG "a") ALL 1:3', "a OK SEARCH completed"]
    assert client.run("b SEARCH SEEN") == ['* ESEARCH (TAG "b")', "b OK SEARCH completed"]


def test_save_alone_sends_nothing_and_dollar_uses_it(box: Client) -> None:
    assert box.run("a SEARCH RETURN (SAVE) UNSEEN") == ["a OK SEARCH completed"]
    assert box.session.saved_uids == [4, 5, 6, 7]
    # "$" in the criteria (RFC 5182): the saved messages, combined with other keys.
    assert box.run("b SEARCH $ LARGER 500") == ["* SEARCH 3 5", "b OK SEARCH completed"]
    assert box.run("c UID SEARCH NOT $") == ["* SEARCH 1 3", "c OK SEARCH completed"]


def test_save_with_other_options_answers_and_saves_all(box: Client) -> None:
    assert box.run("a UID SEARCH RETURN (SAVE COUNT) SEEN") == [
        '* ESEARCH (TAG "a") UID COUNT 2',
        "a OK SEARCH completed",
    ]
    assert box.session.saved_uids == [1, 3]


def test_save_with_min_max_keeps_only_those(box: Client) -> None:
    box.run("a SEARCH RETURN (SAVE MIN MAX ALL) UNSEEN")
    assert box.session.saved_uids == [4, 7]
    box.run("b SEARCH RETURN (SAVE MAX) UNSEEN")
    assert box.session.saved_uids == [7]


def test_saved_result_is_uids_and_survives_expunge(box: Client) -> None:
    box.run("a SEARCH RETURN (SAVE) SEEN")
    box.run("b STORE 1 +FLAGS.SILENT (\\Deleted)")
    box.run("c EXPUNGE")
    # Message UID 1 is gone; "$" still names UID 3, now sequence number 1.
    assert box.run("d SEARCH $") == ["* SEARCH 1", "d OK SEARCH completed"]


def test_failed_search_with_save_empties_saved_result(box: Client) -> None:
    box.run("a SEARCH RETURN (SAVE) SEEN")
    assert box.session.saved_uids == [1, 3]
    out = box.run("b SEARCH RETURN (SAVE) CHARSET KOI8-R SEEN")
    assert out[-1].startswith("b NO [BADCHARSET")
    assert box.session.saved_uids == []
    # A failure without SAVE leaves the saved result alone.
    box.run("c SEARCH RETURN (SAVE) SEEN")
    box.run("d SEARCH CHARSET KOI8-R SEEN")
    assert box.session.saved_uids == [1, 3]


def test_message_expunged_elsewhere_matches_nothing(
    box: Client, connect: Callable[..., Client]
) -> None:
    other = connect()
    select(other)
    other.run("a STORE 1 +FLAGS.SILENT (\\Deleted)")
    other.run("b UID EXPUNGE 1")
    # No EXPUNGE during SEARCH; the gone message is not reported.
    assert box.run("c SEARCH ALL") == ["* SEARCH 2 3 4 5 6", "c OK SEARCH completed"]
    assert box.run("d UID SEARCH ALL") == [
        "* SEARCH 3 4 5 6 7",
        "* 1 EXPUNGE",
        "d OK SEARCH completed",
    ]


def test_body_loaded_only_when_needed(
    box: Client, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    real = store.read_message

    def counting(blob_id: str) -> bytes:
        reads.append(blob_id)
        return real(blob_id)

    monkeypatch.setattr(store, "read_message", counting)
    box.run("a SEARCH UNSEEN LARGER 10")
    assert reads == []
    box.run("b SEARCH FLAGGED SUBJECT hello")
    assert reads == []  # the store answers Subject from its header columns
    box.run("b SEARCH FLAGGED HEADER X-Note hello")
    assert len(reads) == 1  # only the one flagged message had its header read
    reads.clear()
    box.run("c SEARCH TEXT menu")
    assert len(reads) == 6  # once per message, header and body from one read


def test_batches(box: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetch_module, "BATCH", 2)
    import roost.commands.search as search_module

    monkeypatch.setattr(search_module, "BATCH", 2)
    assert box.run("a SEARCH NOT SEEN") == ["* SEARCH 3 4 5 6", "a OK SEARCH completed"]


def test_search_skips_a_message_whose_body_went_meanwhile(monkeypatch) -> None:
    """Another session expunged a message (and its body file went) after the
    search read its metadata: it no longer matches, and SEARCH still succeeds."""
    from roost.commands import search as search_module
    from roost.storage.interface import StorageError, StorageErrorKind

    class Gone:
        def read_message(self, blob_id: str) -> bytes:
            raise StorageError(StorageErrorKind.EXPUNGEISSUED)

    def predicate(msg, scope):
        return bool(msg.header("Subject"))

    msg = search_module.StoredMessage.__new__(search_module.StoredMessage)
    msg._store, msg._raw, msg._header = Gone(), None, None
    msg._meta = type("Meta", (), {"blob_id": "x", "structure": "{}"})()
    assert search_module._matches(predicate, msg, None) is False
