"""Known-answer table: wire bytes -> Command, for every command.

Many rows are the examples of RFC 9051 and of the extension RFCs. Each row is
parsed directly and also fed to ServerConnection whole and one byte at a time.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from roost.protocol.commands import (
    Append,
    AppendMessage,
    Authenticate,
    Capability,
    Check,
    Close,
    Compress,
    Copy,
    Create,
    Delete,
    Enable,
    Expunge,
    Fetch,
    FetchBinarySize,
    FetchBody,
    Id,
    Idle,
    List,
    Login,
    Logout,
    Lsub,
    Move,
    Namespace,
    Noop,
    Notify,
    QresyncParams,
    Rename,
    Search,
    SearchKey,
    Section,
    Select,
    SeqRange,
    SequenceSet,
    StartTLS,
    Status,
    Store,
    Subscribe,
    Unselect,
    Unsubscribe,
)
from roost.protocol.events import CommandReceived, ConnectionClosed, ContinuationRequest
from roost.protocol.parser import parse_command

from .helpers import feed_both


def seq(*ranges: tuple[int | None, int | None] | int | None) -> SequenceSet:
    out = []
    for r in ranges:
        out.append(SeqRange(*r) if isinstance(r, tuple) else SeqRange(r, r))
    return SequenceSet(tuple(out))


def key(name: str, *args: object) -> SearchKey:
    return SearchKey(name, args)


def search(tag: str, *keys: SearchKey, **kw: object) -> Search:
    return Search(tag, SearchKey("AND", keys), **kw)  # type: ignore[arg-type]


PST = timezone(timedelta(hours=-8))
MSG = b"Date: Mon, 7 Feb 1994 21:52:25 -0800\r\nSubject: afternoon meeting\r\n\r\nHello Joe\r\n"

NO_ARG_KEYS = [
    "ALL",
    "ANSWERED",
    "DELETED",
    "DRAFT",
    "FLAGGED",
    "SEEN",
    "UNANSWERED",
    "UNDELETED",
    "UNDRAFT",
    "UNFLAGGED",
    "UNSEEN",
    "NEW",
    "OLD",
    "RECENT",
]

CASES: list[tuple[bytes, object]] = [
    # RFC 9051 6.1: any state
    (b"abcd CAPABILITY", Capability("abcd")),
    (b"a002 NOOP", Noop("a002")),
    (b"A023 LOGOUT", Logout("A023")),
    (b"a1 capability", Capability("a1")),
    (b"a1 NoOp", Noop("a1")),
    # RFC 9051 6.2: not authenticated
    (b"a001 STARTTLS", StartTLS("a001")),
    (b"A001 AUTHENTICATE GSSAPI", Authenticate("A001", "GSSAPI")),
    (
        b"a AUTHENTICATE plain dGVzdAB0ZXN0AHRlc3Q=",
        Authenticate("a", "PLAIN", "dGVzdAB0ZXN0AHRlc3Q="),
    ),
    (b"a AUTHENTICATE PLAIN =", Authenticate("a", "PLAIN", "=")),
    (b"a001 LOGIN SMITH SESAME", Login("a001", "SMITH", "SESAME")),
    (b'a LOGIN "fred" "pa\\"ss\\\\w"', Login("a", "fred", 'pa"ss\\w')),
    (b"a LOGIN {4}\r\nfred {3+}\r\np w", Login("a", "fred", "p w")),
    (b"a LOGIN user] pass]", Login("a", "user]", "pass]")),
    # RFC 2971 ID, RFC 5161 ENABLE
    (
        b'a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")',
        Id(
            "a023", (("name", "sodr"), ("version", "19.34"), ("vendor", "Pink Floyd Music Limited"))
        ),
    ),
    (b"a ID NIL", Id("a", None)),
    (b'a ID ("x" NIL)', Id("a", (("x", None),))),
    (b"a ID ()", Id("a", ())),
    (b"t2 ENABLE CONDSTORE utf8=accept", Enable("t2", ("CONDSTORE", "UTF8=ACCEPT"))),
    # RFC 4978 COMPRESS (its example, and any case); unknown mechanisms parse (the driver says BAD)
    (b"a COMPRESS DEFLATE", Compress("a", "DEFLATE")),
    (b"b compress deflate", Compress("b", "DEFLATE")),
    (b"c COMPRESS LZW", Compress("c", "LZW")),
    # RFC 9051 6.3: authenticated
    (b"A142 SELECT INBOX", Select("A142", "INBOX")),
    (b"A142 SELECT inbox", Select("A142", "inbox")),
    (b"A932 EXAMINE blurdybloop", Select("A932", "blurdybloop", readonly=True)),
    (b"A142 SELECT INBOX (CONDSTORE)", Select("A142", "INBOX", condstore=True)),
    (b"A142 SELECT INBOX (condstore)", Select("A142", "INBOX", condstore=True)),
    (b"t3 ENABLE QRESYNC", Enable("t3", ("QRESYNC",))),
    (  # RFC 7162 3.2.5.1 example
        b"A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))",
        Select(
            "A02",
            "INBOX",
            qresync=QresyncParams(67890007, 20050715194045000, seq(41, (43, 211), (214, 541))),
        ),
    ),
    (  # RFC 7162 3.2.5.2 example: known-uids and seq-match-data
        b"B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 "
        b"(5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,"
        b"29988,29991,29994,29997)))",
        Select(
            "B04",
            "INBOX",
            qresync=QresyncParams(
                67890007,
                90060115194045000,
                seq((1, 29997)),
                seq(5000, 7500, 9000, (9990, 9999)),
                seq(15000, 22500, 27000, *range(29970, 29998, 3)),
            ),
        ),
    ),
    (  # seq-match-data without known-uids; CONDSTORE alongside; EXAMINE
        b"a examine x (condstore qresync (1 0 (1:2 7:8)))",
        Select("a", "x", True, True, QresyncParams(1, 0, None, seq((1, 2)), seq((7, 8)))),
    ),
    (b'a SELECT "Entw&APw-rfe"', Select("a", "Entw&APw-rfe")),
    ("a SELECT {9+}\r\nEntwürfe".encode(), Select("a", "Entwürfe")),
    ('a SELECT "Entwürfe"'.encode(), Select("a", "Entwürfe")),
    (b"A003 CREATE owatagusiam/", Create("A003", "owatagusiam/")),
    (
        b't1 CREATE "Important Messages" (USE (\\Flagged))',
        Create("t1", "Important Messages", ("\\Flagged",)),
    ),
    (
        b"t1 CREATE x (use (\\drafts \\Sent \\XFoo))",
        Create("t1", "x", ("\\Drafts", "\\Sent", "\\XFoo")),
    ),
    (b"A683 DELETE blurdybloop", Delete("A683", "blurdybloop")),
    (b"A683 RENAME blurdybloop sarasoop", Rename("A683", "blurdybloop", "sarasoop")),
    (b"A002 SUBSCRIBE #news.comp.mail.mime", Subscribe("A002", "#news.comp.mail.mime")),
    (b"A002 UNSUBSCRIBE #news.comp.mail.mime", Unsubscribe("A002", "#news.comp.mail.mime")),
    (b'A101 LIST "" ""', List("A101", "", ("",))),
    (b'A682 LIST "" *', List("A682", "", ("*",))),
    (b'A102 LIST #news.comp.mail.misc ""', List("A102", "#news.comp.mail.misc", ("",))),
    (b"A202 LIST ~/Mail/ %", List("A202", "~/Mail/", ("%",))),
    (b"a LIST {0}\r\n {3}\r\nx/%", List("a", "", ("x/%",))),
    (b'A01 LIST (SUBSCRIBED) "" "*"', List("A01", "", ("*",), ("SUBSCRIBED",), extended=True)),
    (
        b'A02 LIST (subscribed RECURSIVEMATCH) "" "%" RETURN (CHILDREN)',
        List("A02", "", ("%",), ("SUBSCRIBED", "RECURSIVEMATCH"), ("CHILDREN",), extended=True),
    ),
    (
        b'A04 LIST "" "%" RETURN (SUBSCRIBED)',
        List("A04", "", ("%",), (), ("SUBSCRIBED",), extended=True),
    ),
    (b'a LIST "" ("INBOX" Drafts*)', List("a", "", ("INBOX", "Drafts*"), extended=True)),
    (b'a LIST () "" %', List("a", "", ("%",), extended=True)),
    (
        b'A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))',
        List("A01", "", ("%",), (), ("STATUS",), ("MESSAGES", "UNSEEN"), True),
    ),
    (
        b'a LIST (SPECIAL-USE REMOTE) "" * RETURN (SPECIAL-USE children)',
        List(
            "a", "", ("*",), ("SPECIAL-USE", "REMOTE"), ("SPECIAL-USE", "CHILDREN"), extended=True
        ),
    ),
    (b'A002 LSUB "#news." "comp.mail.*"', Lsub("A002", "#news.", "comp.mail.*")),
    (b"a NAMESPACE", Namespace("a")),
    (
        b"A042 STATUS blurdybloop (UIDNEXT MESSAGES)",
        Status("A042", "blurdybloop", ("UIDNEXT", "MESSAGES")),
    ),
    (
        b"a STATUS x (messages uidnext uidvalidity unseen deleted size recent highestmodseq)",
        Status(
            "a",
            "x",
            (
                "MESSAGES",
                "UIDNEXT",
                "UIDVALIDITY",
                "UNSEEN",
                "DELETED",
                "SIZE",
                "RECENT",
                "HIGHESTMODSEQ",
            ),
        ),
    ),
    (
        b"A003 APPEND saved-messages (\\Seen) {%d}\r\n" % len(MSG) + MSG,
        Append("A003", "saved-messages", (AppendMessage(("\\Seen",), None, MSG),)),
    ),
    (
        b'a APPEND INBOX " 7-Feb-1994 21:52:25 -0800" {%d+}\r\n' % len(MSG) + MSG,
        Append(
            "a", "INBOX", (AppendMessage((), datetime(1994, 2, 7, 21, 52, 25, tzinfo=PST), MSG),)
        ),
    ),
    (  # RFC 3502 MULTIAPPEND
        b'A003 APPEND saved-messages (\\seen) {3}\r\none (\\Seen $x) "07-Feb-1994 22:43:04 +0130" {3}\r\ntwo',
        Append(
            "A003",
            "saved-messages",
            (
                AppendMessage(("\\Seen",), None, b"one"),
                AppendMessage(
                    ("\\Seen", "$x"),
                    datetime(
                        1994, 2, 7, 22, 43, 4, tzinfo=timezone(timedelta(hours=1, minutes=30))
                    ),
                    b"two",
                ),
            ),
        ),
    ),
    (  # RFC 3516 literal8
        b"A003 APPEND Drafts (\\Seen $MDNSent) ~{4}\r\na\x00\xffb",
        Append(
            "A003",
            "Drafts",
            (AppendMessage(("\\Seen", "$MDNSent"), None, b"a\x00\xffb", binary=True),),
        ),
    ),
    (  # RFC 6855 UTF8 (literal8)
        "a APPEND INBOX () UTF8 (~{3+}\r\nü!)".encode(),
        Append("a", "INBOX", (AppendMessage((), None, "ü!".encode(), binary=True, utf8=True),)),
    ),
    (b"a APPEND x utf8 ({1}\r\nz)", Append("a", "x", (AppendMessage(data=b"z", utf8=True),))),
    (b"a APPEND x {0}\r\n", Append("a", "x", (AppendMessage(),))),
    (b"a IDLE", Idle("a")),
    # RFC 9051 6.4: selected
    (b"FXXZ CHECK", Check("FXXZ")),
    (b"A341 CLOSE", Close("A341")),
    (b"a UNSELECT", Unselect("a")),
    (b"A202 EXPUNGE", Expunge("A202")),
    (b"A202 UID EXPUNGE 3000:3002", Expunge("A202", seq((3000, 3002)))),
    (
        b'A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"',
        search(
            "A282",
            key("FLAGGED"),
            key("SINCE", date(1994, 2, 1)),
            key("NOT", key("FROM", "Smith")),
            returns=("MIN", "COUNT"),
        ),
    ),
    (
        b'A283 SEARCH RETURN () FLAGGED SINCE "01-Feb-1994" NOT FROM "Smith"',
        search(
            "A283",
            key("FLAGGED"),
            key("SINCE", date(1994, 2, 1)),
            key("NOT", key("FROM", "Smith")),
            returns=(),
        ),
    ),
    (
        b'A284 SEARCH TEXT "string not in mailbox"',
        search("A284", key("TEXT", "string not in mailbox")),
    ),
    (
        "A285 SEARCH CHARSET UTF-8 TEXT {12}\r\nΕΛΛΗΝΙΚΑ".encode()[:-4],
        search("A285", key("TEXT", "ΕΛΛΗΝΙ"), charset="UTF-8"),
    ),
    (
        b'a search charset iso-8859-1 subject "\xe9t\xe9"',
        search("a", key("SUBJECT", "été"), charset="ISO-8859-1"),
    ),
    (
        b"a UID SEARCH OR (SEEN FLAGGED) NOT 2:4,* UID 1:* $",
        search(
            "a",
            key(
                "OR",
                key("AND", key("SEEN"), key("FLAGGED")),
                key("NOT", key("SEQSET", seq((2, 4), None))),
            ),
            key("UID", seq((1, None))),
            key("SEQSET", SequenceSet(saved=True)),
            uid=True,
        ),
    ),
    (
        b"a SEARCH all answered deleted draft flagged seen unanswered undeleted undraft unflagged unseen new old recent",
        search(
            "a",
            *(key(n) for n in NO_ARG_KEYS),
        ),
    ),
    (
        b"a SEARCH KEYWORD $Junk UNKEYWORD x BCC a CC b TO c BODY {2}\r\nxy HEADER Message-ID <x@y>",
        search(
            "a",
            key("KEYWORD", "$Junk"),
            key("UNKEYWORD", "x"),
            key("BCC", "a"),
            key("CC", "b"),
            key("TO", "c"),
            key("BODY", "xy"),
            key("HEADER", "Message-ID", "<x@y>"),
        ),
    ),
    (
        b"a SEARCH BEFORE 9-jan-2024 ON 31-Dec-1999 SENTBEFORE 1-Jan-2000 SENTON 2-Jan-2000 SENTSINCE 3-Jan-2000",
        search(
            "a",
            key("BEFORE", date(2024, 1, 9)),
            key("ON", date(1999, 12, 31)),
            key("SENTBEFORE", date(2000, 1, 1)),
            key("SENTON", date(2000, 1, 2)),
            key("SENTSINCE", date(2000, 1, 3)),
        ),
    ),
    (
        b"a SEARCH LARGER 100 SMALLER 9223372036854775807",
        search("a", key("LARGER", 100), key("SMALLER", 2**63 - 1)),
    ),
    (  # RFC 7162 MODSEQ, with the entry name and type dropped
        b'a SEARCH MODSEQ "/flags/\\\\draft" all 620162338 MODSEQ 5',
        search("a", key("MODSEQ", 620162338), key("MODSEQ", 5)),
    ),
    (b"a SEARCH RETURN (SAVE) 1:3", search("a", key("SEQSET", seq((1, 3))), returns=("SAVE",))),
    (
        b"A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])",
        Fetch(
            "A654",
            seq((2, 4)),
            ("FLAGS", FetchBody(Section((), "HEADER.FIELDS", ("DATE", "FROM")))),
        ),
    ),
    (b"a FETCH 1 ALL", Fetch("a", seq(1), ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"))),
    (b"a FETCH 1 fast", Fetch("a", seq(1), ("FLAGS", "INTERNALDATE", "RFC822.SIZE"))),
    (
        b"a FETCH 1 FULL",
        Fetch("a", seq(1), ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY")),
    ),
    (b"a FETCH 1 body[]", Fetch("a", seq(1), (FetchBody(),))),
    (b"a FETCH 5:2 BODY", Fetch("a", seq((5, 2)), ("BODY",))),
    (
        b"a fetch *:4,1 (uid rfc822.size envelope bodystructure modseq rfc822 rfc822.header rfc822.text internaldate)",
        Fetch(
            "a",
            seq((None, 4), 1),
            (
                "UID",
                "RFC822.SIZE",
                "ENVELOPE",
                "BODYSTRUCTURE",
                "MODSEQ",
                "RFC822",
                "RFC822.HEADER",
                "RFC822.TEXT",
                "INTERNALDATE",
            ),
        ),
    ),
    (
        b'a FETCH 1 (BODY.PEEK[1.2.HEADER.FIELDS.NOT (x-a "x b")]<10.20> BODY[3.MIME] BODY[TEXT] BODY[2.1])',
        Fetch(
            "a",
            seq(1),
            (
                FetchBody(
                    Section((1, 2), "HEADER.FIELDS.NOT", ("X-A", "X B")),
                    peek=True,
                    partial=(10, 20),
                ),
                FetchBody(Section((3,), "MIME")),
                FetchBody(Section((), "TEXT")),
                FetchBody(Section((2, 1))),
            ),
        ),
    ),
    (b"a FETCH 1 BODY[header]", Fetch("a", seq(1), (FetchBody(Section((), "HEADER")),))),
    (  # RFC 3516
        b"t FETCH 1 (BINARY[1.1] BINARY.PEEK[]<0.4096> BINARY.SIZE[1] binary.size[])",
        Fetch(
            "t",
            seq(1),
            (
                FetchBody(Section((1, 1)), binary=True),
                FetchBody(Section(()), peek=True, binary=True, partial=(0, 4096)),
                FetchBinarySize((1,)),
                FetchBinarySize(()),
            ),
        ),
    ),
    (  # RFC 7162
        b"a103 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)",
        Fetch("a103", seq((1, None)), ("FLAGS",), uid=True, changedsince=12345),
    ),
    (  # RFC 7162 3.2.6 example
        b"A03 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)",
        Fetch("A03", seq((300, 500)), ("FLAGS",), uid=True, changedsince=12345, vanished=True),
    ),
    (
        b"a UID FETCH 1:* FLAGS (vanished changedsince 0)",
        Fetch("a", seq((1, None)), ("FLAGS",), uid=True, changedsince=0, vanished=True),
    ),
    (
        b"A999 UID FETCH 4827313:4828442 FLAGS",
        Fetch("A999", seq((4827313, 4828442)), ("FLAGS",), uid=True),
    ),
    (b"a FETCH $ FLAGS", Fetch("a", SequenceSet(saved=True), ("FLAGS",))),
    (b"A003 STORE 2:4 +FLAGS (\\Deleted)", Store("A003", seq((2, 4)), "+", False, ("\\Deleted",))),
    (
        b"a STORE 1 flags.silent \\seen \\FLAGGED kw",
        Store("a", seq(1), "", True, ("\\Seen", "\\Flagged", "kw")),
    ),
    (b"a STORE 1 -FLAGS ()", Store("a", seq(1), "-", False, ())),
    (
        b"d105 STORE 7,5,9 (UNCHANGEDSINCE 320162338) +FLAGS.SILENT (\\Deleted)",
        Store("d105", seq(7, 5, 9), "+", True, ("\\Deleted",), unchangedsince=320162338),
    ),
    (
        b"a UID STORE 1:* -flags (\\Answered \\Draft)",
        Store("a", seq((1, None)), "-", False, ("\\Answered", "\\Draft"), uid=True),
    ),
    (b"A003 COPY 2:4 MEETING", Copy("A003", seq((2, 4)), "MEETING")),
    (b'a UID COPY 1 "a b"', Copy("a", seq(1), "a b", uid=True)),
    (b"a MOVE 2:4 Archive", Move("a", seq((2, 4)), "Archive")),
    (b"a uid move $ Trash", Move("a", SequenceSet(saved=True), "Trash", uid=True)),
    (b"a UID SEARCH 1", search("a", key("SEQSET", seq(1)), uid=True)),
    (b"tag] NOOP", Noop("tag]")),
    (b"a NOTIFY NONE", Notify("a")),  # RFC 5465; more in test_parser_notify.py
]


@pytest.mark.parametrize("wire, expected", CASES, ids=[c[0][:40].decode("latin-1") for c in CASES])
def test_known_answer(wire: bytes, expected: object) -> None:
    assert parse_command(wire) == expected
    events = feed_both(wire + b"\r\n")
    syncs = wire.count(b"}\r\n") - wire.count(b"+}\r\n")
    assert events == [ContinuationRequest()] * syncs + [
        CommandReceived(expected),
        ConnectionClosed(),
    ]  # type: ignore[arg-type]


def test_every_command_class_has_a_known_answer() -> None:
    from roost.protocol import commands

    covered = {type(expected) for _, expected in CASES}
    every = {
        obj
        for obj in vars(commands).values()
        if isinstance(obj, type)
        and issubclass(obj, commands.Command)
        and obj is not commands.Command
    }
    assert every <= covered


def test_pipelined_commands_in_one_chunk() -> None:
    wire = b"".join(w + b"\r\n" for w, _ in CASES)
    events = feed_both(wire)
    got = [e.command for e in events if isinstance(e, CommandReceived)]
    assert got == [expected for _, expected in CASES]


def test_multiappend_tolerates_imapclient_double_space() -> None:
    from roost.protocol.commands import Append, AppendMessage
    from roost.protocol.parser import parse_command

    cmd = parse_command(b"a1 APPEND INBOX (\\Seen) {1+}\r\nx  {1+}\r\ny")
    assert cmd == Append(
        "a1", "INBOX", (AppendMessage(("\\Seen",), None, b"x"), AppendMessage((), None, b"y"))
    )
