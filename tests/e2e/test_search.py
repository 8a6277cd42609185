"""SEARCH: every key family, CHARSET, ESEARCH RETURN options and SEARCHRES ($).

RFC 9051 6.4.4, RFC 3501 6.4.4 (rev1 "* SEARCH"), RFC 4731 (ESEARCH), RFC 5182
(SEARCHRES). The mailbox holds six messages built below; each expectation is
written out by hand from the message table.
"""

from __future__ import annotations

import datetime

import pytest

from .conftest import append, load_sample
from .imapwire import Lit, expand_set, text


def message(headers: str, body: str) -> bytes:
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()


MESSAGES = [
    (  # 1
        message(
            """
From: Alice Smith <asmith@example.com>
To: bob@example.org
Subject: Budget report
Date: Sun, 01 Jan 2023 10:00:00 +0000
""",
            "The budget numbers for the quarter.\n",
        ),
        "\\Seen \\Answered",
        "01-Jan-2023 12:00:00 +0000",
    ),
    (  # 2
        message(
            """
From: Bob Jones <bob@example.org>
To: alice@example.org
Cc: carol@example.net
Subject: Lunch?
Date: Wed, 15 Feb 2023 11:00:00 +0100
""",
            "Pizza or sushi?\n",
        ),
        "\\Flagged",
        "15-Feb-2023 12:00:00 +0100",
    ),
    (  # 3
        message(
            """
From: Carol <carol@example.net>
To: alice@example.org
Subject: Re: Budget report
X-Priority: 1
Date: Wed, 01 Mar 2023 09:00:00 +0000
""",
            "Numbers look fine.\n" + "padding line\n" * 400,
        ),
        "\\Seen \\Deleted",
        "01-Mar-2023 12:00:00 +0000",
    ),
    (  # 4
        message(
            """
From: =?UTF-8?Q?D=C3=BCrer?= <duerer@example.de>
To: alice@example.org
Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=
Date: Fri, 10 Mar 2023 08:00:00 +0100
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
""",
            "Viele Gr=C3=BC=C3=9Fe!\n",
        ),
        "\\Draft $Important",
        "10-Mar-2023 12:00:00 +0100",
    ),
    (  # 5: sent late on the 20th in its own zone (the 21st in UTC)
        message(
            """
From: noreply@shop.example
To: alice@example.org
Bcc: secret@example.com
Subject: Your order
Date: Mon, 20 Mar 2023 23:30:00 -0500
""",
            "Order 12345 shipped.\n",
        ),
        "",
        "21-Mar-2023 04:30:00 +0000",
    ),
]
MIXED = (load_sample("mixed"), "", "05-Apr-2023 12:00:00 +0000")  # 6: base64 text "kumquat"
ALL = [m[0] for m in MESSAGES] + [MIXED[0]]


@pytest.fixture
def box(raw) -> list[int]:
    """The six messages in INBOX (selected, rev1); returns their UIDs."""
    uids = [append(raw, "INBOX", data, flags, date) for data, flags, date in MESSAGES + [MIXED]]
    assert raw.command("SELECT INBOX").ok
    return uids


def search(raw, criteria: str | bytes, *more) -> list[int]:
    result = raw.command("SEARCH ", criteria, *more)
    assert result.ok, (criteria, result)
    (numbers,) = result.named("SEARCH")
    return [int(n) for n in numbers]


