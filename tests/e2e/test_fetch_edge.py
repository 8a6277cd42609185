"""FETCH on harder mail: address groups, nested multiparts, big and odd messages.

RFC 9051 7.5.2 (group syntax in ENVELOPE, multipart section numbers, MIME
headers of multipart parts), 6.4.5 (HEADER/TEXT of messages without a body).
"""

from __future__ import annotations

import base64
import os

import pytest

from .conftest import append
from .imapwire import Lit, text
from .oracle import check_bodystructure, envelope_values, parse_message


def fetch(raw, seq: int, items: str) -> dict:
    result = raw.command(f"FETCH {seq} ({items})")
    assert result.ok, (items, result)
    return result.fetches()[seq]


@pytest.fixture
def one(raw):
    """Append one message, select INBOX, return its sequence number (always 1)."""

    def put(data: bytes) -> int:
        append(raw, "INBOX", data)
        assert raw.command("SELECT INBOX").ok
        return 1

    return put


def test_envelope_groups_and_quoting(raw, one, sample):
    seq = one(sample["related"])
    env = envelope_values(fetch(raw, seq, "ENVELOPE")["ENVELOPE"])
    joe = [('Joe "Q" Public', None, "joe", "example.com")]
    end = (None, None, None, None)
    assert env == [
        "Mon, 06 Mar 2023 14:00:00 +0100",
        'Newsletter with "quotes" and \\backslash',
        joe,
        joe,
        joe,
        [(None, None, "undisclosed-recipients", None), end],
        [
            (None, None, "Team", None),
            (None, None, "ann", "example.com"),
            ("Ben B.", None, "ben", "example.com"),
            end,
            (None, None, "solo", "example.com"),
        ],
        None,
        None,
        "<related.1@example.com>",
    ]


def test_nested_multipart_sections(raw, one, sample):
    data = sample["related"]
    seq = one(data)
    alt_header = b'Content-Type: multipart/alternative; boundary="alt"\r\n\r\n'
    alt_body = data.split(alt_header)[1].split(b"\r\n--top\r\nContent-Type: application/pdf")[0]
    tree = parse_message(data)
    png = tree.get_payload(0).get_payload(1).get_payload(1)
    items = "BODY.PEEK[1] BODY.PEEK[1.MIME] BODY.PEEK[1.1] BODY.PEEK[1.2.1] BINARY.PEEK[1.2.2]"
    entry = fetch(raw, seq, items + " BINARY.PEEK[2] BODY.PEEK[2.MIME]")
    assert entry["BODY[1]"] == alt_body
    assert entry["BODY[1.MIME]"] == alt_header
    assert entry["BODY[1.1]"] == b"Plain newsletter.\r\n"
    assert entry["BODY[1.2.1]"].startswith(b"<p>HTML newsletter")
    assert entry["BINARY[1.2.2]"] == png.get_payload(decode=True)
    assert entry["BINARY[2]"] == b"%PDF-1.4\n"
    assert entry["BODY[2.MIME]"].startswith(b'Content-Type: application/pdf; name="issue.pdf"\r\n')


def test_nested_multipart_bodystructure_extension_fields(raw, one, sample):
    seq = one(sample["related"])
    value = fetch(raw, seq, "BODYSTRUCTURE")["BODYSTRUCTURE"]
    check_bodystructure(value, parse_message(sample["related"]))
    pdf = value[1]
    assert text(pdf[7]) == "Q2hlY2sgSW50ZWdyaXR5IQ=="  # md5
    assert text(pdf[10]) == "http://example.com/issue.pdf"  # location
    related = value[0][1]
    assert text(related[2]).lower() == "related"


def test_message_rfc822_size_and_lines(raw, one, sample):
    data = sample["nested"]
    inner = data.split(b"Forwarded message\r\n\r\n")[1].split(b"\r\n--outer--")[0]
    seq = one(data)
    part = fetch(raw, seq, "BODYSTRUCTURE")["BODYSTRUCTURE"][1]
    assert int(part[6]) == len(inner)
    assert int(part[9]) in (inner.count(b"\n"), inner.count(b"\n") + 1)


