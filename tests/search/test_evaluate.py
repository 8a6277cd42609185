"""The reference SEARCH evaluator: every key of RFC 9051 / RFC 3501 6.4.4 and combinations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from roost.protocol.commands import SearchKey, SeqRange, SequenceSet
from roost.search.evaluate import (
    KEY_NAMES,
    SearchScope,
    compile_key,
    matches,
    needs_body,
    needs_header,
)
from tests.search.fakes import FakeMessage

SCOPE = SearchScope(largest_seq=10, largest_uid=100, saved_uids=frozenset({3, 7}))


def K(name: str, *args: object) -> SearchKey:
    return SearchKey(name, tuple(args))


def seqset(*ranges: tuple[int | None, int | None], saved: bool = False) -> SequenceSet:
    return SequenceSet(tuple(SeqRange(a, b) for a, b in ranges), saved=saved)


def m(key: SearchKey, msg: FakeMessage, scope: SearchScope = SCOPE) -> bool:
    return matches(key, msg, scope)


# ---------------------------------------------------------------- flags and state


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        ("ANSWERED", "\\Answered"),
        ("DELETED", "\\Deleted"),
        ("DRAFT", "\\Draft"),
        ("FLAGGED", "\\Flagged"),
        ("SEEN", "\\Seen"),
    ],
)
def test_flag_keys(name: str, flag: str) -> None:
    with_flag = FakeMessage(flags=frozenset({flag, "$Junk"}))
    without = FakeMessage(flags=frozenset({"$Junk"}))
    assert m(K(name), with_flag) and not m(K(name), without)
    assert m(K("UN" + name), without) and not m(K("UN" + name), with_flag)


def test_all() -> None:
    assert m(K("ALL"), FakeMessage())


def test_recent_new_old() -> None:
    recent_unseen = FakeMessage(recent=True)
    recent_seen = FakeMessage(recent=True, flags=frozenset({"\\Seen"}))
    old_unseen = FakeMessage(recent=False)
    assert m(K("RECENT"), recent_unseen) and m(K("RECENT"), recent_seen)
    assert not m(K("RECENT"), old_unseen)
    assert m(K("NEW"), recent_unseen)
    assert not m(K("NEW"), recent_seen) and not m(K("NEW"), old_unseen)
    assert m(K("OLD"), old_unseen) and not m(K("OLD"), recent_unseen)


def test_keyword_is_case_insensitive() -> None:
    msg = FakeMessage(flags=frozenset({"$Forwarded", "\\Seen"}))
    assert m(K("KEYWORD", "$forwarded"), msg)
    assert m(K("KEYWORD", "$FORWARDED"), msg)
    assert not m(K("KEYWORD", "$Forward"), msg)  # whole flag, not substring
    assert not m(K("UNKEYWORD", "$forwarded"), msg)
    assert m(K("UNKEYWORD", "$Junk"), msg)


# ---------------------------------------------------------------- sizes, modseq


def test_larger_smaller_are_strict() -> None:
    msg = FakeMessage(size=1000)
    assert m(K("LARGER", 999), msg) and not m(K("LARGER", 1000), msg)
    assert m(K("SMALLER", 1001), msg) and not m(K("SMALLER", 1000), msg)


def test_modseq_is_at_least() -> None:
    msg = FakeMessage(modseq=50)
    assert m(K("MODSEQ", 50), msg) and m(K("MODSEQ", 1), msg)
    assert not m(K("MODSEQ", 51), msg)


# ---------------------------------------------------------------- dates


def test_internal_date_keys() -> None:
    msg = FakeMessage(internaldate=datetime(2024, 3, 10, 23, 30, tzinfo=UTC))
    day = date(2024, 3, 10)
    assert m(K("ON", day), msg)
    assert not m(K("ON", day + timedelta(days=1)), msg)
    assert m(K("SINCE", day), msg) and not m(K("SINCE", day + timedelta(days=1)), msg)
    assert m(K("BEFORE", day + timedelta(days=1)), msg) and not m(K("BEFORE", day), msg)


def test_internal_date_uses_its_own_timezone() -> None:
    # 23:30 on the 10th at UTC-05:00 is already the 11th in UTC; the message's own day counts.
    tz = timezone(timedelta(hours=-5))
    msg = FakeMessage(internaldate=datetime(2024, 3, 10, 23, 30, tzinfo=tz))
    assert m(K("ON", date(2024, 3, 10)), msg)
    assert not m(K("ON", date(2024, 3, 11)), msg)
    tz_east = timezone(timedelta(hours=9))
    msg2 = FakeMessage(internaldate=datetime(2024, 3, 11, 0, 30, tzinfo=tz_east))
    assert m(K("ON", date(2024, 3, 11)), msg2)  # 2024-03-10 15:30 UTC


def test_sent_date_keys() -> None:
    msg = FakeMessage(sent=date(2023, 1, 5), internaldate=datetime(2024, 1, 1, tzinfo=UTC))
    assert m(K("SENTON", date(2023, 1, 5)), msg)
    assert not m(K("ON", date(2023, 1, 5)), msg)
    assert m(K("SENTSINCE", date(2023, 1, 5)), msg)
    assert not m(K("SENTSINCE", date(2023, 1, 6)), msg)
    assert m(K("SENTBEFORE", date(2023, 1, 6)), msg)
    assert not m(K("SENTBEFORE", date(2023, 1, 5)), msg)


def test_no_sent_date_matches_no_sent_key() -> None:
    msg = FakeMessage(sent=None)
    for name in ("SENTON", "SENTSINCE", "SENTBEFORE"):
        assert not m(K(name, date(2023, 1, 5)), msg)
        assert m(K("NOT", K(name, date(2023, 1, 5))), msg)


def test_datetime_argument_counts_as_its_day() -> None:
    msg = FakeMessage(internaldate=datetime(2024, 3, 10, 1, 0, tzinfo=UTC))
    assert m(K("ON", datetime(2024, 3, 10, 22, 0)), msg)


# ---------------------------------------------------------------- strings


HEADERS = {
    "from": ["Jörg Müller <joerg@example.org>"],
    "to": ["Alice <alice@example.com>", "bob@example.net"],
    "cc": ["Carol <carol@example.com>"],
    "bcc": ["secret@example.com"],
    "subject": ["Quarterly REPORT ß"],
    "x-mailer": ["Roost 1.0"],
    "x-empty": [""],
}


@pytest.fixture
def mail() -> FakeMessage:
    return FakeMessage(headers=dict(HEADERS), body="Hello Wörld,\r\nthe numbers are in.\r\n")


@pytest.mark.parametrize(
    ("name", "hit", "miss"),
    [
        ("FROM", "müller", "alice"),
        ("FROM", "JOERG@EXAMPLE", "joerg@example.com"),
        ("TO", "bob@", "carol"),
        ("TO", "ALICE", "secret"),
        ("CC", "carol", "alice"),
        ("BCC", "secret", "carol"),
        ("SUBJECT", "quarterly report", "annual"),
        ("SUBJECT", "SS", "quarterly  report"),  # casefold: ß matches ss
    ],
)
def test_address_and_subject(mail: FakeMessage, name: str, hit: str, miss: str) -> None:
    assert m(K(name, hit), mail)
    assert not m(K(name, miss), mail)


def test_empty_string_matches_when_field_present(mail: FakeMessage) -> None:
    assert m(K("SUBJECT", ""), mail)
    assert not m(K("SUBJECT", ""), FakeMessage())


def test_header_key(mail: FakeMessage) -> None:
    assert m(K("HEADER", "X-Mailer", "roost"), mail)
    assert m(K("HEADER", "x-mailer", "1.0"), mail)
    assert not m(K("HEADER", "X-Mailer", "mutt"), mail)
    assert not m(K("HEADER", "X-Other", "roost"), mail)


def test_header_empty_value_matches_any_message_with_the_field(mail: FakeMessage) -> None:
    assert m(K("HEADER", "X-Mailer", ""), mail)
    assert m(K("HEADER", "X-Empty", ""), mail)  # present with an empty value
    assert not m(K("HEADER", "X-Missing", ""), mail)


def test_body(mail: FakeMessage) -> None:
    assert m(K("BODY", "wörld"), mail)
    assert m(K("BODY", "NUMBERS ARE"), mail)
    assert not m(K("BODY", "quarterly"), mail)  # the subject is not body


def test_text_searches_header_and_body(mail: FakeMessage) -> None:
    assert m(K("TEXT", "quarterly"), mail)
    assert m(K("TEXT", "numbers"), mail)
    assert m(K("TEXT", "x-mailer"), mail)  # field names are part of the header text
    assert not m(K("TEXT", "absent"), mail)


# ---------------------------------------------------------------- message sets


def test_uid_set() -> None:
    key = K("UID", seqset((5, 5), (10, 20)))
    assert m(key, FakeMessage(uid=5))
    assert m(key, FakeMessage(uid=15))
    assert not m(key, FakeMessage(uid=6))
    assert not m(key, FakeMessage(uid=21))


def test_uid_star_is_largest_uid() -> None:
    assert m(K("UID", seqset((None, None))), FakeMessage(uid=100))
    assert not m(K("UID", seqset((None, None))), FakeMessage(uid=99))
    # "150:*" with a largest UID of 100 still includes the last message (RFC 9051 6.4.8).
    assert m(K("UID", seqset((150, None))), FakeMessage(uid=100))
    assert not m(K("UID", seqset((150, None))), FakeMessage(uid=99))


def test_seqset_uses_sequence_numbers() -> None:
    key = K("SEQSET", seqset((2, 4)))
    assert m(key, FakeMessage(seq=3, uid=77))
    assert not m(key, FakeMessage(seq=5, uid=3))
    assert m(K("SEQSET", seqset((8, None))), FakeMessage(seq=10))
    assert not m(K("SEQSET", seqset((None, None))), FakeMessage(seq=9, uid=100))


def test_reversed_and_overlapping_ranges() -> None:
    key = K("SEQSET", seqset((4, 2), (3, 6), (9, 9)))
    assert [s for s in range(1, 11) if m(key, FakeMessage(seq=s))] == [2, 3, 4, 5, 6, 9]


def test_saved_set_uses_saved_uids() -> None:
    for name in ("UID", "SEQSET"):
        key = K(name, SequenceSet(saved=True))
        assert m(key, FakeMessage(seq=1, uid=3))
        assert m(key, FakeMessage(seq=9, uid=7))
        assert not m(key, FakeMessage(seq=3, uid=4))


def test_compiled_set_follows_the_scope() -> None:
    p = compile_key(K("SEQSET", seqset((None, None))))
    assert p(FakeMessage(seq=5), SearchScope(5, 50))
    assert not p(FakeMessage(seq=5), SearchScope(6, 60))
    assert p(FakeMessage(seq=6), SearchScope(6, 60))


def test_empty_mailbox_star() -> None:
    assert not m(K("UID", seqset((1, None))), FakeMessage(uid=5), SearchScope(0, 0))


# ---------------------------------------------------------------- combinations


def test_not_or_and(mail: FakeMessage) -> None:
    mail.flags = frozenset({"\\Seen"})
    seen, flagged = K("SEEN"), K("FLAGGED")
    assert m(K("NOT", flagged), mail)
    assert not m(K("NOT", seen), mail)
    assert m(K("OR", seen, flagged), mail)
    assert m(K("OR", flagged, seen), mail)
    assert not m(K("OR", flagged, K("DELETED")), mail)
    assert m(K("AND", seen, K("FROM", "jörg")), mail)
    assert not m(K("AND", seen, flagged), mail)


def test_empty_and_matches_everything() -> None:
    assert m(K("AND"), FakeMessage())


def test_nested(mail: FakeMessage) -> None:
    mail.flags = frozenset({"\\Answered"})
    key = K(
        "AND",
        K("OR", K("SEEN"), K("NOT", K("OR", K("DELETED"), K("LARGER", 5000)))),
        K("NOT", K("NOT", K("SUBJECT", "report"))),
        K("OR", K("UID", seqset((1, 1))), K("SEQSET", seqset((1, 3)))),
        K("AND", K("ANSWERED"), K("BODY", "numbers")),
    )
    assert m(key, mail)
    assert not m(K("NOT", key), mail)
    mail.size = 6000
    assert not m(key, mail)


def test_and_checks_cheap_keys_first(mail: FakeMessage) -> None:
    """A body is not read when a flag test already fails."""
    key = K("AND", K("BODY", "numbers"), K("SUBJECT", "x"), K("SEEN"))
    assert not m(key, mail)
    assert mail.calls == []
    mail.flags = frozenset({"\\Seen"})
    assert not m(key, mail)
    assert "text" not in mail.calls  # the subject test failed before the body


def test_compile_once_match_many(mail: FakeMessage) -> None:
    p = compile_key(K("OR", K("FROM", "alice"), K("SUBJECT", "report")))
    assert p(mail, SCOPE)
    assert not p(FakeMessage(), SCOPE)


# ---------------------------------------------------------------- what to load


@pytest.mark.parametrize(
    ("key", "body", "header"),
    [
        (K("ALL"), False, False),
        (K("SEEN"), False, False),
        (K("LARGER", 3), False, False),
        (K("ON", date(2024, 1, 1)), False, False),
        (K("UID", seqset((1, 2))), False, False),
        (K("FROM", "x"), False, True),
        (K("HEADER", "X", ""), False, True),
        (K("SENTON", date(2024, 1, 1)), False, True),
        (K("BODY", "x"), True, False),
        (K("TEXT", "x"), True, True),
        (K("NOT", K("BODY", "x")), True, False),
        (K("OR", K("SEEN"), K("AND", K("NOT", K("CC", "x")))), False, True),
        (K("AND", K("SEEN"), K("OR", K("ALL"), K("TEXT", "y"))), True, True),
    ],
)
def test_needs(key: SearchKey, body: bool, header: bool) -> None:
    assert needs_body(key) is body
    assert needs_header(key) is header


def test_needs_body_false_means_text_is_never_called(mail: FakeMessage) -> None:
    key = K("OR", K("FROM", "nobody"), K("NOT", K("SEEN")))
    assert not needs_body(key)
    m(key, mail)
    assert "text" not in mail.calls


def test_needs_deep_nesting_does_not_recurse() -> None:
    key = K("BODY", "x")
    for _ in range(5000):
        key = K("NOT", key)
    assert needs_body(key)


# ---------------------------------------------------------------- malformed keys


@pytest.mark.parametrize(
    "key",
    [
        K("NOSUCHKEY"),
        K("SEEN", "extra"),
        K("FROM"),
        K("FROM", 3),
        K("HEADER", "X-Only-Name"),
        K("LARGER", "10"),
        K("LARGER", True),
        K("ON", "2024-01-01"),
        K("UID", (1, 2)),
        K("NOT"),
        K("NOT", "SEEN"),
        K("OR", K("SEEN")),
        K("AND", K("SEEN"), "FLAGGED"),
    ],
)
def test_malformed_key_raises(key: SearchKey) -> None:
    with pytest.raises(ValueError):
        compile_key(key)


def test_key_names_cover_the_searchkey_docstring() -> None:
    documented = {
        "ALL ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT UNFLAGGED",
        "UNSEEN NEW OLD RECENT KEYWORD UNKEYWORD BCC CC FROM SUBJECT TO BODY TEXT HEADER",
        "BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE LARGER SMALLER MODSEQ UID SEQSET",
        "NOT OR AND",
    }
    names = {n for line in documented for n in line.split()}
    assert names == KEY_NAMES