CASES = [
    ("ALL", [1, 2, 3, 4, 5, 6]),
    ("SEEN", [1, 3]),
    ("UNSEEN", [2, 4, 5, 6]),
    ("ANSWERED", [1]),
    ("UNANSWERED", [2, 3, 4, 5, 6]),
    ("FLAGGED", [2]),
    ("UNFLAGGED", [1, 3, 4, 5, 6]),
    ("DELETED", [3]),
    ("UNDELETED", [1, 2, 4, 5, 6]),
    ("DRAFT", [4]),
    ("UNDRAFT", [1, 2, 3, 5, 6]),
    ("KEYWORD $Important", [4]),
    ("UNKEYWORD $Important", [1, 2, 3, 5, 6]),
    ("KEYWORD $Nothing", []),
    ("FROM smith", [1]),
    ("FROM SMITH", [1]),
    ('FROM "example.org"', [2]),
    ("TO bob", [1]),
    ("CC carol", [2]),
    ("BCC secret", [5]),
    ("SUBJECT budget", [1, 3]),
    ('SUBJECT "re: budget"', [3]),
    ("BODY numbers", [1, 3]),
    ("BODY kumquat", [6]),
    ("BODY smith", []),
    ("TEXT smith", [1]),
    ("TEXT pizza", [2]),
    ("HEADER X-Priority 1", [3]),
    ('HEADER X-Priority ""', [3]),
    ('HEADER "Content-Transfer-Encoding" "quoted"', [4]),
    ("BEFORE 1-Mar-2023", [1, 2]),
    ("ON 1-Mar-2023", [3]),
    ("SINCE 10-Mar-2023", [4, 5, 6]),
    ("ON 21-Mar-2023", [5]),
    ("SENTBEFORE 1-Mar-2023", [1, 2, 6]),
    ("SENTON 20-Mar-2023", [5]),
    ("SENTON 21-Mar-2023", []),
    ("SENTSINCE 10-Mar-2023", [4, 5]),
    ("2,4:5", [2, 4, 5]),
    ("*", [6]),
    ("5:*", [5, 6]),
    ("NOT SEEN", [2, 4, 5, 6]),
    ("OR FLAGGED DRAFT", [2, 4]),
    ("(OR SEEN FLAGGED) NOT DELETED", [1, 2]),
    ("OR (FROM smith SUBJECT budget) BODY pizza", [1, 2]),
    ("NOT (OR SEEN (DRAFT KEYWORD $Important))", [2, 5, 6]),
    ("SEEN SUBJECT budget NOT DELETED", [1]),
    ("RECENT", [1, 2, 3, 4, 5, 6]),
    ("NEW", [2, 4, 5, 6]),
    ("OLD", []),
]


@pytest.mark.parametrize("criteria, expected", CASES, ids=[c for c, _ in CASES])
def test_search_keys(raw, box, criteria, expected):
    assert search(raw, criteria) == expected


def test_search_size_keys(raw, box):
    sizes = [len(m) for m in ALL]
    pivot = sorted(sizes)[3]
    assert search(raw, f"LARGER {pivot}") == [i for i, s in enumerate(sizes, 1) if s > pivot]
    assert search(raw, f"SMALLER {pivot}") == [i for i, s in enumerate(sizes, 1) if s < pivot]
    assert search(raw, f"LARGER {max(sizes)}") == []


def test_search_uid_sets(raw, box):
    assert search(raw, f"UID {box[1]}:{box[3]}") == [2, 3, 4]
    assert search(raw, f"UID {box[0]},{box[5]}") == [1, 6]
    result = raw.command(f"UID SEARCH UID {box[1]}:{box[3]} NOT DELETED")
    assert [int(n) for n in result.named("SEARCH")[0]] == [box[1], box[3]]


def test_search_charset_utf8_literal(raw, box):
    word = "grüße".encode()
    assert search(raw, "CHARSET UTF-8 SUBJECT ", Lit(word)) == [4]  # RFC 2047 decoded
    assert search(raw, "CHARSET UTF-8 BODY ", Lit(word)) == [4]  # QP decoded
    assert search(raw, "CHARSET UTF-8 FROM ", Lit("dürer".encode())) == [4]
    assert search(raw, "CHARSET US-ASCII SUBJECT order") == [5]


def test_search_bad_charset(raw, box):
    result = raw.command('SEARCH CHARSET WHATEVER TEXT "string not in mailbox"')
    assert result.status == "NO"
    assert result.code and result.code.upper().startswith("BADCHARSET")


def test_search_syntax_error(raw, box):
    assert raw.command("SEARCH NOTAKEY").status == "BAD"
    assert raw.command("SEARCH BEFORE 31-Foo-2023").status == "BAD"
    assert raw.command("SEARCH (SEEN").status == "BAD"


# ---------------------------------------------------------------- ESEARCH / SEARCHRES


def esearch(result) -> dict[str, str]:
    """The ESEARCH response as {ITEM: value}, with "UID" and "TAG" when present."""
    (values,) = result.named("ESEARCH")
    out: dict[str, str] = {}
    if values and isinstance(values[0], list):
        out["TAG"] = text(values[0][1])
        values = values[1:]
    if values and str(values[0]).upper() == "UID":
        out["UID"] = "UID"
        values = values[1:]
    for i in range(0, len(values), 2):
        out[str(values[i]).upper()] = str(values[i + 1])
    return out


