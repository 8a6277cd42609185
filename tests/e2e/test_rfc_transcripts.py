"""The examples of RFC 9051 (and RFC 3501 for rev1) replayed against roost.

Each test quotes an example's server lines, adapted to our mailbox contents
(numbers, UIDs), and compares with ``transcript.expect``. Section numbers are
RFC 9051's unless noted.
"""

from __future__ import annotations

import pytest

from .conftest import append, list_entries, load_sample
from .imapwire import Lit, apply_expunges
from .transcript import expect


def msg(i: int) -> bytes:
    sender = "John Smith <smith@example.com>" if i == 4 else f"User {i} <user{i}@example.org>"
    return (
        f"Date: {i:02d} Mar 1994 10:00:00 -0800\r\nFrom: {sender}\r\n"
        f"Subject: message {i}\r\nTo: alice@example.org\r\n\r\nbody {i}\r\n"
    ).encode()


def fill(raw, flags: dict[int, str], count: int = 11) -> list[int]:
    """``count`` messages in INBOX; message 1 is from January 1994, the rest from March."""
    uids = []
    for i in range(1, count + 1):
        date = "01-Jan-1994 10:00:00 -0800" if i == 1 else f"{i:02d}-Mar-1994 10:00:00 -0800"
        uids.append(append(raw, "INBOX", msg(i), flags.get(i, ""), date))
    return uids


@pytest.fixture
def rev2(raw):
    assert raw.command("ENABLE IMAP4rev2").ok
    return raw


# ---------------------------------------------------------------- 6.1 / 6.3 any state, mailboxes


def test_6_1_1_capability(raw):
    expect(
        raw.command("CAPABILITY", tag="abcd"),
        ["* CAPABILITY <...>", "abcd OK CAPABILITY completed"],
    )
    assert raw.command("CAPABILITY").untagged[0].upper().count(b"IMAP4REV2") == 1


def test_6_1_3_logout(raw):
    expect(raw.command("LOGOUT", tag="A023"), ["* BYE IMAP4rev2 Server logging out", "A023 OK"])


def test_6_3_1_enable(raw):
    expect(raw.command("ENABLE IMAP4rev2", tag="t2"), ["* ENABLED IMAP4rev2", "t2 OK foo"])


def test_6_3_2_select(rev2):
    fill(rev2, {}, count=3)
    expect(
        rev2.command("SELECT INBOX", tag="A142"),
        [
            "* 3 EXISTS",
            "* OK [UIDVALIDITY <*>] UIDs valid",
            "* OK [UIDNEXT 4] Predicted next UID",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            "* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Limited",
            '* LIST <*> "/" INBOX',
            "A142 OK [READ-WRITE] SELECT completed",
        ],
    )


def test_6_3_3_examine(rev2):
    fill(rev2, {}, count=2)
    expect(
        rev2.command("EXAMINE INBOX", tag="A932"),
        [
            "* 2 EXISTS",
            "* OK [UIDVALIDITY <*>] UIDs valid",
            "* OK [UIDNEXT 3] Predicted next UID",
            "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)",
            '* LIST <*> "/" INBOX',
            "A932 OK [READ-ONLY] EXAMINE completed",
        ],
    )


def test_6_3_4_create(rev2):
    expect(rev2.command('CREATE "owatagusiam/"', tag="A003"), ["A003 OK CREATE completed"])
    expect(rev2.command("CREATE owatagusiam/blurdybloop", tag="A004"), ["A004 OK"])
    expect(
        rev2.command('LIST "" "owatagusiam*"', tag="A005"),
        ['* LIST <*> "/" owatagusiam', '* LIST <*> "/" owatagusiam/blurdybloop', "A005 OK"],
    )