def test_large_message(raw, one):
    blob = os.urandom(3 * 1024 * 1024)
    encoded = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    data = (
        b"Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + encoded
        + b"--b--\r\n"
    )
    seq = one(data)
    entry = fetch(raw, seq, "RFC822.SIZE BODY.PEEK[] BINARY.SIZE[2]")
    assert int(entry["RFC822.SIZE"]) == len(data)
    assert entry["BODY[]"] == data
    assert int(entry["BINARY.SIZE[2]"]) == len(blob)
    assert fetch(raw, seq, "BINARY.PEEK[2]")["BINARY[2]"] == blob
    window = fetch(raw, seq, "BODY.PEEK[]<1000000.5000>")["BODY[]<1000000>"]
    assert window == data[1000000:1005000]


def test_bare_lf_message_kept_exactly(raw, one):
    data = b"Subject: unix\nFrom: lf@example.org\n\nline one\nline two\n"
    seq = one(data)
    entry = fetch(raw, seq, "BODY.PEEK[] RFC822.SIZE")
    assert entry["BODY[]"] == data and int(entry["RFC822.SIZE"]) == len(data)


def test_header_only_message(raw, one):
    data = b"Subject: only a header\r\nFrom: h@example.org\r\n"
    seq = one(data)
    entry = fetch(raw, seq, "BODY.PEEK[HEADER] BODY.PEEK[TEXT] ENVELOPE BODYSTRUCTURE")
    assert entry["BODY[HEADER]"] == data
    assert entry["BODY[TEXT]"] == b""
    assert text(entry["ENVELOPE"][1]) == "only a header"
    assert text(entry["BODYSTRUCTURE"][0]).lower() == "text"


def test_message_without_header(raw, one):
    data = b"\r\nno header at all\r\n"
    seq = one(data)
    entry = fetch(raw, seq, "BODY.PEEK[HEADER] BODY.PEEK[TEXT] ENVELOPE")
    assert entry["BODY[HEADER]"] == b"\r\n"
    assert entry["BODY[TEXT]"] == b"no header at all\r\n"
    assert entry["ENVELOPE"] == [None] * 10


def test_first_of_repeated_fields(raw, one):
    data = b"Subject: first\r\nSubject: second\r\nFrom: a@example.org\r\n\r\nx\r\n"
    seq = one(data)
    entry = fetch(raw, seq, "ENVELOPE BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    assert text(entry["ENVELOPE"][1]) == "first"
    fields = next(v for k, v in entry.items() if k.startswith("BODY[HEADER.FIELDS"))
    assert fields == b"Subject: first\r\nSubject: second\r\n\r\n"  # every occurrence


def test_utf8_envelope_after_enable(raw_connect, sample):
    client = raw_connect("alice")
    assert client.command("ENABLE UTF8=ACCEPT").ok
    append(client, "INBOX", sample["utf8_headers"])
    client.command("SELECT INBOX")
    env = client.command("FETCH 1 (ENVELOPE)").fetches()[1]["ENVELOPE"]
    assert text(env[1]) == "Ünïcödé tést ✓ Straße"
    assert text(env[2][0][0]) == "Jörg Müller"


def test_utf8_append_after_enable(raw_connect, sample):
    client = raw_connect("alice")
    assert client.command("ENABLE UTF8=ACCEPT").ok
    result = client.command("APPEND INBOX UTF8 (", Lit(sample["utf8_headers"], binary=True), ")")
    assert result.ok, result  # RFC 6855 section 4
    client.command("SELECT INBOX")
    assert client.command("FETCH 1 (BODY.PEEK[])").fetches()[1]["BODY[]"] == sample["utf8_headers"]
