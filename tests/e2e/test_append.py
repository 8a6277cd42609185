"""APPEND: flags, internal date, APPENDUID, MULTIAPPEND, literal8 and exact bytes.

RFC 9051 6.3.12, RFC 4315 (UIDPLUS APPENDUID), RFC 3502 (MULTIAPPEND), RFC 3516
(BINARY: literal8 in APPEND), RFC 7888 (LITERAL+).
"""

from __future__ import annotations

import datetime as dt
import imaplib

import pytest

from .conftest import SAMPLES, append, appenduid
from .imapwire import Lit, expand_set

MSG = b"From: x@example.org\r\nSubject: appended\r\n\r\nthe body\r\n"


def fetch_one(raw, uid: int, items: str) -> dict:
    result = raw.command(f"UID FETCH {uid} ({items})")
    assert result.ok, result
    (entry,) = result.fetches().values()
    return entry


@pytest.mark.parametrize("name", SAMPLES)
def test_append_keeps_bytes_exactly(raw, sample, name):
    uid = append(raw, "INBOX", sample[name])
    raw.command("SELECT INBOX")
    entry = fetch_one(raw, uid, "BODY.PEEK[] RFC822.SIZE")
    assert entry["BODY[]"] == sample[name]
    assert int(entry["RFC822.SIZE"]) == len(sample[name])


def test_append_flags_and_date(raw):
    uid = append(
        raw, "INBOX", MSG, flags="\\Seen \\Flagged $Work", date="17-Jul-1996 02:44:25 -0700"
    )
    raw.command("SELECT INBOX")
    entry = fetch_one(raw, uid, "FLAGS INTERNALDATE")
    assert {"\\Seen", "\\Flagged", "$Work"} <= set(entry["FLAGS"])
    assert entry["INTERNALDATE"] == b"17-Jul-1996 02:44:25 -0700"


def test_append_space_padded_day(raw):
    uid = append(raw, "INBOX", MSG, date=" 7-Feb-1994 21:52:25 -0800")
    raw.command("SELECT INBOX")
    stamp = fetch_one(raw, uid, "INTERNALDATE")["INTERNALDATE"]
    parsed = dt.datetime.strptime(stamp.decode().strip(), "%d-%b-%Y %H:%M:%S %z")
    assert parsed == dt.datetime(1994, 2, 7, 21, 52, 25, tzinfo=dt.timezone(dt.timedelta(hours=-8)))


def test_append_without_date_uses_now(raw):
    before = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=2)
    uid = append(raw, "INBOX", MSG)
    raw.command("SELECT INBOX")
    stamp = fetch_one(raw, uid, "INTERNALDATE")["INTERNALDATE"].decode().strip()
    parsed = dt.datetime.strptime(stamp, "%d-%b-%Y %H:%M:%S %z")
    assert before <= parsed <= dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2)


def test_appenduid_matches_uidnext(raw):
    raw.command("CREATE Box")
    status = raw.command("STATUS Box (UIDNEXT UIDVALIDITY)").named("STATUS")[0][1]
    uidnext, uidvalidity = int(status[1]), int(status[3])
    result = raw.command("APPEND Box ", Lit(MSG))
    assert result.ok
    word, validity, uid = result.code.split()
    assert word.upper() == "APPENDUID"
    assert (int(validity), int(uid)) == (uidvalidity, uidnext)


def test_append_to_missing_mailbox_trycreate(raw):
    result = raw.command("APPEND Missing ", Lit(MSG))
    assert result.status == "NO" and result.code == "TRYCREATE"


def test_append_while_selected_reports_exists(raw):
    raw.command("SELECT INBOX")
    result = raw.command("APPEND INBOX ", Lit(MSG))
    assert result.ok
    later = raw.command("NOOP")
    exists = [n for n, _ in result.numbered("EXISTS") + later.numbered("EXISTS")]
    assert exists == [1]


def test_multiappend_raw(raw):
    raw.command("CREATE Multi")
    first, second, third = MSG, MSG.replace(b"appended", b"second"), b"Subject: 3\r\n\r\n3\r\n"
    result = raw.command(
        "APPEND Multi (\\Seen) ",
        Lit(first),
        ' (\\Flagged) "01-Jan-2020 10:00:00 +0000" ',
        Lit(second),
        " ",
        Lit(third),
    )
    assert result.ok, result
    word, _, uids = result.code.split()
    assert word.upper() == "APPENDUID" and len(expand_set(uids)) == 3
    raw.command("SELECT Multi")
    fetched = raw.command("FETCH 1:* (FLAGS INTERNALDATE BODY.PEEK[])").fetches()
    assert [fetched[i]["BODY[]"] for i in (1, 2, 3)] == [first, second, third]
    assert "\\Seen" in fetched[1]["FLAGS"] and "\\Flagged" in fetched[2]["FLAGS"]
    assert fetched[2]["INTERNALDATE"] == b"01-Jan-2020 10:00:00 +0000"