def test_6_3_5_delete(rev2):
    for name in ("blurdybloop", "foo", "foo/bar"):
        rev2.command(f"CREATE {name}")
    expect(
        rev2.command('LIST "" "blurdybloop"', tag="A81"), ['* LIST <*> "/" blurdybloop', "A81 OK"]
    )
    expect(
        rev2.command('LIST "" "foo*"', tag="A82"),
        ['* LIST <*> "/" foo', '* LIST <*> "/" foo/bar', "A82 OK LIST completed"],
    )
    expect(rev2.command("DELETE blurdybloop", tag="A83"), ["A83 OK DELETE completed"])
    expect(rev2.command("DELETE foo", tag="A84"), ["A84 OK DELETE completed"])
    result = rev2.command('LIST "" "foo*"', tag="A85")
    expect(result, ['* LIST <*> "/" foo', '* LIST <*> "/" foo/bar', "A85 OK"])
    assert "\\noselect" in list_entries(result)["foo"][0]
    expect(rev2.command('LIST "" "blurdybloop"', tag="A86"), ["A86 OK"])
    expect(rev2.command("DELETE foo", tag="A87"), ["A87 NO has inferior hierarchical names"])


def test_6_3_6_rename(rev2):
    for name in ("blurdybloop", "foo/bar"):
        rev2.command(f"CREATE {name}")
    expect(rev2.command("RENAME blurdybloop sarasoop", tag="A683"), ["A683 OK"])
    expect(rev2.command("RENAME foo zowie", tag="A684"), ["A684 OK"])
    expect(
        rev2.command('LIST "" "zowie*"', tag="A685"),
        ['* LIST <*> "/" zowie', '* LIST <*> "/" zowie/bar', "A685 OK"],
    )
    expect(rev2.command('LIST "" "sarasoop"', tag="A686"), ['* LIST <*> "/" sarasoop', "A686 OK"])
    expect(rev2.command('LIST "" "foo*"', tag="A687"), ["A687 OK"])


def test_6_3_9_list_root(rev2):
    expect(rev2.command('LIST "" ""', tag="A101"), ['* LIST (\\Noselect) "/" ""', "A101 OK"])


def test_6_3_9_list_return_status(rev2):
    fill(rev2, {1: "\\Seen"}, count=3)
    rev2.command("CREATE foo")
    expect(
        rev2.command('LIST "" "INBOX" RETURN (STATUS (MESSAGES UNSEEN))', tag="A01"),
        ['* LIST <*> "/" INBOX', "* STATUS INBOX (MESSAGES 3 UNSEEN 2)", "A01 OK"],
    )


def test_6_3_10_namespace(rev2):
    expect(rev2.command("NAMESPACE", tag="A001"), ['* NAMESPACE (("" "/")) NIL NIL', "A001 OK"])


def test_6_3_11_status(rev2):
    rev2.command("CREATE blurdybloop")
    for _ in range(2):
        append(rev2, "blurdybloop", msg(1))
    expect(
        rev2.command("STATUS blurdybloop (UIDNEXT MESSAGES)", tag="A042"),
        ["* STATUS blurdybloop (MESSAGES 2 UIDNEXT 3)", "A042 OK STATUS completed"],
    )


def test_6_3_12_append(rev2):
    rev2.command("CREATE saved-messages")
    data = load_sample("plain")
    assert len(data) == 326  # the literal size of RFC 9051's example
    result = rev2.command("APPEND saved-messages (\\Seen) ", Lit(data), tag="A003")
    expect(result, ["A003 OK [APPENDUID <*> 1] APPEND completed"])
    assert result.continuations  # "+ Ready for literal data" came before the literal


def test_6_3_13_idle(raw_connect):
    watcher, other = raw_connect("alice"), raw_connect("alice")
    fill(watcher, {}, count=3)
    watcher.command("ENABLE IMAP4rev2")
    watcher.command("SELECT INBOX")
    watcher.send(b"A002 IDLE\r\n")
    assert watcher.read_response().startswith(b"+")
    append(other, "INBOX", msg(4))
    assert watcher.read_response() == b"* 4 EXISTS"
    watcher.send(b"DONE\r\n")
    assert watcher.read_response().startswith(b"A002 OK")


# ---------------------------------------------------------------- 6.4 selected state


def test_6_4_1_close(rev2):
    fill(rev2, {2: "\\Deleted"}, count=2)
    rev2.command("SELECT INBOX")
    expect(rev2.command("CLOSE", tag="A341"), ["A341 OK CLOSE completed"])


