"""APPEND and MULTIAPPEND."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from roost.protocol.commands import Append, AppendMessage
from roost.session.state import Reply
from tests.session.harness import message


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def test_append_with_flags_and_date(client, store):
    inbox = client.mailbox_id()
    validity = store.status(inbox).uidvalidity
    data = message(1)
    lines = client.run(
        b'a APPEND INBOX (\\Seen $Work) "05-Jan-2024 10:11:12 +0200" ' + literal(data)
    )
    assert lines == [f"a OK [APPENDUID {validity} 1] APPEND completed"]
    meta = store.fetch_meta(inbox, [1])[0]
    assert meta.flags == frozenset({"\\Seen", "$Work"})
    assert meta.internaldate == datetime(
        2024, 1, 5, 10, 11, 12, tzinfo=timezone(timedelta(hours=2))
    )
    assert store.read_message(meta.blob_id) == data


def test_multiappend_gives_a_uid_set(client, store):
    client.run(b"a APPEND INBOX " + literal(message(1)))
    validity = store.status(client.mailbox_id()).uidvalidity
    lines = client.run(
        b"b APPEND inbox "
        + literal(message(2))
        + b" (\\Flagged) "
        + literal(message(3))
        + b" "
        + literal(message(4))
    )
    assert lines == [f"b OK [APPENDUID {validity} 2:4] APPEND completed"]


def test_append_refusals(client, store):
    big = b"x" * (client.config.max_literal_size + 1)
    assert client.run(b"a APPEND Nowhere " + literal(b"hello")) == [
        "a NO [TRYCREATE] Mailbox does not exist"
    ]
    assert client.run(b"b APPEND INBOX " + literal(big)) == ["b NO [TOOBIG] Message too large"]
    assert client.run(b"c APPEND INBOX {0}\r\n") == ["c BAD Empty message"]
    # the parser refuses these already; the handler does not rely on it
    odd = Append("d", "INBOX", (AppendMessage(("\\Bogus",), None, b"x"),))
    assert client.session.execute(odd).reply == Reply("BAD", "Invalid system flag \\Bogus")
    recent = Append("d", "INBOX", (AppendMessage(("\\Recent", "\\Seen"), None, b"x"),))
    assert client.session.execute(recent).reply.status == "OK"
    uid = store.message_flags(client.mailbox_id())[0].uid
    assert store.message_flags(client.mailbox_id())[0].flags == {"\\Seen"}
    store.store_flags(client.mailbox_id(), [uid], "+", ["\\Deleted"])
    store.expunge(client.mailbox_id())
    # a failed MULTIAPPEND adds nothing at all
    assert client.run(b"e APPEND INBOX " + literal(b"ok") + b" " + literal(big))[0].startswith(
        "e NO [TOOBIG]"
    )
    assert store.message_flags(client.mailbox_id()) == []


def test_append_to_placeholder_is_trycreate(client):
    client.run("a CREATE p/c")
    client.run("b DELETE p")
    assert client.run(b"c APPEND p " + literal(b"hi")) == [
        "c NO [TRYCREATE] Mailbox does not exist"
    ]


def test_append_to_selected_mailbox_reports_exists(client, store):
    client.run("a SELECT INBOX")
    validity = store.status(client.mailbox_id()).uidvalidity
    assert client.run(b"b APPEND INBOX " + literal(message(1))) == [
        "* 1 EXISTS",
        "* 1 RECENT",
        f"b OK [APPENDUID {validity} 1] APPEND completed",
    ]


def test_utf8_data_needs_enable(client, store):
    data = "Subject: Grüße\r\n\r\nHallo\r\n".encode()
    command = b"a APPEND INBOX UTF8 (~{%d}\r\n" % len(data) + data + b")"
    assert client.run(command) == ["a BAD UTF8 data needs ENABLE UTF8=ACCEPT"]
    client.run("b ENABLE UTF8=ACCEPT")
    assert client.run(command.replace(b"a APPEND", b"c APPEND"))[0].startswith("c OK [APPENDUID ")
