"""Part tree and byte offsets, checked by known answers and against Python's email package."""

from __future__ import annotations

import email
import email.policy
import json

import pytest

from roost.mime import Part, analyse, binary_bytes
from roost.mime.structure import MAX_DEPTH
from tests.mime.samples import ALTERNATIVE, DIGEST, MIXED, NESTED, SIMPLE, crlf


def leaves(root: Part) -> list[tuple[tuple[int, ...], Part]]:
    """(IMAP part number, part) of every leaf, numbered as RFC 9051 section 6.4.5 says."""
    top = root.children if root.type == "multipart" else [root]
    return _numbered(top, ())


def _numbered(parts: list[Part], prefix: tuple[int, ...]) -> list[tuple[tuple[int, ...], Part]]:
    out = []
    for n, part in enumerate(parts, 1):
        number = prefix + (n,)
        if part.type == "multipart":
            out += _numbered(part.children, number)
        elif part.is_message:
            inner = part.children[0]
            out += _numbered(inner.children if inner.type == "multipart" else [inner], number)
        else:
            out.append((number, part))
    return out


def oracle_leaves(raw: bytes) -> list[tuple[str, bytes]]:
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    out = []
    for m in msg.walk():
        if m.is_multipart():
            continue
        out.append((m.get_content_type(), m.get_payload(decode=True)))
    return out


@pytest.mark.parametrize("raw", [SIMPLE, ALTERNATIVE, MIXED, NESTED, DIGEST])
def test_leaves_agree_with_email_package(raw: bytes) -> None:
    root = analyse(raw).structure
    ours = [(f"{p.type}/{p.subtype}", binary_bytes(raw, root, n)) for n, p in leaves(root)]
    assert ours == oracle_leaves(raw)


def test_simple_offsets() -> None:
    root = analyse(SIMPLE).structure
    assert root.header_start == 0
    assert SIMPLE[: root.body_start].endswith(b"US-ASCII\r\n\r\n")
    assert SIMPLE[root.body_start : root.body_end].startswith(b"Hello Joe")
    assert root.body_end == len(SIMPLE)
    assert (root.type, root.subtype, root.params) == ("text", "plain", [("charset", "US-ASCII")])
    assert root.lines == 2
    assert root.children == []


def test_multipart_boundaries_exclude_delimiter_line_break() -> None:
    root = analyse(ALTERNATIVE).structure
    plain, html = root.children
    assert ALTERNATIVE[plain.header_start :].startswith(b"Content-Type: text/plain")
    assert ALTERNATIVE[plain.body_start : plain.body_end] == b"Caf=C3=A9 au lait =\r\ntout de suite"
    assert ALTERNATIVE[html.body_start : html.body_end] == "<p>Café</p>".encode()
    assert plain.encoding == "QUOTED-PRINTABLE"
    assert html.params == [("charset", "utf-8")]


def test_mixed_attachment_fields() -> None:
    pdf = analyse(MIXED).structure.children[1]
    assert (pdf.type, pdf.subtype) == ("application", "pdf")
    assert pdf.encoding == "BASE64"
    assert pdf.id == "<pdf1@example.com>"
    assert pdf.description == "The report"
    assert pdf.md5 == "Q2hlY2sgSW50ZWdyaXR5IQ=="
    assert pdf.disposition == ("attachment", [("filename", "r.pdf")])
    assert pdf.language == ["en", "de"]
    assert pdf.location == "http://example.com/r.pdf"


def test_nested_message_is_a_child() -> None:
    root = analyse(NESTED).structure
    msg = root.children[1]
    assert msg.is_message
    inner = msg.children[0]
    assert inner.header_start == msg.body_start and inner.body_end == msg.body_end
    assert NESTED[inner.header_start :].startswith(b"From: Gina")
    assert [c.subtype for c in inner.children] == ["plain", "html"]
    assert msg.lines == NESTED[msg.body_start : msg.body_end].count(b"\n") + 1


