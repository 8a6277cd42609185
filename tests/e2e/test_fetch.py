"""FETCH: every data item, sections, partials, BINARY, \\Seen side effects and macros.

RFC 9051 6.4.5 and 7.5.2, RFC 3516 (BINARY), RFC 3501 (RFC822* items). ENVELOPE
and BODYSTRUCTURE are compared with Python's email package (``oracle``), and
every section with bytes cut from the sample files themselves.
"""

from __future__ import annotations

import pytest

from .conftest import SAMPLES, append, appenduid
from .imapwire import text
from .oracle import check_bodystructure, envelope_values, expected_envelope, parse_message

WELL_FORMED = [s for s in SAMPLES if s != "malformed"]
# related.eml has address groups, which email.utils.getaddresses cannot express;
# its ENVELOPE is checked by hand in test_fetch_edge.py.
PLAIN_ADDRESSES = [s for s in SAMPLES if s != "related"]


@pytest.fixture
def loaded(raw, sample) -> dict[str, tuple[int, int]]:
    """Every sample appended to INBOX in SAMPLES order: {name: (seq, uid)}; INBOX selected."""
    uids = {name: append(raw, "INBOX", sample[name]) for name in SAMPLES}
    assert raw.command("SELECT INBOX").ok
    return {name: (i, uids[name]) for i, name in enumerate(SAMPLES, 1)}


def fetch(raw, seq: int, items: str, uid: bool = False) -> dict:
    result = raw.command(f"{'UID ' if uid else ''}FETCH {seq} ({items})")
    assert result.ok, (items, result)
    entries = result.fetches()
    assert len(entries) == 1, entries
    return next(iter(entries.values()))


def item(entry: dict, prefix: str):
    """The value of the one item whose name starts with ``prefix`` (spacing may vary)."""
    keys = [k for k in entry if k.replace(" ", "").startswith(prefix.replace(" ", ""))]
    assert len(keys) == 1, (prefix, list(entry))
    return entry[keys[0]]


def header_of(raw: bytes) -> bytes:
    return raw[: raw.index(b"\r\n\r\n") + 4]


def text_of(raw: bytes) -> bytes:
    return raw[raw.index(b"\r\n\r\n") + 4 :]


def flags(raw, seq: int) -> list[str]:
    return list(fetch(raw, seq, "FLAGS")["FLAGS"])


# ---------------------------------------------------------------- simple items


def test_flags_internaldate_size_uid(raw, loaded, sample):
    result = raw.command("FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE UID)")
    entries = result.fetches()
    assert sorted(entries) == list(range(1, len(SAMPLES) + 1))
    for name, (seq, uid) in loaded.items():
        entry = entries[seq]
        assert int(entry["UID"]) == uid
        assert int(entry["RFC822.SIZE"]) == len(sample[name])
        assert isinstance(entry["INTERNALDATE"], bytes) and len(entry["INTERNALDATE"]) == 26
        assert entry["FLAGS"] == [] or "\\Recent" in entry["FLAGS"]


@pytest.mark.parametrize("name", PLAIN_ADDRESSES)
def test_envelope_matches_email_package(raw, loaded, sample, name):
    entry = fetch(raw, loaded[name][0], "ENVELOPE")
    assert envelope_values(entry["ENVELOPE"]) == expected_envelope(sample[name])


@pytest.mark.parametrize("name", WELL_FORMED)
def test_bodystructure_matches_email_package(raw, loaded, sample, name):
    entry = fetch(raw, loaded[name][0], "BODYSTRUCTURE")
    check_bodystructure(entry["BODYSTRUCTURE"], parse_message(sample[name]))


@pytest.mark.parametrize("name", WELL_FORMED)
def test_body_matches_email_package(raw, loaded, sample, name):
    entry = fetch(raw, loaded[name][0], "BODY")
    check_bodystructure(entry["BODY"], parse_message(sample[name]))


def test_bodystructure_of_multipart_has_extension_data(raw, loaded):
    value = fetch(raw, loaded["mixed"][0], "BODYSTRUCTURE")["BODYSTRUCTURE"]
    assert text(value[3]).lower() == "mixed"  # after the three parts
    assert [text(x).lower() for x in value[4]] == ["boundary", "mixed-b1"]
    attachment = value[1]
    assert text(attachment[3]) == "<part2.table@example.net>"
    assert text(attachment[5]).upper() == "BASE64"
    assert text(attachment[8][0]).lower() == "attachment"


