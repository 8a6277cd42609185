"""BODY and BODYSTRUCTURE known answers (RFC 9051 section 7.5.2)."""

from __future__ import annotations

from roost.mime import analyse
from tests.mime.samples import ALTERNATIVE, DIGEST, MIXED, NESTED, SIMPLE, crlf


def test_simple_text() -> None:
    a = analyse(SIMPLE)
    assert a.body == b'("text" "plain" ("charset" "US-ASCII") NIL NIL "7BIT" 69 2)'
    assert a.bodystructure == (
        b'("text" "plain" ("charset" "US-ASCII") NIL NIL "7BIT" 69 2 NIL NIL NIL NIL)'
    )


def test_alternative() -> None:
    a = analyse(ALTERNATIVE)
    assert a.body == (
        b'(("text" "plain" ("charset" "utf-8") NIL NIL "QUOTED-PRINTABLE" 34 2)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "7BIT" 12 1) "alternative")'
    )
    assert a.bodystructure == (
        b'(("text" "plain" ("charset" "utf-8") NIL NIL "QUOTED-PRINTABLE" 34 2 NIL NIL NIL NIL)'
        b'("text" "html" ("charset" "utf-8") NIL NIL "7BIT" 12 1 NIL NIL NIL NIL) '
        b'"alternative" ("boundary" "XYZ") NIL NIL NIL)'
    )


def test_mixed_with_attachment() -> None:
    a = analyse(MIXED)
    assert a.bodystructure == (
        b'(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 15 1 NIL NIL NIL NIL)'
        b'("application" "pdf" ("name" "r.pdf") "<pdf1@example.com>" "The report" "BASE64" 34 '
        b'"Q2hlY2sgSW50ZWdyaXR5IQ==" ("attachment" ("filename" "r.pdf")) ("en" "de") '
        b'"http://example.com/r.pdf") "mixed" ("boundary" "outer") NIL NIL NIL)'
    )
    assert a.body == (
        b'(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 15 1)'
        b'("application" "pdf" ("name" "r.pdf") "<pdf1@example.com>" "The report" "BASE64" 34)'
        b' "mixed")'
    )


def test_nested_message() -> None:
    a = analyse(NESTED)
    inner_env = (
        b'("Tue, 01 Jan 2002 10:00:00 +0000" "=?ISO-8859-1?Q?Gr=FC=DFe?=" '
        + b'(("Gina" NIL "gina" "example.com")) ' * 3
        + b'(("Eve" NIL "eve" "example.com")) NIL NIL NIL "<inner@example.com>")'
    )
    size = NESTED.index(b"\r\n--b1--") - (NESTED.index(b"message/rfc822\r\n\r\n") + 18)
    assert a.body == (
        b'(("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 11 1)'
        b'("message" "rfc822" NIL NIL NIL "7BIT" %d '
        % size
        + inner_env
        + b' (("text" "plain" ("charset" "us-ascii") NIL NIL "7BIT" 11 1)'
        b'("text" "html" ("charset" "us-ascii") NIL NIL "7BIT" 17 1) "alternative") 16)'
        b' "mixed")'
    )
    assert b'"alternative" ("boundary" "b2") NIL NIL NIL) 16 NIL NIL NIL NIL)' in a.bodystructure


def test_digest_parts_are_messages() -> None:
    assert analyse(DIGEST).body.startswith(b'(("message" "rfc822" NIL NIL NIL "7BIT" 42 (NIL "one"')


def test_parenthesised_structure_is_balanced() -> None:
    for raw in (SIMPLE, ALTERNATIVE, MIXED, NESTED, DIGEST):
        for value in (analyse(raw).body, analyse(raw).bodystructure):
            depth = 0
            for ch in value.replace(b'\\"', b"").split(b'"')[::2]:
                for c in ch:
                    depth += {40: 1, 41: -1}.get(c, 0)
                    assert depth >= 0
            assert depth == 0


def test_non_text_has_no_lines_and_sizes_are_octets() -> None:
    raw = crlf("Content-Type: image/png\nContent-Transfer-Encoding: base64\n\niVBORw0K\nGgo=\n")
    assert analyse(raw).body == b'("image" "png" NIL NIL NIL "BASE64" 16)'


def test_disposition_without_params_and_single_language() -> None:
    raw = crlf("Content-Disposition: inline\nContent-Language: fr\n\nx")
    assert analyse(raw).bodystructure.endswith(b'"7BIT" 1 1 NIL ("inline" NIL) ("fr") NIL)')
