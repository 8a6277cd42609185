"""Malformed mail never raises, offsets stay consistent and output stays valid IMAP."""

from __future__ import annotations

import contextlib
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.mime import (
    Part,
    UnknownEncoding,
    analyse,
    binary_bytes,
    header_values,
    search_text,
    section_bytes,
    sent_date,
)
from roost.protocol.commands import Section
from tests.mime.imapvalue import Item, read_value
from tests.mime.samples import ALTERNATIVE, DIGEST, MIXED, NESTED, SIMPLE

SAMPLES = [SIMPLE, ALTERNATIVE, MIXED, NESTED, DIGEST]


def check_offsets(part: Part, lo: int, hi: int) -> None:
    assert lo <= part.header_start <= part.body_start <= part.body_end <= hi
    if part.type == "multipart":
        assert part.children
    prev = part.body_start
    for child in part.children:
        assert child.header_start >= prev
        check_offsets(child, part.body_start, part.body_end)
        prev = child.body_end


def check_shape(value: Item, part: Part, extended: bool) -> None:
    """The BODY/BODYSTRUCTURE value has the shape RFC 9051 section 9 requires for ``part``."""
    assert isinstance(value, list)
    if part.type == "multipart":
        kids = value[: len(part.children)]
        for kid, child in zip(kids, part.children, strict=True):
            check_shape(kid, child, extended)
        rest = value[len(part.children) :]
        assert isinstance(rest[0], bytes)
        assert len(rest) == (5 if extended else 1)
        return
    assert isinstance(value[0], bytes) and isinstance(value[1], bytes)
    assert value[6] == part.body_end - part.body_start
    n = 7
    if part.is_message:
        assert isinstance(value[7], list) and len(value[7]) == 10
        check_shape(value[8], part.children[0], extended)
        n = 10
    elif part.type == "text":
        n = 8
    if part.type in ("text", "message") and n > 7:
        assert value[n - 1] == part.lines
    assert len(value) == n + (4 if extended else 0)


def exercise(raw: bytes) -> None:
    a = analyse(raw)
    root = a.structure
    check_offsets(root, 0, len(raw))
    assert root.header_start == 0 and root.body_end == len(raw)
    check_shape(read_value(a.body), root, extended=False)
    check_shape(read_value(a.bodystructure), root, extended=True)
    envelope = read_value(a.envelope)
    assert isinstance(envelope, list) and len(envelope) == 10
    assert Part.from_json(root.to_json()) == root
    for path in [(), (1,), (2,), (1, 1), (2, 1), (2, 2), (1, 1, 1)]:
        for text in (None, "HEADER", "TEXT", "MIME", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
            got = section_bytes(raw, root, Section(path, text, ("SUBJECT", "FROM")))
            assert got is None or isinstance(got, bytes)
        with contextlib.suppress(UnknownEncoding):
            binary_bytes(raw, root, path)
    search_text(raw, root)
    header_values(raw, "subject")
    sent_date(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes(raw: bytes) -> None:
    exercise(raw)


_pieces = st.sampled_from(
    [
        b"\r\n",
        b"\n",
        b"\r\n\r\n",
        b"--b1\r\n",
        b"--b1--",
        b"--XYZ\r\n",
        b"--outer",
        b"Content-Type: multipart/mixed; boundary=b1\r\n",
        b"Content-Type: message/rfc822\r\n\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Transfer-Encoding: quoted-printable\r\n",
        b'"',
        b"(",
        b"<",
        b":",
        b";",
        b"=?utf-8?q?",
        b"\x00",
        b"\xff\xfe",
        b" ",
    ]
)
_edit = st.tuples(st.sampled_from(["insert", "delete", "dup"]), st.integers(0, 2000), _pieces)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SAMPLES), st.lists(_edit, max_size=8), st.booleans())
def test_mutated_messages(raw: bytes, edits: list[tuple[str, int, bytes]], bare_lf: bool) -> None:
    data = bytearray(raw.replace(b"\r\n", b"\n") if bare_lf else raw)
    for op, pos, piece in edits:
        pos %= len(data) + 1
        if op == "insert":
            data[pos:pos] = piece
        elif op == "delete":
            del data[pos : pos + len(piece) * 3]
        else:
            data[pos:pos] = data[pos : pos + 40]
    exercise(bytes(data))


def test_samples_are_valid() -> None:
    for raw in SAMPLES:
        exercise(raw)
        exercise(raw.replace(b"\r\n", b"\n"))


def test_deeply_nested_multiparts() -> None:
    raw = b""
    for level in range(300):
        raw = (
            b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (level, level)
            + raw
            + b"\r\n--b%d--\r\n" % level
        )
    exercise(raw)


def test_huge_header_and_many_parts_are_fast() -> None:
    big = b"X-Long: " + b"a" * 3_000_000 + b"\r\n" + b"X-Many: x\r\n" * 50_000
    parts = b"".join(b"--b\r\n\r\n%d\r\n" % i for i in range(20_000))
    raw = big + b"Content-Type: multipart/mixed; boundary=b\r\n\r\n" + parts + b"--b--\r\n"
    started = time.monotonic()
    a = analyse(raw)
    assert time.monotonic() - started < 10
    assert 1000 <= len(a.structure.children) <= 10_001
    spaces = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + b" " * 2_000_000 + b"x"
    started = time.monotonic()
    assert binary_bytes(spaces, analyse(spaces).structure, (1,)).endswith(b"x")
    assert time.monotonic() - started < 5


def test_nul_bytes_and_8bit_headers() -> None:
    raw = b"Subject: \x00\xff\xc3\xa9\r\nFrom: \xe9 <a@\xe9.com>\r\nContent-Type: text/plain; name=\x00\r\n\r\n\x00body"
    exercise(raw)
    assert b"\x00" not in analyse(raw).envelope
    assert b"\x00" not in analyse(raw).bodystructure
