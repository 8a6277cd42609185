"""encode_string / encode_astring choose the form RFC 9051's grammar allows, octet by octet."""

from __future__ import annotations

import pytest

from roost.protocol.values import encode_astring, encode_string

ATOM_SPECIALS = set(b'(){ %*"\\]') | set(range(0x20)) | {0x7F}


@pytest.mark.parametrize("octet", range(256))
def test_each_octet_gets_the_form_it_needs(octet: int) -> None:
    data = b"a" + bytes([octet]) + b"b"
    quotable = octet not in b"\r\n\x00" and octet < 0x80
    assert encode_string(data).startswith(b'"') is quotable
    assert encode_string(data, utf8=True).startswith(b'"') is (octet not in b"\r\n\x00")
    is_atom = octet not in ATOM_SPECIALS and octet <= 0x7E
    assert (encode_astring(data.decode("latin-1")) == data) is (is_atom and octet < 0x80)


def test_quoting_and_the_literal_threshold() -> None:
    assert encode_string(b'say "hi" \\') == b'"say \\"hi\\" \\\\"'
    assert encode_string(b"x" * 1024).startswith(b'"')
    assert encode_string(b"x" * 1025) == b"{1025}\r\n" + b"x" * 1025
    assert encode_astring("NIL") == b'"NIL"'
    assert encode_astring("") == b'""'