def test_6_4_3_expunge(rev2):
    uids = fill(rev2, {3: "\\Deleted", 4: "\\Deleted", 7: "\\Deleted", 11: "\\Deleted"})
    rev2.command("SELECT INBOX")
    result = rev2.command("EXPUNGE", tag="A202")
    # The example's own order is "3 3 5 8"; descending "11 7 4 3" is just as valid.
    assert result.ok and [line.endswith(b"EXPUNGE") for line in result.untagged] == [True] * 4
    left = apply_expunges(uids, [seq for seq, _ in result.numbered("EXPUNGE")])
    assert left == [u for i, u in enumerate(uids, 1) if i not in (3, 4, 7, 11)]


SEARCH_FLAGS = {1: "\\Flagged", 2: "\\Flagged", 4: "\\Flagged", 10: "\\Flagged", 11: "\\Flagged"}


def test_6_4_4_search_rev2(rev2):
    fill(rev2, SEARCH_FLAGS)
    rev2.command("SELECT INBOX")
    criteria = 'FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'
    expect(
        rev2.command(f"SEARCH RETURN (MIN COUNT) {criteria}", tag="A282"),
        ['* ESEARCH (TAG "A282") MIN 2 COUNT 3', "A282 OK SEARCH completed"],
    )
    expect(
        rev2.command(f"SEARCH RETURN () {criteria}", tag="A283"),
        ['* ESEARCH (TAG "A283") ALL 2,10:11', "A283 OK SEARCH completed"],
    )
    expect(
        rev2.command('SEARCH TEXT "string not in mailbox"', tag="A284"),
        ['* ESEARCH (TAG "A284")', "A284 OK SEARCH completed"],
    )
    expect(
        rev2.command("SEARCH CHARSET UTF-8 TEXT ", Lit(b"body 5"), tag="A285"),
        ['* ESEARCH (TAG "A285") ALL 5', "A285 OK SEARCH completed"],
    )
    bad = rev2.command('SEARCH CHARSET WHATEVER TEXT "string not in mailbox"', tag="A286")
    assert bad.status == "NO" and bad.code.upper().startswith("BADCHARSET")


def test_rfc3501_6_4_4_search_rev1(raw):
    fill(raw, SEARCH_FLAGS)
    raw.command("SELECT INBOX")
    expect(
        raw.command('SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"', tag="A282"),
        ["* SEARCH 2 10 11", "A282 OK SEARCH completed"],
    )
    expect(
        raw.command('SEARCH TEXT "string not in mailbox"', tag="A283"),
        ["* SEARCH", "A283 OK SEARCH completed"],
    )


STORE_FLAGS = {2: "\\Seen", 4: "\\Flagged \\Seen"}


def test_6_4_5_fetch_header_fields(rev2):
    fill(rev2, STORE_FLAGS, count=4)
    rev2.command("SELECT INBOX")
    lines = []
    for i in (2, 3, 4):
        field = f"Date: {i:02d} Mar 1994 10:00:00 -0800\r\n".encode()
        field += msg(i).split(b"\r\n")[1] + b"\r\n\r\n"
        lines.append(
            f"* {i} FETCH (FLAGS <*> BODY[HEADER.FIELDS (DATE FROM)] {{{len(field)}}}\r\n".encode()
            + field
            + b")"
        )
    result = rev2.command("FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])", tag="A654")
    expect(result, [*lines, "A654 OK FETCH completed"])
    # BODY[...] without .PEEK sets \\Seen (RFC 9051 6.4.5)
    flags = rev2.command("FETCH 2:4 (FLAGS)").fetches()
    assert all("\\Seen" in flags[i]["FLAGS"] for i in (2, 3, 4))


def test_6_4_6_store(rev2):
    fill(rev2, STORE_FLAGS, count=4)
    rev2.command("SELECT INBOX")
    expect(
        rev2.command("STORE 2:4 +FLAGS (\\Deleted)", tag="A003"),
        [
            "* 2 FETCH (FLAGS (\\Deleted \\Seen))",
            "* 3 FETCH (FLAGS (\\Deleted))",
            "* 4 FETCH (FLAGS (\\Deleted \\Flagged \\Seen))",
            "A003 OK STORE completed",
        ],
    )


