"""ENVELOPE known answers (RFC 9051 section 7.5.2)."""

from __future__ import annotations

from roost.mime import analyse
from roost.mime.addresses import parse_address_list
from tests.mime.samples import NESTED, SIMPLE, crlf


def test_simple_envelope_known_answer() -> None:
    assert analyse(SIMPLE).envelope == (
        b'("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'(("Terry Gray" NIL "gray" "cac.washington.edu")) '
        b'((NIL NIL "imap" "cac.washington.edu")) '
        b'((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) '
        b'NIL NIL "<B27397-0100000@cac.washington.edu>")'
    )


def test_sender_reply_to_in_reply_to_bcc() -> None:
    raw = crlf(
        "From: a@x.org\nSender: Sec <s@x.org>\nReply-To: r@x.org\nBcc: hidden@x.org\n"
        "In-Reply-To: <prev@x.org>\nSubject:\n\nbody"
    )
    assert analyse(raw).envelope == (
        b'(NIL "" ((NIL NIL "a" "x.org")) (("Sec" NIL "s" "x.org")) ((NIL NIL "r" "x.org")) '
        b'NIL NIL ((NIL NIL "hidden" "x.org")) "<prev@x.org>" NIL)'
    )


def test_empty_sender_defaults_to_from() -> None:
    raw = crlf("From: a@x.org\nSender:\nReply-To:  \n\n")
    env = analyse(raw).envelope
    assert env.count(b'((NIL NIL "a" "x.org"))') == 3


def test_no_headers_at_all() -> None:
    assert analyse(b"").envelope == b"(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)"


def test_rfc2047_subject_is_not_decoded_and_is_unfolded() -> None:
    raw = crlf(
        "Subject: =?UTF-8?B?w6k=?=\n =?UTF-8?Q?caf=C3=A9?=\nFrom: =?utf-8?q?J=C3=B6rg?= <j@x.de>\n\n"
    )
    env = analyse(raw).envelope
    assert env.startswith(b'(NIL "=?UTF-8?B?w6k=?= =?UTF-8?Q?caf=C3=A9?=" ((')
    assert b'(("=?utf-8?q?J=C3=B6rg?=" NIL "j" "x.de"))' in env


def test_8bit_subject_becomes_literal() -> None:
    raw = "Subject: Grüße\r\n\r\n".encode()
    assert analyse(raw).envelope.startswith(b"(NIL {7}\r\nGr\xc3\xbc\xc3\x9fe NIL")


def test_groups() -> None:
    raw = crlf('To: Friends: a@x.org, "B" <b@y.org>;, c@z.org\nCc: undisclosed-recipients:;\n\n')
    env = analyse(raw).envelope
    assert (
        b'((NIL NIL "Friends" NIL) (NIL NIL "a" "x.org") ("B" NIL "b" "y.org") '
        b'(NIL NIL NIL NIL) (NIL NIL "c" "z.org")) '
        b'((NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL))'
    ) in env


def test_nested_message_envelope() -> None:
    body = analyse(NESTED).bodystructure
    assert (
        b'("Tue, 01 Jan 2002 10:00:00 +0000" "=?ISO-8859-1?Q?Gr=FC=DFe?=" '
        b'(("Gina" NIL "gina" "example.com"))'
    ) in body


def test_address_forms() -> None:
    p = parse_address_list
    assert p(b'"Doe, John" <john@example.com>') == [(b"Doe, John", None, b"john", b"example.com")]
    assert p(b"jane@x.org (Jane D)") == [(b"Jane D", None, b"jane", b"x.org")]
    assert p(b"John Q. Public <@a.com,@b.com:jq@c.com>") == [
        (b"John Q. Public", b"@a.com,@b.com", b"jq", b"c.com")
    ]
    assert p(b'"a b"@[10.0.0.1]') == [(None, None, b"a b", b"[10.0.0.1]")]
    assert p(b"postmaster") == [(None, None, b"postmaster", b"")]
    assert p(b"<>, ,") == []
    assert p(b'"esc \\" q" <q@x>') == [(b'esc " q', None, b"q", b"x")]


def test_broken_addresses_do_not_raise() -> None:
    for value in (
        b"<",
        b'"',
        b"(",
        b"a@",
        b"@",
        b"g:",
        b"g: a@b",
        b">>;;::,,",
        b"<a@b",
        b"\x00\xff",
    ):
        parse_address_list(value)
        analyse(b"From: " + value + b"\r\nTo: " + value + b"\r\n\r\n")


def test_nul_bytes_are_dropped() -> None:
    env = analyse(b"Subject: a\x00b\r\nFrom: x\x00y@z\r\n\r\n").envelope
    assert b"\x00" not in env and b'"ab"' in env and b'"xy" "z"' in env