def test_malformed_message_is_served(raw, loaded, sample):
    seq = loaded["malformed"][0]
    entry = fetch(raw, seq, "BODYSTRUCTURE BODY.PEEK[] BODY.PEEK[TEXT] RFC822.SIZE")
    assert isinstance(entry["BODYSTRUCTURE"], list)
    assert entry["BODY[]"] == sample["malformed"]
    assert entry["BODY[TEXT]"] == text_of(sample["malformed"])
    assert int(entry["RFC822.SIZE"]) == len(sample["malformed"])


# ---------------------------------------------------------------- sections


@pytest.mark.parametrize("name", SAMPLES)
def test_header_and_text_sections(raw, loaded, sample, name):
    entry = fetch(raw, loaded[name][0], "BODY.PEEK[HEADER] BODY.PEEK[TEXT] BODY.PEEK[]")
    assert entry["BODY[HEADER]"] == header_of(sample[name])
    assert entry["BODY[TEXT]"] == text_of(sample[name])
    assert entry["BODY[]"] == sample[name]


def test_header_fields(raw, loaded):
    entry = fetch(raw, loaded["plain"][0], "BODY.PEEK[HEADER.FIELDS (subject FROM)]")
    assert item(entry, "BODY[HEADER.FIELDS") == (
        b"From: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\n\r\n"
    )


def test_header_fields_keep_folding(raw, loaded, sample):
    entry = fetch(raw, loaded["encoded_headers"][0], "BODY.PEEK[HEADER.FIELDS (SUBJECT)]")
    folded = sample["encoded_headers"].split(b"Subject: ")[1].split(b"\r\nMessage-ID")[0]
    assert item(entry, "BODY[HEADER.FIELDS") == b"Subject: " + folded + b"\r\n\r\n"


def test_header_fields_missing_field(raw, loaded):
    entry = fetch(raw, loaded["plain"][0], "BODY.PEEK[HEADER.FIELDS (X-Nothing)]")
    assert item(entry, "BODY[HEADER.FIELDS") == b"\r\n"


def test_header_fields_not(raw, loaded, sample):
    entry = fetch(raw, loaded["plain"][0], "BODY.PEEK[HEADER.FIELDS.NOT (Date Message-Id To)]")
    keep = [line for line in header_of(sample["plain"]).split(b"\r\n")[:-2]]
    keep = [k for k in keep if not k.lower().startswith((b"date:", b"message-id:", b"to:"))]
    assert item(entry, "BODY[HEADER.FIELDS.NOT") == b"\r\n".join(keep) + b"\r\n\r\n"


def test_nested_parts(raw, loaded, sample):
    data = sample["nested"]
    inner = data.split(b"Forwarded message\r\n\r\n")[1].split(b"\r\n--outer--")[0]
    tree = parse_message(data)
    inner_alt = tree.get_payload(1).get_payload(0)
    items = [
        "1",
        "1.MIME",
        "2",
        "2.MIME",
        "2.HEADER",
        "2.TEXT",
        "2.1",
        "2.1.MIME",
        "2.2",
        "2.HEADER.FIELDS (SUBJECT)",
    ]
    entry = fetch(raw, loaded["nested"][0], " ".join(f"BODY.PEEK[{i}]" for i in items))
    assert entry["BODY[1]"] == tree.get_payload(0).get_payload().encode()
    assert entry["BODY[1.MIME]"] == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    assert entry["BODY[2]"] == inner
    assert entry["BODY[2.MIME]"] == (
        b"Content-Type: message/rfc822\r\nContent-Description: Forwarded message\r\n\r\n"
    )
    assert entry["BODY[2.HEADER]"] == header_of(inner)
    assert entry["BODY[2.TEXT]"] == text_of(inner)
    assert entry["BODY[2.1]"] == inner_alt.get_payload(0).get_payload().encode()
    assert entry["BODY[2.1.MIME]"] == b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
    assert entry["BODY[2.2]"] == inner_alt.get_payload(1).get_payload().encode()
    assert item(entry, "BODY[2.HEADER.FIELDS") == b"Subject: Lunch plans\r\n\r\n"