def test_multiappend_is_atomic(raw):
    raw.command("CREATE Atomic")
    result = raw.command("APPEND Atomic ", Lit(MSG), ' "99-Foo-2020 10:00:00 +0000" ', Lit(MSG))
    assert result.status in ("BAD", "NO")
    status = raw.command("STATUS Atomic (MESSAGES)").named("STATUS")[0][1]
    assert status == ["MESSAGES", "0"]  # RFC 3502: all or nothing


def test_multiappend_imapclient(client):
    client.create_folder("Batch")
    client.multiappend("Batch", [MSG, {"msg": MSG, "flags": [b"\\Seen"]}])
    assert client.folder_status("Batch", ["MESSAGES", "UNSEEN"]) == {
        b"MESSAGES": 2,
        b"UNSEEN": 1,
    }


def test_append_nonsync_literal(raw):
    result = raw.command("APPEND INBOX ", Lit(MSG, nonsync=True))
    assert result.ok and not result.continuations


def test_append_literal8(raw):
    data = (
        b"Subject: binary\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        + bytes(range(1, 256))
        + b"\r\n"
    )
    result = raw.command("APPEND INBOX ", Lit(data, binary=True))
    assert result.ok, result
    raw.command("SELECT INBOX")
    entry = fetch_one(raw, int(result.code.split()[2]), "BINARY.PEEK[1] RFC822.SIZE")
    assert entry["BINARY[1]"] == bytes(range(1, 256)) + b"\r\n"
    assert int(entry["RFC822.SIZE"]) == len(data)


def test_append_literal8_with_nul(raw):
    payload = b"\x00\x01binary\x00zeros\r\n"
    data = b"Subject: nul\r\nContent-Transfer-Encoding: binary\r\n\r\n" + payload
    result = raw.command("APPEND INBOX ", Lit(data, binary=True))
    assert result.ok, result
    raw.command("SELECT INBOX")
    entry = fetch_one(raw, int(result.code.split()[2]), "BINARY.PEEK[1]")
    assert entry.get("BINARY[1]") == payload


def test_append_nul_in_plain_literal_refused(raw):
    data = b"Subject: nul\r\n\r\nzero \x00 byte\r\n"
    result = raw.command("APPEND INBOX ", Lit(data))
    assert result.status in ("NO", "BAD")  # a plain literal may not carry NUL (RFC 9051 4.3)


def test_append_imaplib(imap):
    when = imaplib.Time2Internaldate(dt.datetime(2021, 5, 4, 3, 2, 1, tzinfo=dt.UTC))
    typ, data = imap.append("INBOX", "(\\Answered)", when, MSG)
    assert typ == "OK" and b"APPENDUID" in data[0].upper()
    imap.select("INBOX")
    typ, data = imap.fetch("1", "(FLAGS INTERNALDATE BODY.PEEK[])")
    assert typ == "OK"
    assert data[0][1] == MSG
    meta = b"".join(x[0] if isinstance(x, tuple) else x for x in data)
    assert b"\\Answered" in meta and b'"04-May-2021 03:02:01 +0000"' in meta


def test_append_imapclient(client):
    when = dt.datetime(2022, 2, 2, 12, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    uid = appenduid(client.append("INBOX", MSG, flags=[b"\\Draft"], msg_time=when))
    client.select_folder("INBOX")
    data = client.fetch([uid], ["FLAGS", "INTERNALDATE", "BODY.PEEK[]"])[uid]
    assert data[b"BODY[]"] == MSG
    assert b"\\Draft" in data[b"FLAGS"]
    assert data[b"INTERNALDATE"] == when


def test_append_keyword_shows_in_flags(raw):
    append(raw, "INBOX", MSG, flags="$Receipt")
    result = raw.command("SELECT INBOX")
    (flags,) = result.named("FLAGS")
    assert "$Receipt" in flags[0]


def test_append_bad_flag_syntax(raw):
    result = raw.command("APPEND INBOX (\\Seen ", Lit(MSG))
    assert result.status == "BAD"
    assert raw.command("NOOP").ok


def test_append_recent_flag_not_stored(raw):
    result = raw.command("APPEND INBOX (\\Recent) ", Lit(MSG))
    if result.ok:  # servers may refuse \Recent or ignore it, never store it
        raw.command("ENABLE IMAP4rev2")
        raw.command("SELECT INBOX")
        assert "\\Recent" not in raw.command("FETCH 1 (FLAGS)").fetches()[1]["FLAGS"]
    else:
        assert result.status == "BAD"
