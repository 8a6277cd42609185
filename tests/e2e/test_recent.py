"""\\Recent for IMAP4rev1 sessions, and bytes arriving in odd pieces.

RFC 3501 2.3.2 and 6.3.2: a message is \\Recent in exactly one session; EXAMINE
and STATUS must not take it away. RFC 9051 4.3 / RFC 7888: the server reads
commands and literals however TCP splits them, and LITERAL+ needs no "+".
"""

from __future__ import annotations

import socket

from .conftest import PASSWORDS, append, quote
from .imapwire import Result, parse_values

MSG = b"Subject: recent\r\n\r\nnew mail\r\n"


def recent_count(result) -> list[int]:
    return [int(v[0]) for v in map(parse_values, result.untagged) if v[1:2] == ["RECENT"]]


def test_new_mail_is_recent_for_the_selected_session(raw_connect):
    reader, writer = raw_connect("alice"), raw_connect("alice")
    assert recent_count(reader.command("SELECT INBOX")) == [0]
    append(writer, "INBOX", MSG)
    update = reader.command("NOOP")
    assert [n for n, _ in update.numbered("EXISTS")] == [1]
    assert recent_count(update) == [1]
    assert "\\Recent" in reader.command("FETCH 1 (FLAGS)").fetches()[1]["FLAGS"]
    third = raw_connect("alice")
    assert recent_count(third.command("SELECT INBOX")) == [0]
    assert "\\Recent" not in third.command("FETCH 1 (FLAGS)").fetches()[1]["FLAGS"]


def test_examine_and_status_keep_recent(raw_connect):
    writer = raw_connect("alice")
    append(writer, "INBOX", MSG)
    looker = raw_connect("alice")
    assert recent_count(looker.command("EXAMINE INBOX")) == [1]
    status = writer.command("STATUS INBOX (RECENT)").named("STATUS")[0][1]
    assert status == ["RECENT", "1"]
    taker = raw_connect("alice")
    assert recent_count(taker.command("SELECT INBOX")) == [1]  # EXAMINE did not take it


def test_search_recent_and_new(raw_connect):
    writer = raw_connect("alice")
    append(writer, "INBOX", MSG, flags="\\Seen")
    append(writer, "INBOX", MSG)
    reader = raw_connect("alice")
    reader.command("SELECT INBOX")
    assert reader.command("SEARCH RECENT").named("SEARCH") == [["1", "2"]]
    assert reader.command("SEARCH NEW").named("SEARCH") == [["2"]]
    assert reader.command("SEARCH OLD").named("SEARCH") == [[]]


def test_command_sent_byte_by_byte(raw_connect):
    client = raw_connect()
    client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    line = f"b1 LOGIN alice {quote(PASSWORDS['alice'])}\r\n".encode()
    for i in range(len(line)):
        client.send(line[i : i + 1])
    assert client.read_until_tagged(Result("b1", "", None, "")).ok


def test_literal_split_across_packets(raw):
    raw.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    raw.send(b"l1 APPEND INBOX {%d}\r\n" % len(MSG))
    assert raw.read_response().startswith(b"+")
    for i in range(0, len(MSG), 3):
        raw.send(MSG[i : i + 3])
    raw.send(b"\r\n")
    assert raw.read_until_tagged(Result("l1", "", None, "")).ok
    raw.command("SELECT INBOX")
    assert raw.command("FETCH 1 (BODY.PEEK[])").fetches()[1]["BODY[]"] == MSG


def test_literal_plus_pipelined(raw):
    raw.send(
        b"p1 APPEND INBOX {%d+}\r\n" % len(MSG)
        + MSG
        + b"\r\np2 SELECT INBOX\r\np3 FETCH 1 (UID)\r\n"
    )
    results = [raw.read_until_tagged(Result(t, "", None, "")) for t in ("p1", "p2", "p3")]
    assert [r.status for r in results] == ["OK", "OK", "OK"]
    assert results[2].fetches()[1]["UID"] == "1"


def test_logout_from_selected_state(raw):
    raw.command("SELECT INBOX")
    result = raw.command("LOGOUT")
    assert result.ok and result.untagged[-1].startswith(b"BYE")
    assert raw.closed_by_peer()
