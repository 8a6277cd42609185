"""The mailbox commands once more through Python's imaplib, the way scripts use it.

imaplib checks little on its own, so these mostly confirm that roost's replies
fit what imaplib parses (untagged data it files by name, tagged codes).
"""

from __future__ import annotations

import imaplib

import pytest

MSG = b"From: lib@example.org\r\nSubject: imaplib\r\n\r\nbody\r\n"


def test_namespace_and_id(imap):
    typ, data = imap.namespace()
    assert typ == "OK" and data == [b'(("" "/")) NIL NIL']
    typ, data = imap.xatom("ID", '("name" "imaplib")')
    assert typ == "OK"
    assert imap.response("ID")[1][0] is not None


def test_mailbox_lifecycle(imap):
    assert imap.create("Projects/2024")[0] == "OK"
    assert imap.rename("Projects", "Work")[0] == "OK"
    typ, data = imap.list('""', "Work*")
    assert typ == "OK" and len(data) == 2
    assert imap.subscribe("Work/2024")[0] == "OK"
    typ, data = imap.lsub('""', "Work*")
    assert typ == "OK" and [line.endswith(b"Work/2024") for line in data] == [True]
    assert imap.unsubscribe("Work/2024")[0] == "OK"
    assert imap.lsub('""', "Work*")[1] == [None]
    assert imap.delete("Work/2024")[0] == "OK"
    assert imap.delete("Work")[0] == "OK"
    typ, data = imap.delete("Work")
    assert typ == "NO"


def test_status_with_size(imap):
    imap.append("INBOX", "(\\Deleted)", None, MSG)
    typ, data = imap.status("INBOX", "(MESSAGES DELETED SIZE UIDNEXT)")
    assert typ == "OK"
    assert data[0].startswith(b"INBOX (") or data[0].startswith(b'"INBOX" (')
    words = data[0].split(b"(")[1].rstrip(b")").split()
    got = dict(zip(words[::2], (int(w) for w in words[1::2]), strict=True))
    assert got == {b"MESSAGES": 1, b"DELETED": 1, b"SIZE": len(MSG), b"UIDNEXT": 2}


def test_unselect_and_uid_expunge(imap):
    for _ in range(3):
        imap.append("INBOX", "(\\Deleted)", None, MSG)
    imap.select("INBOX")
    typ, data = imap.uid("EXPUNGE", "2")
    assert typ == "OK"
    assert imap.response("EXPUNGE")[1] == [b"2"]
    assert imap.unselect()[0] == "OK"
    assert imap.state == "AUTH"
    typ, data = imap.status("INBOX", "(MESSAGES)")
    assert data[0].endswith(b"(MESSAGES 2)")


def test_simple_command_enable_rev2(imap):
    typ, data = imap._simple_command("ENABLE", "IMAP4rev2")
    assert typ == "OK"
    assert imap.response("ENABLED")[1] == [b"IMAP4rev2"]
    imap.append("INBOX", None, None, MSG)
    imap.select("INBOX")
    typ, data = imap._simple_command("SEARCH", "RETURN", "(COUNT)", "ALL")
    assert typ == "OK"
    esearch = imap.response("ESEARCH")[1][0]
    assert esearch.endswith(b"COUNT 1")


def test_error_replies_raise_or_return_no(imap):
    assert imap.select("Nowhere")[0] == "NO"
    with pytest.raises(imaplib.IMAP4.error):
        imap.xatom("XYZZY")  # BAD raises in imaplib
    assert imap.noop()[0] == "OK"
