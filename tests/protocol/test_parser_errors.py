"""Commands that must be refused with BAD, and what the error carries.

Every row is also fed to ServerConnection followed by a good command, which
must still parse: a parse error never desynchronises the stream.
"""

from __future__ import annotations

import pytest

from roost.protocol.commands import Noop
from roost.protocol.errors import ParseError
from roost.protocol.events import CommandReceived, ConnectionClosed, ProtocolError
from roost.protocol.parser import parse_command

from .helpers import feed_both

BAD: list[tuple[bytes, str | None, str]] = [
    # (wire, tag in the error, part of the error text)
    (b"a1 FOO", "a1", "unknown command"),
    (b'a1 XLIST "" *', "a1", "unknown command"),
    (b"a1", "a1", "missing command"),
    (b"a1 ", "a1", "command name"),
    (b"+ NOOP", None, "tag"),
    (b"(x NOOP", None, "tag"),
    (b"\xff NOOP", None, "tag"),
    (b" NOOP", None, "tag"),
    (b"a1  NOOP", "a1", "command name"),
    (b"a1 NOOP extra", "a1", "unexpected"),
    (b"a1 NOOP ", "a1", "unexpected"),
    (b"a1 LOGIN user", "a1", "space"),
    (b"a1 LOGIN user pass extra", "a1", "unexpected"),
    (b'a1 LOGIN "unterminated pass', "a1", "string"),
    (b'a1 LOGIN "a\\x" b', "a1", "string"),
    (b"a1 LOGIN ~{1}\r\na b", "a1", "literal8"),
    (b"a1 LOGIN {2}\r\na\x00 b", "a1", "NUL"),
    (b'a1 SELECT "\xff\xfe"', "a1", "UTF-8"),
    (b"a1 SELECT {2}\r\n\xc3\x28", "a1", "UTF-8"),
    (b"a1 SELECT x (QRESYNC)", "a1", "space"),
    (b"a1 SELECT x (QRESYNC (0 2))", "a1", "zero"),
    (b"a1 SELECT x (QRESYNC (1))", "a1", "space"),
    (b"a1 SELECT x (QRESYNC (1 2 1:*))", "a1", "*"),
    (b"a1 SELECT x (QRESYNC (1 2 $))", "a1", "$"),
    (b"a1 SELECT x (QRESYNC (1 2 1:5 (1:3)))", "a1", "space"),
    (b"a1 SELECT x (QRESYNC (1 2 (1:3 *)))", "a1", "*"),
    (b"a1 SELECT x (QRESYNC (1 2) QRESYNC (1 2))", "a1", "twice"),
    (b"a1 SELECT x (QRESYNC (1 9223372036854775808))", "a1", "range"),
    (b"a1 SELECT x (BOGUS)", "a1", "SELECT parameter"),
    (b"a1 CREATE x (FOO)", "a1", "CREATE parameter"),
    (b"a1 CREATE x (USE (Drafts))", "a1", "special-use"),
    (b"a1 AUTHENTICATE PLAIN ab$=", "a1", "base64"),
    (b"a1 AUTHENTICATE PLAIN abc", "a1", "base64"),
    (b"a1 AUTHENTICATE PLAIN abcd=", "a1", "unexpected"),
    (b"a1 AUTHENTICATE", "a1", "space"),
    (b"a1 ENABLE", "a1", "space"),
    (b'a1 ID ("a")', "a1", "space"),
    (b'a1 LIST (RECURSIVEMATCH) "" *', "a1", "RECURSIVEMATCH"),
    (b'a1 LIST (REMOTE RECURSIVEMATCH) "" *', "a1", "RECURSIVEMATCH"),
    (b'a1 LIST (BOGUS) "" *', "a1", "unsupported option"),
    (b'a1 LIST "" * RETURN (BOGUS)', "a1", "unsupported option"),
    (b'a1 LIST "" * RETURN (STATUS (BOGUS))', "a1", "unsupported option"),
    (b'a1 LIST "" * RETURNS ()', "a1", "RETURN"),
    (b'a1 LIST "" ()', "a1", "string"),
    (b"a1 STATUS x (MESSAGES BOGUS)", "a1", "unsupported option"),
    (b"a1 STATUS x ()", "a1", "option"),
    (b"a1 APPEND x", "a1", "space"),
    (b"a1 APPEND x (\\Seen)", "a1", "space"),
    (b"a1 APPEND x (\\Seen) NOTLITERAL", "a1", "literal"),
    (b"a1 APPEND x (\\Recent) {1}\r\nx", "a1", "Recent"),
    (b"a1 APPEND x (\\Bogus) {1}\r\nx", "a1", "system flag"),
    (b'a1 APPEND x "31-Feb-2020 10:00:00 +0000" {1}\r\nx', "a1", "date-time"),
    (b'a1 APPEND x "1-Feb-2020 10:00:00 +2400" {1}\r\nx', "a1", "zone"),
    (b'a1 APPEND x "1-Fex-2020 10:00:00 +0000" {1}\r\nx', "a1", "date-time"),
    (b"a1 APPEND x {1}\r\nx extra", "a1", "literal"),
    (b"a1 APPEND x {2}\r\na\x00", "a1", "NUL"),
    (b"a1 APPEND x UTF8 ~{1}\r\nx", "a1", '"("'),
    (b"a1 FETCH 0 FLAGS", "a1", "zero"),
    (b"a1 FETCH 4294967296 FLAGS", "a1", "range"),
    (b"a1 FETCH 1: FLAGS", "a1", "sequence number"),
    (b"a1 FETCH 1,,2 FLAGS", "a1", "sequence number"),
    (b"a1 FETCH 1 (ALL)", "a1", "fetch item"),
    (b"a1 FETCH 1 BOGUS", "a1", "fetch item"),
    (b"a1 FETCH 1 ()", "a1", "fetch item"),
    (b"a1 FETCH 1 BODY[MIME]", "a1", "section"),
    (b"a1 FETCH 1 BODY[1.MIMEX]", "a1", "section"),
    (b"a1 FETCH 1 BODY[0]", "a1", "zero"),
    (b"a1 FETCH 1 BODY[HEADER.FIELDS]", "a1", "space"),
    (b"a1 FETCH 1 BODY[HEADER.FIELDS ()]", "a1", "field name"),
    (b"a1 FETCH 1 BODY[]<0.0>", "a1", "zero"),
    (b"a1 FETCH 1 BODY[]<5>", "a1", '"."'),
    (b"a1 FETCH 1 BODY.PEEK", "a1", "fetch item"),
    (b"a1 FETCH 1 BINARY[TEXT]", "a1", "part number"),
    (b"a1 FETCH 1 BINARY.SIZE[1]<0.1>", "a1", "unexpected"),
    (b"a1 FETCH 1 FLAGS (VANISHED)", "a1", "FETCH modifier"),
    (b"a1 FETCH 1 FLAGS (CHANGEDSINCE 5 VANISHED)", "a1", "only allowed in UID FETCH"),
    (b"a1 UID FETCH 1 FLAGS (VANISHED)", "a1", "needs CHANGEDSINCE"),
    (b"a1 UID FETCH 1 FLAGS (CHANGEDSINCE 1 VANISHED VANISHED)", "a1", "twice"),
    (b"a1 UID FETCH 1 FLAGS (CHANGEDSINCE 1 CHANGEDSINCE 2)", "a1", "twice"),
    (b"a1 FETCH 1 FLAGS (CHANGEDSINCE 9223372036854775808)", "a1", "range"),
    (b"a1 STORE 1 +FLAGS (\\Recent)", "a1", "Recent"),
    (b"a1 STORE 1 FLAGS (\\Bogus)", "a1", "system flag"),
    (b"a1 STORE 1 FLAGS", "a1", "space"),
    (b"a1 STORE 1 XFLAGS (\\Seen)", "a1", "FLAGS"),
    (b"a1 STORE 1 (UNCHANGEDSINCE x) FLAGS ()", "a1", "mod-sequence"),
    (b"a1 STORE 1 (BOGUS 1) FLAGS ()", "a1", "STORE modifier"),
    (b"a1 COPY 1", "a1", "space"),
    (b"a1 MOVE x y", "a1", "sequence number"),
    (b"a1 EXPUNGE 1", "a1", "unexpected"),
    (b"a1 UID", "a1", "space"),
    (b"a1 UID FOO 1", "a1", "unknown UID command"),
    (b"a1 UID NOOP", "a1", "unknown UID command"),
    (b"a1 SEARCH", "a1", "space"),
    (b"a1 SEARCH FOO", "a1", "search key"),
    (b"a1 SEARCH BEFORE 30-Feb-2020", "a1", "date"),
    (b"a1 SEARCH BEFORE 1-Feb-20", "a1", "date"),
    (b'a1 SEARCH ON "1-Feb-2020', "a1", "quote"),
    (b"a1 SEARCH OR SEEN", "a1", "space"),
    (b"a1 SEARCH (SEEN", "a1", '")"'),
    (b"a1 SEARCH ()", "a1", "search key"),
    (b"a1 SEARCH KEYWORD \\Seen", "a1", "keyword"),
    (b"a1 SEARCH LARGER -1", "a1", "number"),
    (b"a1 SEARCH RETURN (PARTIAL 1:10) ALL", "a1", "RETURN option"),
    (b"a1 SEARCH CHARSET ALL", "a1", "space"),
    (b'a1 SEARCH MODSEQ "/x" all 5', "a1", "entry name"),
    (b'a1 SEARCH MODSEQ "/flags/x" bogus 5', "a1", "entry type"),
    (b"a1 SEARCH " + b"NOT " * 150 + b"ALL", "a1", "nested"),
    (b"a1 SEARCH " + b"(" * 150 + b"ALL" + b")" * 150, "a1", "nested"),
    (b"a1 SEARCH SUBJECT {2}\r\n\xff\xfe", "a1", "UTF-8"),
]


@pytest.mark.parametrize("wire, tag, text", BAD, ids=[b[0][:40].decode("latin-1") for b in BAD])
def test_bad_command(wire: bytes, tag: str | None, text: str) -> None:
    with pytest.raises(ParseError) as info:
        parse_command(wire)
    assert info.value.tag == tag
    assert text in info.value.text
    assert "\r" not in info.value.text and "\n" not in info.value.text

    events = feed_both(wire + b"\r\nz9 NOOP\r\n")
    assert len(events) == 3 + (wire.count(b"}\r\n") - wire.count(b"+}\r\n"))
    error = events[-3]
    assert isinstance(error, ProtocolError)
    assert (error.tag, error.status, error.fatal) == (tag, "BAD", False)
    assert events[-2:] == [CommandReceived(Noop("z9")), ConnectionClosed()]


def test_literal_shorter_than_announced() -> None:
    # The framer never produces this, but parse_command must still refuse it cleanly.
    with pytest.raises(ParseError, match="shorter"):
        parse_command(b"a1 LOGIN {5}\r\nab")


def test_parse_error_repr_names_the_tag() -> None:
    assert "a1" in repr(ParseError("a1", "unknown command"))
