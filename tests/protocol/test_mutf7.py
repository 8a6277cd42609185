"""Modified UTF-7 (RFC 3501 5.1.3): RFC examples, canonical-only decoding, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol.mutf7 import decode_mutf7, encode_mutf7

EXAMPLES = [
    ("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-"),
    ("~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-"),  # RFC 3501's order
    ("INBOX", "INBOX"),
    ("", ""),
    ("&", "&-"),
    ("a&b", "a&-b"),
    ("&&", "&-&-"),
    ("Entwürfe", "Entw&APw-rfe"),
    ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
    ("£", "&AKM-"),
    ("££", "&AKMAow-"),
    ("€", "&IKw-"),
    ("😀", "&2D3eAA-"),  # outside the BMP: a surrogate pair
    ("tab\there", "tab&AAk-here"),  # control characters are encoded too
    ("del\x7f", "del&AH8-"),
    ("x-y", "x-y"),
    ("£-", "&AKM--"),  # a plain "-" right after an encoded run
    ("a & b", "a &- b"),
]


@pytest.mark.parametrize(("text", "wire"), EXAMPLES)
def test_encode_examples(text: str, wire: str) -> None:
    assert encode_mutf7(text) == wire


@pytest.mark.parametrize(("text", "wire"), EXAMPLES)
def test_decode_examples(text: str, wire: str) -> None:
    assert decode_mutf7(wire) == text


@pytest.mark.parametrize(
    "wire",
    [
        "&",  # never closed
        "abc&AKM",  # never closed
        "&AGE-",  # printable "a" in base64
        "&ACY-",  # "&" in base64 (must be "&-")
        "&AKM-&AKM-",  # two runs where one would do
        "&AKN-",  # non-zero padding bits
        "&A-",  # one base64 character cannot hold a byte
        "&AK-",  # 12 bits: not a whole UTF-16 unit
        "&AKM=-",  # padding is not part of modified base64
        "&AK/-",  # "/" is not in the modified alphabet
        "&Jjo!-",
        "&2D0-",  # lone high surrogate
        "&3gA-",  # lone low surrogate
        "Entwürfe",  # 8-bit characters must be encoded
        "tab\there",  # so must control characters
        "\x7f",
    ],
)
def test_decode_rejects(wire: str) -> None:
    with pytest.raises(ValueError):
        decode_mutf7(wire)


def test_encode_rejects_lone_surrogate() -> None:
    with pytest.raises(ValueError):
        encode_mutf7("\ud800")


def test_encoded_output_is_printable_ascii() -> None:
    wire = encode_mutf7("Ärger/日本/\x00/😀")
    assert all(0x20 <= ord(c) <= 0x7E for c in wire)


@settings(max_examples=300)
@given(st.text())
def test_round_trip(text: str) -> None:
    wire = encode_mutf7(text)
    assert all(0x20 <= ord(c) <= 0x7E for c in wire)
    assert decode_mutf7(wire) == text


@settings(max_examples=300)
@given(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E)))
def test_decode_is_canonical(wire: str) -> None:
    """Any printable string either fails to decode or is exactly the canonical encoding."""
    try:
        text = decode_mutf7(wire)
    except ValueError:
        return
    assert encode_mutf7(text) == wire


@settings(max_examples=200)
@given(st.text(alphabet="&-AKMa,+0", max_size=12))
def test_decode_is_canonical_dense(wire: str) -> None:
    """The same with an alphabet that makes shift sequences likely."""
    try:
        text = decode_mutf7(wire)
    except ValueError:
        return
    assert encode_mutf7(text) == wire