def test_digest_default_type() -> None:
    root = analyse(DIGEST).structure
    first, second = root.children
    assert (first.type, first.subtype) == ("message", "rfc822")
    assert first.children[0].body_end - first.children[0].body_start == len(b"first")
    assert (second.type, second.subtype) == ("text", "plain")


def test_bare_lf_message_offsets_are_exact() -> None:
    raw = ALTERNATIVE.replace(b"\r\n", b"\n")
    root = analyse(raw).structure
    plain, html = root.children
    assert raw[plain.body_start : plain.body_end] == b"Caf=C3=A9 au lait =\ntout de suite"
    assert raw[html.body_start : html.body_end] == "<p>Café</p>".encode()
    assert plain.lines == 2


def test_missing_close_delimiter_runs_to_end() -> None:
    raw = crlf("Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n")
    root = analyse(raw).structure
    assert [raw[c.body_start : c.body_end] for c in root.children] == [b"one", b"two\r\n"]


def test_prefix_boundaries_and_transport_padding() -> None:
    raw = crlf(
        "Content-Type: multipart/mixed; boundary=ab\n\n"
        "--ab  \nContent-Type: multipart/alternative; boundary=abc\n\n"
        "--abc\n\nx\n--abc--\n--ab--\t\n"
    )
    root = analyse(raw).structure
    assert len(root.children) == 1
    inner = root.children[0]
    assert inner.subtype == "alternative"
    assert [raw[c.body_start : c.body_end] for c in inner.children] == [b"x"]


def test_multipart_without_boundary_gets_one_text_part() -> None:
    raw = crlf("Content-Type: multipart/mixed\n\nsome text\n")
    root = analyse(raw).structure
    (only,) = root.children
    assert (only.type, only.subtype) == ("text", "plain")
    assert raw[only.body_start : only.body_end] == b"some text\r\n"
    assert analyse(raw).bodystructure.startswith(b'(("text" "plain"')


def test_no_blank_line_and_no_header() -> None:
    assert analyse(b"Subject: x\r\n").structure.body_start == 12
    root = analyse(b"just text\r\nmore\r\n").structure
    assert (root.header_start, root.body_start) == (0, 0)
    assert root.lines == 2


def test_invalid_content_type_defaults_to_text_plain() -> None:
    root = analyse(b"Content-Type: garbage\r\n\r\nx").structure
    assert (root.type, root.subtype) == ("text", "plain")


def test_depth_is_capped() -> None:
    raw = b""
    for _ in range(MAX_DEPTH + 20):
        raw = b"Content-Type: message/rfc822\r\n\r\n" + raw
    root = analyse(raw).structure
    depth, part = 0, root
    while part.children:
        part, depth = part.children[0], depth + 1
    assert depth == MAX_DEPTH
    assert (part.type, part.subtype) == ("application", "octet-stream")


def test_rfc2231_continuations_joined() -> None:
    raw = crlf(
        "Content-Type: application/x-stuff;\n title*0*=us-ascii'en'This%20is;\n"
        ' title*1="even more"; plain=a b.txt\n\nx'
    )
    root = analyse(raw).structure
    assert root.params == [("title*", "us-ascii'en'This%20iseven more"), ("plain", "a b.txt")]


def test_json_round_trip() -> None:
    for raw in (SIMPLE, ALTERNATIVE, MIXED, NESTED, DIGEST, b"\xff\xfeX-\x80: \xc3(\r\n\r\n"):
        root = analyse(raw).structure
        text = root.to_json()
        assert text.isascii() and len(text) < len(json.dumps(json.loads(text)))
        assert Part.from_json(text) == root


def test_json_keeps_8bit_header_bytes() -> None:
    raw = b'Content-Type: text/plain; name="\xe9t\xc3\xa9"\r\nContent-ID: <\xff>\r\n\r\nx'
    root = Part.from_json(analyse(raw).structure.to_json())
    assert root.param("name") == b"\xe9t\xc3\xa9".decode("utf-8", "surrogateescape")
    assert b'"name" {4}\r\n\xe9t\xc3\xa9' in analyse(raw).bodystructure