def test_esearch_return_options(raw, box):
    result = raw.command("SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN", tag="E1")
    assert result.ok and not result.named("SEARCH")
    assert esearch(result) == {"TAG": "E1", "MIN": "2", "MAX": "6", "COUNT": "4", "ALL": "2,4:6"}


def test_esearch_uid(raw, box):
    result = raw.command("UID SEARCH RETURN (MIN MAX ALL) SEEN")
    got = esearch(result)
    assert got["UID"] == "UID"
    assert (int(got["MIN"]), int(got["MAX"])) == (box[0], box[2])
    assert expand_set(got["ALL"]) == [box[0], box[2]]


def test_esearch_empty_return_means_all(raw, box):
    assert esearch(raw.command("SEARCH RETURN () FLAGGED", tag="E2")) == {"TAG": "E2", "ALL": "2"}


def test_esearch_no_match(raw, box):
    got = esearch(raw.command("SEARCH RETURN (MIN MAX ALL COUNT) KEYWORD $Nothing", tag="E3"))
    assert got == {"TAG": "E3", "COUNT": "0"}


def test_search_in_rev2_is_esearch(raw, box):
    raw.command("UNSELECT")  # ENABLE is valid in the authenticated state only (RFC 5161)
    assert raw.command("ENABLE IMAP4rev2").ok
    raw.command("SELECT INBOX")
    result = raw.command("SEARCH FLAGGED", tag="R2")
    assert not result.named("SEARCH")
    assert esearch(result) == {"TAG": "R2", "ALL": "2"}
    assert esearch(raw.command("SEARCH KEYWORD $Nothing", tag="R3")) == {"TAG": "R3"}


def test_searchres_save_and_dollar(raw, box):
    saved = raw.command("SEARCH RETURN (SAVE) OR FLAGGED DRAFT")
    assert saved.ok
    assert not saved.named("ESEARCH") and not saved.named("SEARCH")  # SAVE alone: no result
    assert sorted(raw.command("FETCH $ (UID)").fetches()) == [2, 4]
    assert search(raw, "$ NOT DRAFT") == [2]
    stored = raw.command("UID SEARCH RETURN (SAVE ALL) SEEN")
    assert expand_set(esearch(stored)["ALL"]) == [box[0], box[2]]
    assert sorted(raw.command("FETCH $ (FLAGS)").fetches()) == [1, 3]
    assert sorted(raw.command("UID FETCH $ (FLAGS)").fetches()) == [1, 3]
    # RFC 5182 2.4: SAVE with MIN alone saves only the minimum
    raw.command("SEARCH RETURN (SAVE MIN) SEEN")
    assert sorted(raw.command("FETCH $ (FLAGS)").fetches()) == [1]


def test_searchres_empty_before_save(raw, box):
    assert raw.command("FETCH $ (UID)").fetches() == {}


def test_searchres_after_expunge(raw, box):
    raw.command("SEARCH RETURN (SAVE) SEEN")  # 1 and 3; 3 is \Deleted
    raw.command("EXPUNGE")
    entries = raw.command("FETCH $ (UID)").fetches()
    assert [int(e["UID"]) for e in entries.values()] == [box[0]]


# ---------------------------------------------------------------- real clients


def test_search_imaplib(imap, raw, box):
    imap.select("INBOX")
    assert imap.search(None, "FLAGGED") == ("OK", [b"2"])
    assert imap.search(None, "(OR SEEN DRAFT)") == ("OK", [b"1 3 4"])
    typ, data = imap.uid("SEARCH", "SUBJECT", '"budget"')
    assert [int(x) for x in data[0].split()] == [box[0], box[2]]
    imap.literal = "köln".encode()
    typ, data = imap.search("UTF-8", "SUBJECT")  # imaplib sends the literal last
    assert (typ, data) == ("OK", [b"4"])


def test_search_imapclient(client, box):
    client.select_folder("INBOX")
    assert client.search(["FROM", "smith"]) == [box[0]]
    assert client.search(["NOT", "SEEN", "SMALLER", 1000]) == [box[1], box[3], box[4]]
    assert client.search(["SUBJECT", "Grüße"], charset="UTF-8") == [box[3]]
    assert client.search(["SINCE", datetime.date(2023, 3, 10)]) == box[3:]
    assert client.search(["OR", "FLAGGED", "DRAFT"]) == [box[1], box[3]]