def test_part_one_of_single_part_message(raw, loaded, sample):
    entry = fetch(raw, loaded["plain"][0], "BODY.PEEK[1]")
    assert entry["BODY[1]"] == text_of(sample["plain"])


def test_missing_part(raw, loaded):
    result = raw.command(f"FETCH {loaded['nested'][0]} (BODY.PEEK[7])")
    if result.ok:  # RFC 9051 allows an empty string or NIL for a part that is not there
        value = next(iter(result.fetches().values()))["BODY[7]"]
        assert value in (b"", None)
    else:
        assert result.status == "NO"


def test_partial_fetch(raw, loaded, sample):
    seq = loaded["plain"][0]
    entry = fetch(raw, seq, "BODY.PEEK[]<0.10> BODY.PEEK[TEXT]<6.4>")
    assert entry["BODY[]<0>"] == sample["plain"][:10]
    assert entry["BODY[TEXT]<6>"] == text_of(sample["plain"])[6:10]
    beyond = fetch(raw, seq, "BODY.PEEK[]<100000.10>")
    assert beyond["BODY[]<100000>"] == b""
    tail = fetch(raw, seq, f"BODY.PEEK[]<{len(sample['plain']) - 5}.100>")
    assert next(iter(v for k, v in tail.items() if k.startswith("BODY[]<"))) == sample["plain"][-5:]


# ---------------------------------------------------------------- BINARY


def test_binary_base64_attachment(raw, loaded, sample):
    tree = parse_message(sample["mixed"])
    seq = loaded["mixed"][0]
    entry = fetch(raw, seq, "BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[3] BINARY.SIZE[3]")
    assert (
        entry["BINARY[2]"] == bytes(range(256)) * 2 == tree.get_payload(1).get_payload(decode=True)
    )
    assert int(entry["BINARY.SIZE[2]"]) == 512
    assert entry["BINARY[3]"] == tree.get_payload(2).get_payload(decode=True)
    assert int(entry["BINARY.SIZE[3]"]) == len(entry["BINARY[3]"])


def test_binary_quoted_printable(raw, loaded, sample):
    tree = parse_message(sample["alternative"])
    entry = fetch(raw, loaded["alternative"][0], "BINARY.PEEK[2] BINARY.SIZE[2] BINARY.PEEK[1]")
    decoded = tree.get_payload(1).get_payload(decode=True)
    assert "Café crème".encode() in decoded
    assert entry["BINARY[2]"] == decoded
    assert int(entry["BINARY.SIZE[2]"]) == len(decoded)
    assert entry["BINARY[1]"] == tree.get_payload(0).get_payload().encode()


def test_binary_partial(raw, loaded):
    entry = fetch(raw, loaded["mixed"][0], "BINARY.PEEK[2]<250.10>")
    assert entry["BINARY[2]<250>"] == (bytes(range(256)) * 2)[250:260]


def test_binary_unknown_encoding(raw):
    msg = (
        b"Subject: uu\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n"
        b"Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 x\r\nend\r\n"
    )
    append(raw, "INBOX", msg)
    raw.command("SELECT INBOX")
    result = raw.command("FETCH 1 (BINARY.PEEK[1])")
    assert result.status == "NO" and result.code == "UNKNOWN-CTE"


# ---------------------------------------------------------------- \Seen side effects


@pytest.mark.parametrize("fetch_item", ["BODY[]", "BODY[TEXT]", "BODY[1]", "BINARY[1]", "RFC822"])
def test_seen_set_by_body(raw, loaded, fetch_item):
    seq = loaded["plain"][0]
    result = raw.command(f"FETCH {seq} ({fetch_item})")
    assert result.ok
    assert "\\Seen" in flags(raw, seq)


@pytest.mark.parametrize(
    "fetch_item",
    ["BODY.PEEK[]", "BODY.PEEK[HEADER]", "BINARY.PEEK[1]", "RFC822.HEADER", "ENVELOPE"],
)
def test_seen_not_set_by_peek(raw, loaded, fetch_item):
    seq = loaded["plain"][0]
    assert raw.command(f"FETCH {seq} ({fetch_item})").ok
    assert "\\Seen" not in flags(raw, seq)


