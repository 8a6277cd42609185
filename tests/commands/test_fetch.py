"""FETCH / UID FETCH through a real Session and SqliteStore (RFC 9051 6.4.5, RFC 3516)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest

import roost.commands.fetch as fetch_module
from roost.commands.fetch import compact_set
from roost.mime import analyse
from roost.storage.sqlite import SqliteStore
from tests.commands.fetch_samples import (
    MULTIPART,
    MULTIPART_HEADER,
    MULTIPART_TEXT,
    UNKNOWN_CTE,
    append,
    raw_lines,
    select,
    simple,
)
from tests.session.harness import Client


@pytest.fixture
def box(client: Client, store: SqliteStore) -> Client:
    """INBOX holding the multipart sample as message 1 (UID 1), selected."""
    append(store, client.mailbox_id(), MULTIPART)
    select(client)
    return client


def literal(data: bytes, binary: bool = False) -> bytes:
    return (b"~{%d}\r\n" if binary else b"{%d}\r\n") % len(data) + data


# ---------------------------------------------------------------- simple items


def test_simple_items_exact(box: Client) -> None:
    assert box.run("a FETCH 1 (UID FLAGS INTERNALDATE RFC822.SIZE)") == [
        '* 1 FETCH (UID 1 FLAGS (\\Recent) INTERNALDATE "07-Feb-1994 21:52:25 -0800" '
        f"RFC822.SIZE {len(MULTIPART)})",
        "a OK FETCH completed",
    ]


def test_internaldate_pads_day_and_positive_offset(client: Client, store: SqliteStore) -> None:
    when = datetime.fromisoformat("2024-03-05T07:08:09+05:30")
    append(store, client.mailbox_id(), simple(1), when=when)
    select(client)
    out = client.run("a FETCH 1 INTERNALDATE")
    assert out[0] == '* 1 FETCH (INTERNALDATE "05-Mar-2024 07:08:09 +0530")'


def test_uid_fetch_always_includes_uid_first(box: Client) -> None:
    assert box.run("a UID FETCH 1 (FLAGS)") == [
        "* 1 FETCH (UID 1 FLAGS (\\Recent))",
        "a OK FETCH completed",
    ]


def test_rev2_session_has_no_recent(connect: Callable[..., Client], store: SqliteStore) -> None:
    client = connect()
    append(store, client.mailbox_id(), MULTIPART, flags=["\\Flagged", "$Work"])
    client.run("e ENABLE IMAP4rev2")
    select(client)
    assert client.run("a FETCH 1 FLAGS")[0] == "* 1 FETCH (FLAGS (\\Flagged $Work))"


def test_structures_are_the_precomputed_values(box: Client) -> None:
    analysis = analyse(MULTIPART)
    lines = raw_lines(box, "a FETCH 1 (ENVELOPE BODY BODYSTRUCTURE)")
    assert lines[0] == (
        b"* 1 FETCH (ENVELOPE "
        + analysis.envelope
        + b" BODY "
        + analysis.body
        + b" BODYSTRUCTURE "
        + analysis.bodystructure
        + b")\r\n"
    )


def test_modseq_only_when_asked_and_changedsince(box: Client, store: SqliteStore) -> None:
    append(store, box.mailbox_id(), simple(2))
    box.run("n NOOP")
    assert "MODSEQ" not in box.run("b FETCH 1 FLAGS")[0]
    out = box.run("a FETCH 1:2 (MODSEQ)")
    modseqs = [int(line.split("MODSEQ (")[1].removesuffix("))")) for line in out[:2]]
    assert modseqs[0] < modseqs[1]
    # FETCH MODSEQ enabled CONDSTORE: FLAGS now always comes with MODSEQ (RFC 7162 3.1)
    assert box.run("b FETCH 1 FLAGS")[0] == f"* 1 FETCH (FLAGS (\\Recent) MODSEQ ({modseqs[0]}))"
    # CHANGEDSINCE: only the newer message, and MODSEQ is implied (RFC 7162 3.1.4.1)
    out = box.run(f"c FETCH 1:* (FLAGS) (CHANGEDSINCE {modseqs[0]})")
    assert out == [
        f"* 2 FETCH (FLAGS (\\Recent) MODSEQ ({modseqs[1]}))",
        "c OK FETCH completed",
    ]


# ---------------------------------------------------------------- body sections

SECTIONS = [
    ("BODY.PEEK[1]", b"BODY[1] ", b"Hello caf=C3=A9 world"),
    (
        "BODY.PEEK[1.MIME]",
        b"BODY[1.MIME] ",
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n",
    ),
    (
        "BODY.PEEK[3.HEADER]",
        b"BODY[3.HEADER] ",
        b"Subject: inner\r\nFrom: carol@example.org\r\n\r\n",
    ),
    ("BODY.PEEK[3.TEXT]", b"BODY[3.TEXT] ", b"inner body"),
    ("BODY.PEEK[3.1]", b"BODY[3.1] ", b"inner body"),
    (
        "BODY.PEEK[HEADER.FIELDS (Subject to)]",
        b"BODY[HEADER.FIELDS (SUBJECT TO)] ",
        b"To: Bob <bob@example.org>\r\nSubject: Test message\r\n\r\n",
    ),
    (
        "BODY.PEEK[HEADER.FIELDS.NOT (SUBJECT TO FROM DATE)]",
        b"BODY[HEADER.FIELDS.NOT (SUBJECT TO FROM DATE)] ",
        b"Message-ID: <m1@example.org>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n',
    ),
    ("BODY.PEEK[HEADER]", b"BODY[HEADER] ", MULTIPART_HEADER),
    ("BODY.PEEK[TEXT]", b"BODY[TEXT] ", MULTIPART_TEXT),
    ("BODY.PEEK[]", b"BODY[] ", MULTIPART),
    ("RFC822.HEADER", b"RFC822.HEADER ", MULTIPART_HEADER),
]


@pytest.mark.parametrize(("item", "name", "data"), SECTIONS)
def test_body_sections_exact(box: Client, item: str, name: bytes, data: bytes) -> None:
    lines = raw_lines(box, f"a FETCH 1 ({item})")
    assert lines == [b"* 1 FETCH (" + name + literal(data) + b")\r\n", b"a OK FETCH completed\r\n"]


@pytest.mark.parametrize("section", ["4", "1.5", "2.TEXT", "1.HEADER", "9.MIME"])
def test_missing_part_is_nil(box: Client, section: str) -> None:
    assert box.run(f"a FETCH 1 (BODY.PEEK[{section}])") == [
        f"* 1 FETCH (BODY[{section}] NIL)",
        "a OK FETCH completed",
    ]


def test_partial_fetches(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (BODY.PEEK[]<0.10> BODY.PEEK[1]<6.4> BODY.PEEK[]<99999.5>)")
    assert lines[0] == (
        b"* 1 FETCH (BODY[]<0> "
        + literal(MULTIPART[:10])
        + b" BODY[1]<6> "
        + literal(b"caf=")
        + b" BODY[]<99999> "
        + literal(b"")
        + b")\r\n"
    )


def test_partial_running_past_the_end_is_truncated(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (BODY.PEEK[3.TEXT]<6.100>)")
    assert lines[0] == b"* 1 FETCH (BODY[3.TEXT]<6> " + literal(b"body") + b")\r\n"


# ---------------------------------------------------------------- \Seen side effect


def test_body_fetch_sets_seen_and_reports_flags(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (BODY[1])")
    assert lines == [
        b"* 1 FETCH (BODY[1] "
        + literal(b"Hello caf=C3=A9 world")
        + b" FLAGS (\\Seen \\Recent))\r\n",
        b"a OK FETCH completed\r\n",
    ]
    # Already seen: no FLAGS unless asked, and no duplicate update from the sync.
    lines = raw_lines(box, "b FETCH 1 (BODY[1])")
    assert lines[0] == b"* 1 FETCH (BODY[1] " + literal(b"Hello caf=C3=A9 world") + b")\r\n"
    assert len(lines) == 2


def test_seen_with_flags_requested_is_not_repeated(box: Client) -> None:
    out = box.run("a FETCH 1 (FLAGS BODY[3.TEXT])")
    assert out == [
        "* 1 FETCH (FLAGS (\\Seen \\Recent) BODY[3.TEXT] {10}\r\ninner body)",
        "a OK FETCH completed",
    ]


@pytest.mark.parametrize(
    ("item", "seen"),
    [
        ("BODY.PEEK[]", False),
        ("BINARY.PEEK[1]", False),
        ("RFC822.HEADER", False),
        ("BINARY.SIZE[1]", False),
        ("BODY[HEADER]", True),
        ("BINARY[1]", True),
        ("RFC822", True),
        ("RFC822.TEXT", True),
    ],
)
def test_which_items_set_seen(
    box: Client, connect: Callable[..., Client], item: str, seen: bool
) -> None:
    box.run(f"a FETCH 1 ({item})")
    other = connect()
    select(other, examine=True)
    flags = other.run("b FETCH 1 FLAGS")[0]
    assert ("\\Seen" in flags) is seen


def test_examine_does_not_set_seen(client: Client, store: SqliteStore) -> None:
    append(store, client.mailbox_id(), MULTIPART)
    select(client, examine=True)
    out = client.run("a FETCH 1 (BODY[1])")
    assert out[0] == "* 1 FETCH (BODY[1] {21}\r\nHello caf=C3=A9 world)"
    assert "\\Seen" not in client.run("b FETCH 1 FLAGS")[0]


def test_other_session_sees_the_implicit_seen(box: Client, connect: Callable[..., Client]) -> None:
    other = connect()
    select(other)
    box.run("a FETCH 1 (RFC822.TEXT)")
    assert other.run("n NOOP") == ["* 1 FETCH (FLAGS (\\Seen) UID 1)", "n OK NOOP completed"]


# ---------------------------------------------------------------- RFC822 forms


def test_rfc822_forms(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (RFC822.HEADER RFC822.TEXT RFC822)")
    assert lines[0] == (
        b"* 1 FETCH (RFC822.HEADER "
        + literal(MULTIPART_HEADER)
        + b" RFC822.TEXT "
        + literal(MULTIPART_TEXT)
        + b" RFC822 "
        + literal(MULTIPART)
        + b" FLAGS (\\Seen \\Recent))\r\n"
    )


# ---------------------------------------------------------------- BINARY


def test_binary_decodes_quoted_printable(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])")
    data = "Hello café world".encode()
    assert lines[0] == (
        b"* 1 FETCH (BINARY[1] " + literal(data) + b" BINARY.SIZE[1] %d)\r\n" % len(data)
    )


def test_binary_with_nul_is_literal8(box: Client) -> None:
    lines = raw_lines(box, "a FETCH 1 (BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[2]<1.2>)")
    assert lines[0] == (
        b"* 1 FETCH (BINARY[2] "
        + literal(b"\x00\x01\x02\x03", binary=True)
        + b" BINARY.SIZE[2] 4 BINARY[2]<1> "
        + literal(b"\x01\x02")
        + b")\r\n"
    )


def test_binary_missing_part_is_nil(box: Client) -> None:
    assert box.run("a FETCH 1 (BINARY.PEEK[7] BINARY.SIZE[7])")[0] == (
        "* 1 FETCH (BINARY[7] NIL BINARY.SIZE[7] 0)"
    )


def test_binary_unknown_encoding_is_no_unknown_cte(client: Client, store: SqliteStore) -> None:
    append(store, client.mailbox_id(), UNKNOWN_CTE)
    append(store, client.mailbox_id(), simple(2))
    select(client)
    out = client.run("a FETCH 1:2 (BINARY.PEEK[1])")
    # The good message is still answered; the command reports the failure.
    assert out == [
        "* 2 FETCH (BINARY[1] {9}\r\nBody 2.\r\n)",
        "a NO [UNKNOWN-CTE] unknown content-transfer-encoding",
    ]
    # BODY[] of the same message is fine: only decoding needs the encoding.
    assert client.run("b FETCH 1 (BODY.PEEK[1])")[-1] == "b OK FETCH completed"


# ---------------------------------------------------------------- message sets


def test_sequence_number_beyond_exists_is_bad(box: Client) -> None:
    assert box.run("a FETCH 2 FLAGS") == ["a BAD Invalid message sequence number"]
    assert box.run("b FETCH 1:3 FLAGS") == ["b BAD Invalid message sequence number"]


def test_star_in_empty_mailbox_is_bad_but_uid_form_is_ok(client: Client) -> None:
    select(client)
    assert client.run("a FETCH 1:* FLAGS") == ["a BAD Invalid message sequence number"]
    assert client.run("b UID FETCH 1:* FLAGS") == ["b OK FETCH completed"]


def test_uid_sets_ignore_missing_and_star_takes_highest(client: Client, store: SqliteStore) -> None:
    for n in range(1, 4):
        append(store, client.mailbox_id(), simple(n))
    select(client)
    assert client.run("a UID FETCH 7,9 FLAGS") == ["a OK FETCH completed"]
    # 10:* with 3 as the highest UID is 3:10 (RFC 9051 6.4.9)
    assert client.run("b UID FETCH 10:* UID") == ["* 3 FETCH (UID 3)", "b OK FETCH completed"]
    assert client.run("c FETCH 3,1 UID") == [
        "* 1 FETCH (UID 1)",
        "* 3 FETCH (UID 3)",
        "c OK FETCH completed",
    ]


def test_saved_result_dollar(client: Client, store: SqliteStore) -> None:
    for n in range(1, 5):
        append(store, client.mailbox_id(), simple(n), flags=["\\Flagged"] if n % 2 else [])
    select(client)
    assert client.run("s SEARCH RETURN (SAVE) FLAGGED") == ["s OK SEARCH completed"]
    assert client.run("a FETCH $ UID") == [
        "* 1 FETCH (UID 1)",
        "* 3 FETCH (UID 3)",
        "a OK FETCH completed",
    ]


def test_message_expunged_elsewhere_is_skipped(
    client: Client, connect: Callable[..., Client], store: SqliteStore
) -> None:
    for n in range(1, 4):
        append(store, client.mailbox_id(), simple(n))
    select(client)
    other = connect()
    select(other)
    other.run("a STORE 2 +FLAGS.SILENT (\\Deleted)")
    assert other.run("b EXPUNGE")[0] == "* 2 EXPUNGE"
    # FETCH may not announce the expunge: message 2 is simply left out.
    assert client.run("c FETCH 1:3 (UID BODY.PEEK[TEXT])") == [
        "* 1 FETCH (UID 1 BODY[TEXT] {9}\r\nBody 1.\r\n)",
        "* 3 FETCH (UID 3 BODY[TEXT] {9}\r\nBody 3.\r\n)",
        "c OK FETCH completed",
    ]
    # UID FETCH may: the EXPUNGE follows the data.
    assert client.run("d UID FETCH 3 FLAGS") == [
        "* 3 FETCH (UID 3 FLAGS (\\Recent))",
        "* 2 EXPUNGE",
        "d OK FETCH completed",
    ]


def test_batches_cover_every_message(
    client: Client, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetch_module, "BATCH", 2)
    for n in range(1, 6):
        append(store, client.mailbox_id(), simple(n), flags=["\\Seen"] if n == 3 else [])
    select(client)
    out = client.run("a FETCH 1:5 (BODY[TEXT])")
    assert len(out) == 6 and out[-1] == "a OK FETCH completed"
    for n, line in enumerate(out[:5], start=1):
        assert line.startswith(f"* {n} FETCH (BODY[TEXT] {{9}}\r\nBody {n}.\r\n")
        # message 3 was already \Seen: its flags did not change, so no FLAGS
        assert ("FLAGS" in line) is (n != 3)


def test_compact_set_keeps_order() -> None:
    assert compact_set([1, 2, 3, 5, 7, 8]) == "1:3,5,7:8"
    assert compact_set([5, 6, 1]) == "5:6,1"
    assert compact_set([]) == ""


def test_keyword_set_elsewhere_is_announced_before_fetch(
    box: Client, connect: Callable[..., Client]
) -> None:
    other = connect()
    select(other)
    other.run("o STORE 1 +FLAGS.SILENT ($Urgent)")
    assert box.run("a FETCH 1 FLAGS") == [
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Urgent)",
        "* 1 FETCH (FLAGS (\\Recent $Urgent))",
        "a OK FETCH completed",
    ]
    assert box.run("n NOOP") == ["n OK NOOP completed"]


def test_header_sections_do_not_read_the_body(client, store, monkeypatch) -> None:  # noqa: ANN001
    """BODY.PEEK[HEADER.FIELDS ...], HEADER and RFC822.HEADER read the stored
    header only (``read_header``), never the whole message."""
    from tests.session.harness import add_messages

    add_messages(store, client.mailbox_id(), 2)
    client.run("s SELECT INBOX")

    def no_body(blob_id: str) -> bytes:
        raise AssertionError("the whole message was read")

    monkeypatch.setattr(store, "read_message", no_body)
    lines = client.run("f FETCH 1:2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)] RFC822.HEADER)")
    assert lines[-1] == "f OK FETCH completed"
    assert "Subject: message 0" in "\n".join(lines)
