"""BODY[section] and BINARY[part] (RFC 9051 section 6.4.5, RFC 3516)."""

from __future__ import annotations

import base64

import pytest

from roost.mime import UnknownEncoding, analyse, binary_bytes, section_bytes
from roost.protocol.commands import Section
from tests.mime.samples import ALTERNATIVE, MIXED, NESTED, SIMPLE, crlf


def sec(
    raw: bytes, part: tuple[int, ...] = (), text: str | None = None, *fields: str
) -> bytes | None:
    return section_bytes(raw, analyse(raw).structure, Section(part, text, tuple(fields)))


def test_whole_message_header_and_text() -> None:
    assert sec(SIMPLE) == SIMPLE
    header, text = SIMPLE.split(b"\r\n\r\n", 1)
    assert sec(SIMPLE, (), "HEADER") == header + b"\r\n\r\n"
    assert sec(SIMPLE, (), "TEXT") == text
    assert sec(SIMPLE, (), "MIME") is None


def test_non_multipart_has_part_one_only() -> None:
    _, text = SIMPLE.split(b"\r\n\r\n", 1)
    assert sec(SIMPLE, (1,)) == text
    assert sec(SIMPLE, (1,), "MIME") == SIMPLE.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n"
    assert sec(SIMPLE, (2,)) is None
    assert sec(SIMPLE, (1, 1)) is None
    assert sec(SIMPLE, (0,)) is None


def test_header_fields_known_answer() -> None:
    got = sec(SIMPLE, (), "HEADER.FIELDS", "SUBJECT", "CC", "X-NONE")
    assert got == (
        b"Subject: IMAP4rev2 WG mtg summary and minutes\r\n"
        b"cc: minutes@CNRI.Reston.VA.US,\r\n   John Klensin <KLENSIN@MIT.EDU>\r\n\r\n"
    )
    assert sec(SIMPLE, (), "HEADER.FIELDS", "X-NONE") == b"\r\n"


def test_header_fields_not() -> None:
    got = sec(
        SIMPLE, (), "HEADER.FIELDS.NOT", "DATE", "FROM", "TO", "CC", "MESSAGE-ID", "MIME-VERSION"
    )
    assert got == (
        b"Subject: IMAP4rev2 WG mtg summary and minutes\r\n"
        b"Content-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\n"
    )


def test_header_fields_at_end_of_message_gets_line_break() -> None:
    assert sec(b"Subject: x", (), "HEADER.FIELDS", "subject") == b"Subject: x\r\n\r\n"


def test_multipart_parts_and_mime() -> None:
    assert sec(ALTERNATIVE, (1,)) == b"Caf=C3=A9 au lait =\r\ntout de suite"
    assert sec(ALTERNATIVE, (2,)) == "<p>Café</p>".encode()
    assert sec(ALTERNATIVE, (2,), "MIME") == b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    assert sec(ALTERNATIVE, (3,)) is None
    assert sec(ALTERNATIVE, (1,), "HEADER") is None  # not a message/rfc822 part
    assert sec(ALTERNATIVE, (1,), "TEXT") is None


def test_nested_message_sections() -> None:
    inner = NESTED[NESTED.index(b"From: Gina") : NESTED.index(b"\r\n--b1--")]
    inner_header, inner_text = inner.split(b"\r\n\r\n", 1)
    assert sec(NESTED, (2,)) == inner
    assert sec(NESTED, (2,), "HEADER") == inner_header + b"\r\n\r\n"
    assert sec(NESTED, (2,), "TEXT") == inner_text
    assert sec(NESTED, (2,), "MIME") == b"Content-Type: message/rfc822\r\n\r\n"
    assert sec(NESTED, (2,), "HEADER.FIELDS", "subject") == (
        b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\n\r\n"
    )
    assert sec(NESTED, (2, 1)) == b"inner plain"
    assert sec(NESTED, (2, 2)) == b"<b>inner html</b>"
    assert sec(NESTED, (2, 2), "MIME") == b"Content-Type: text/html\r\n\r\n"
    assert sec(NESTED, (2, 3)) is None


def test_message_rfc822_with_single_part_body() -> None:
    raw = crlf("Content-Type: message/rfc822\n\nSubject: in\n\nhello")
    assert sec(raw, (1,)) == b"Subject: in\r\n\r\nhello"
    assert sec(raw, (1, 1)) == b"hello"
    assert sec(raw, (1, 1), "MIME") == b"Subject: in\r\n\r\n"
    assert sec(raw, (1,), "HEADER.FIELDS", "SUBJECT") == b"Subject: in\r\n\r\n"


def test_binary_base64_and_whole_message() -> None:
    root = analyse(MIXED).structure
    expected = base64.b64decode(b"JVBERi0xLjQKJcfsj6IKMSAwIG9iago=")
    assert binary_bytes(MIXED, root, (2,)) == expected
    assert binary_bytes(MIXED, root, ()) == MIXED
    assert binary_bytes(MIXED, root, (1,)) == b"See attachment."
    assert binary_bytes(MIXED, root, (3,)) is None


def test_binary_quoted_printable_soft_breaks() -> None:
    root = analyse(ALTERNATIVE).structure
    assert binary_bytes(ALTERNATIVE, root, (1,)) == "Café au lait tout de suite".encode()


def test_binary_unknown_encoding_raises() -> None:
    raw = crlf("Content-Transfer-Encoding: x-uuencode\n\nbegin 644 f\n")
    with pytest.raises(UnknownEncoding) as info:
        binary_bytes(raw, analyse(raw).structure, (1,))
    assert info.value.encoding == "X-UUENCODE"
    assert sec(raw, (1,)) == b"begin 644 f\r\n"  # BODY[] still works


def test_binary_8bit_unchanged() -> None:
    raw = b"Content-Transfer-Encoding: 8bit\r\n\r\n\xc3\xa9\x00\xff"
    assert binary_bytes(raw, analyse(raw).structure, (1,)) == b"\xc3\xa9\x00\xff"
