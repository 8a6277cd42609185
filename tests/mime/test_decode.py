"""Transfer decoding, RFC 2047 header decoding and the SEARCH helpers."""

from __future__ import annotations

import base64
import datetime
import email.header
import quopri

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.mime import analyse, decoded_header, header_block, header_values, search_text, sent_date
from roost.mime.decode import decode_base64, decode_charset, decode_qp
from tests.mime.samples import ALTERNATIVE, MIXED, NESTED, SIMPLE, crlf


def test_base64_tolerates_whitespace_and_garbage() -> None:
    assert decode_base64(b"SGVs\r\nbG8=\r\n") == b"Hello"
    assert decode_base64(b"SGVs*bG8=\r\n\r\n") == b"Hello"  # junk bytes skipped
    assert decode_base64(b"SGVs\x00bG8=\r\n-- \r\n") == b"Hello"
    assert decode_base64(b"QQ==QQ==") == b"AA"
    assert decode_base64(b"QUJD\r\nR") == b"ABC"  # a dangling character is dropped
    assert decode_base64(b"") == b""


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_base64_round_trip(data: bytes) -> None:
    assert decode_base64(base64.encodebytes(data).replace(b"\n", b"\r\n")) == data


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_qp_matches_quopri(data: bytes) -> None:
    encoded = quopri.encodestring(data)
    assert decode_qp(encoded) == quopri.decodestring(encoded)


def test_qp_rules() -> None:
    assert decode_qp(b"a=3Db=3d  \r\nsoft=\r\nbreak=\r\n") == b"a=b=\r\nsoftbreak"
    assert decode_qp(b"bad =ZZ and =4") == b"bad =ZZ and =4"
    assert decode_qp(b"trailing=  \nx") == b"trailingx"


def test_decode_charset_fallbacks() -> None:
    assert decode_charset(b"caf\xe9", "iso-8859-1") == "café"
    assert decode_charset("café".encode(), None) == "café"
    assert decode_charset(b"caf\xe9", "x-no-such-charset") == "caf\ufffd"
    assert decode_charset(b"abc", "base64") == "abc"  # not a text encoding


def test_header_values_decode_rfc2047() -> None:
    header = crlf(
        "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= und\n =?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=\n"
        "X-Multi: one\nx-multi: =?utf-8?q?two?=\nX-Split: =?utf-8?q?=C3?= =?utf-8?q?=A9?=\n\n"
    )
    assert header_values(header, "subject") == ["Grüße und éé"]
    assert header_values(header, "X-MULTI") == ["one", "two"]
    assert header_values(header, "x-split") == ["é"]
    assert header_values(header, "missing") == []


def test_header_values_agree_with_email_package() -> None:
    value = "=?iso-8859-1?q?p=F6stal?= =?utf-8?b?0J/RgNC40LLQtdGC?= plain"
    expected = str(email.header.make_header(email.header.decode_header(value)))
    assert header_values(f"Subject: {value}\r\n\r\n".encode(), "Subject") == [expected]


def test_header_values_raw_utf8_and_unknown_charset() -> None:
    header = "Subject: Grüße\r\nX-A: =?x-unknown-cs?q?caf=C3=A9?=\r\n\r\n".encode()
    assert header_values(header, "Subject") == ["Grüße"]
    assert header_values(header, "X-A") == ["café"]


def test_header_block_and_decoded_header() -> None:
    block = header_block(NESTED)
    assert block.endswith(b"\r\n\r\n") and NESTED.startswith(block)
    assert b"Gina" not in block
    assert "Subject: Fwd: hello" in decoded_header(block)


def test_sent_date() -> None:
    assert sent_date(SIMPLE) == datetime.date(1996, 7, 17)
    assert sent_date(b"Date: 3 Mar 99 10:00 GMT\r\n\r\n") == datetime.date(1999, 3, 3)
    assert sent_date(b"Date: Sat, 29 Feb 2020 23:59:59 -1200\r\n\r\n") == datetime.date(2020, 2, 29)
    assert sent_date(b"Date: 31 Feb 2020\r\n\r\n") is None
    assert sent_date(b"Date: garbage\r\n\r\n") is None
    assert sent_date(b"Subject: none\r\n\r\n") is None


def test_search_text() -> None:
    text = search_text(ALTERNATIVE, analyse(ALTERNATIVE).structure)
    assert "Café au lait tout de suite" in text and "<p>Café</p>" in text
    assert "preamble" not in text and "epilogue" not in text
    text = search_text(MIXED, analyse(MIXED).structure)
    assert "See attachment." in text and "JVBER" not in text
    text = search_text(NESTED, analyse(NESTED).structure)
    assert "inner plain" in text and "Grüße" in text and "Forwarding." in text
    raw = b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" + "привет".encode("koi8-r")
    assert search_text(raw, analyse(raw).structure) == "привет"