def test_6_4_7_copy(rev2):
    uids = fill(rev2, STORE_FLAGS, count=4)
    rev2.command("CREATE MEETING")
    rev2.command("SELECT INBOX")
    source = f"{uids[1]}:{uids[3]}"
    expect(
        rev2.command("COPY 2:4 MEETING", tag="A003"), [f"A003 OK [COPYUID <*> {source} 1:3] Done"]
    )


def test_6_4_8_move(rev2):
    uids = fill(rev2, {}, count=4)
    rev2.command("CREATE foo")
    rev2.command("SELECT INBOX")
    result = rev2.command(f"UID MOVE {uids[1]}:{uids[2]} foo", tag="a")
    expect(
        result,
        [
            f"* OK [COPYUID <*> {uids[1]}:{uids[2]} 1:2]",
            "* <*> EXPUNGE",
            "* <*> EXPUNGE",
            "a OK Done",
        ],
    )
    assert apply_expunges(uids, [s for s, _ in result.numbered("EXPUNGE")]) == [uids[0], uids[3]]


def test_6_4_9_uid_fetch(rev2):
    uids = fill(rev2, {2: "\\Seen", 3: "\\Seen", 4: "\\Seen"}, count=4)
    rev2.command("SELECT INBOX")
    expect(
        rev2.command(f"UID FETCH {uids[1]}:{uids[3]} FLAGS", tag="A999"),
        [
            f"* 2 FETCH (FLAGS (\\Seen) UID {uids[1]})",
            f"* 3 FETCH (FLAGS (\\Seen) UID {uids[2]})",
            f"* 4 FETCH (FLAGS (\\Seen) UID {uids[3]})",
            "A999 OK UID FETCH completed",
        ],
    )


def test_unselect_rfc3691(rev2):
    fill(rev2, {1: "\\Deleted"}, count=1)
    rev2.command("SELECT INBOX")
    expect(rev2.command("UNSELECT", tag="A342"), ["A342 OK Unselect completed"])
    assert rev2.command("STATUS INBOX (MESSAGES)").named("STATUS")[0][1] == ["MESSAGES", "1"]


# ---------------------------------------------------------------- 7.5.2 the FETCH FULL example


def gray_message() -> bytes:
    """A message whose ENVELOPE, BODY and sizes are exactly those of RFC 9051 7.5.2."""
    head = [
        "Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)",
        "From: Terry Gray <gray@cac.washington.edu>",
        "Subject: IMAP4rev2 WG mtg summary and minutes",
        "To: imap@cac.washington.edu",
        "cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>",
        "Message-Id: <B27397-0100000@cac.washington.edu>",
        "MIME-Version: 1.0",
        "Content-Type: TEXT/PLAIN; CHARSET=US-ASCII",
    ]
    # 92 lines, 3028 octets: 84 lines of 31 characters and 8 of 30, each with CRLF.
    body = "".join(("m" * (31 if i < 84 else 30)) + "\r\n" for i in range(92))
    used = sum(len(h) + 2 for h in head) + 2
    padding = 4286 - len(body) - used  # RFC822.SIZE 4286
    while padding > 0:
        size = min(padding, 78)
        line = "X-Pad: " + "p" * (size - 9) if size >= 10 else None
        assert line is not None, "padding does not fit"
        head.append(line)
        padding -= len(line) + 2
    data = ("\r\n".join(head) + "\r\n\r\n" + body).encode()
    assert len(data) == 4286 and len(body) == 3028
    return data


def test_7_5_2_fetch_full(rev2):
    append(rev2, "INBOX", gray_message(), "\\Seen", "17-Jul-1996 02:44:25 -0700")
    rev2.command("SELECT INBOX")
    expect(
        rev2.command("FETCH 1 FULL", tag="A1"),
        [
            '* 1 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" '
            "RFC822.SIZE 4286 ENVELOPE "
            '("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" '
            '(("Terry Gray" NIL "gray" "cac.washington.edu")) '
            '(("Terry Gray" NIL "gray" "cac.washington.edu")) '
            '(("Terry Gray" NIL "gray" "cac.washington.edu")) '
            '((NIL NIL "imap" "cac.washington.edu")) '
            '((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) '
            'NIL NIL "<B27397-0100000@cac.washington.edu>") '
            'BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))',
            "A1 OK FETCH completed",
        ],
    )