def test_seen_reported_in_same_response(raw, loaded):
    result = raw.command(f"FETCH {loaded['plain'][0]} (BODY[TEXT])")
    (entry,) = result.fetches().values()
    assert "\\Seen" in entry.get("FLAGS", [])  # RFC 9051 6.4.5: the flag change is reported


# ---------------------------------------------------------------- RFC822 items, macros


def test_rfc822_items(raw, loaded, sample):
    seq = loaded["alternative"][0]
    entry = fetch(raw, seq, "RFC822.HEADER RFC822.TEXT RFC822")
    assert entry["RFC822.HEADER"] == header_of(sample["alternative"])
    assert entry["RFC822.TEXT"] == text_of(sample["alternative"])
    assert entry["RFC822"] == sample["alternative"]


@pytest.mark.parametrize(
    "macro, items",
    [
        ("FAST", {"FLAGS", "INTERNALDATE", "RFC822.SIZE"}),
        ("ALL", {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"}),
        ("FULL", {"FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"}),
    ],
)
def test_macros(raw, loaded, macro, items):
    result = raw.command(f"FETCH 1 {macro}")
    assert result.ok
    assert set(result.fetches()[1]) == items


def test_uid_fetch_always_includes_uid(raw, loaded):
    seq, uid = loaded["nested"]
    entries = raw.command(f"UID FETCH {uid} (FLAGS)").fetches()
    assert list(entries) == [seq] and int(entries[seq]["UID"]) == uid


def test_sequence_forms(raw, loaded):
    last = len(SAMPLES)
    assert sorted(raw.command("FETCH * (UID)").fetches()) == [last]
    assert sorted(raw.command("FETCH 2:4 (UID)").fetches()) == [2, 3, 4]
    assert sorted(raw.command("FETCH 4:2 (UID)").fetches()) == [2, 3, 4]
    assert sorted(raw.command("FETCH 1,3,5:* (UID)").fetches()) == [1, 3, *range(5, last + 1)]
    assert raw.command("UID FETCH 99999 (FLAGS)").fetches() == {}
    assert raw.command(f"FETCH {last + 5} (FLAGS)").status in ("NO", "BAD")


def test_uid_star_on_range_beyond(raw, loaded):
    _, last_uid = loaded[SAMPLES[-1]]
    result = raw.command(f"UID FETCH {last_uid + 100}:* (UID)")
    # "n:*" always includes the highest UID, even when n is larger (RFC 9051 6.4.8)
    assert [int(e["UID"]) for e in result.fetches().values()] == [last_uid]


# ---------------------------------------------------------------- real clients


def test_fetch_imaplib(imap, sample):
    for name in ("plain", "mixed"):
        imap.append("INBOX", None, None, sample[name])
    imap.select("INBOX")
    typ, data = imap.fetch("1:2", "(UID BODY.PEEK[])")
    assert typ == "OK"
    bodies = [part[1] for part in data if isinstance(part, tuple)]
    assert bodies == [sample["plain"], sample["mixed"]]
    typ, data = imap.uid("FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    subjects = [part[1] for part in data if isinstance(part, tuple)]
    assert subjects == [
        b"Subject: afternoon meeting\r\n\r\n",
        b"Subject: Files you asked for\r\n\r\n",
    ]


def test_fetch_imapclient(client, sample):
    uid = appenduid(client.append("INBOX", sample["alternative"]))
    client.select_folder("INBOX")
    data = client.fetch([uid], ["ENVELOPE", "BODYSTRUCTURE", "BODY.PEEK[]", "RFC822.SIZE"])[uid]
    assert data[b"BODY[]"] == sample["alternative"]
    assert data[b"RFC822.SIZE"] == len(sample["alternative"])
    env = data[b"ENVELOPE"]
    assert env.subject == b"Quarterly figures"
    assert (env.from_[0].name, env.from_[0].mailbox, env.from_[0].host) == (
        b"Doe, Jane",
        b"jane.doe",
        b"example.com",
    )
    assert [a.mailbox for a in env.to] == [b"alice", b"bob"]
    assert env.sender[0].host == b"lists.example.com"
    assert env.in_reply_to == b"<earlier.1@example.com>"
    body = data[b"BODYSTRUCTURE"]
    assert body.is_multipart
    assert [p[1].lower() for p in body[0]] == [b"plain", b"html"]
    assert body[1].lower() == b"alternative"
