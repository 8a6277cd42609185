"""Property tests: NOT, OR and AND agree with Python's logic on random key trees, and the
compiled evaluator (ranges merged, AND reordered) agrees with a naive reading of the RFC."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol.commands import SearchKey, SeqRange, SequenceSet
from roost.search.evaluate import SearchScope, compile_key, matches
from tests.search.fakes import FakeMessage

FLAGS = ["\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "$Junk", "Work"]
WORDS = ["", "a", "Report", "ALICE", "ß", "x"]
DAYS = [date(2024, 3, d) for d in (9, 10, 11)]


def K(name: str, *args: object) -> SearchKey:
    return SearchKey(name, tuple(args))


numbers = st.one_of(st.none(), st.integers(1, 12))
seqsets = st.builds(
    SequenceSet,
    st.lists(st.builds(SeqRange, numbers, numbers), min_size=1, max_size=4).map(tuple),
    st.booleans(),
)

leaves = st.one_of(
    st.sampled_from(
        [
            K(n)
            for n in (
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
            )
        ]
    ),
    st.builds(
        K, st.sampled_from(["KEYWORD", "UNKEYWORD"]), st.sampled_from(["$junk", "work", "x"])
    ),
    st.builds(
        K,
        st.sampled_from(["FROM", "TO", "CC", "BCC", "SUBJECT", "BODY", "TEXT"]),
        st.sampled_from(WORDS),
    ),
    st.builds(K, st.just("HEADER"), st.sampled_from(["X-Tag", "Subject"]), st.sampled_from(WORDS)),
    st.builds(
        K,
        st.sampled_from(["BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE"]),
        st.sampled_from(DAYS),
    ),
    st.builds(K, st.sampled_from(["LARGER", "SMALLER", "MODSEQ"]), st.integers(0, 20)),
    st.builds(K, st.sampled_from(["UID", "SEQSET"]), seqsets),
)

keys = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(lambda k: K("NOT", k), inner),
        st.builds(lambda a, b: K("OR", a, b), inner, inner),
        st.lists(inner, max_size=4).map(lambda ks: K("AND", *ks)),
    ),
    max_leaves=12,
)

header_values = st.lists(st.sampled_from(["Report", "alice", "ss", "", "xyz"]), max_size=2)

messages = st.builds(
    FakeMessage,
    seq=st.integers(1, 12),
    uid=st.integers(1, 12),
    flags=st.frozensets(st.sampled_from(FLAGS)),
    internaldate=st.builds(
        lambda d, h, off: datetime(2024, 3, d, h, tzinfo=timezone(timedelta(hours=off))),
        st.integers(9, 11),
        st.integers(0, 23),
        st.integers(-12, 12),
    ),
    size=st.integers(0, 20),
    modseq=st.integers(1, 20),
    recent=st.booleans(),
    headers=st.fixed_dictionaries(
        {}, optional={f: header_values for f in ("from", "to", "cc", "bcc", "subject", "x-tag")}
    ),
    body=st.sampled_from(["", "a report", "ALICE", "Straße"]),
    sent=st.one_of(st.none(), st.sampled_from(DAYS)),
)

scopes = st.builds(
    SearchScope,
    st.integers(0, 12),
    st.integers(0, 12),
    st.frozensets(st.integers(1, 12), max_size=5),
)


def naive(key: SearchKey, msg: FakeMessage, scope: SearchScope) -> bool:
    """A direct, unoptimised reading of RFC 9051 6.4.4 used as an oracle."""
    n, a = key.name, key.args
    flag_keys = {
        "ANSWERED": "\\Answered",
        "DELETED": "\\Deleted",
        "DRAFT": "\\Draft",
        "FLAGGED": "\\Flagged",
        "SEEN": "\\Seen",
    }
    if n in flag_keys:
        return flag_keys[n] in msg.flags
    if n.startswith("UN") and n[2:] in flag_keys:
        return flag_keys[n[2:]] not in msg.flags
    if n == "UNKEYWORD":
        return not naive(K("KEYWORD", *a), msg, scope)
    simple = {
        "ALL": lambda: True,
        "RECENT": lambda: msg.recent,
        "NEW": lambda: msg.recent and "\\Seen" not in msg.flags,
        "OLD": lambda: not msg.recent,
        "KEYWORD": lambda: a[0].lower() in {f.lower() for f in msg.flags},
        "LARGER": lambda: msg.size > a[0],
        "SMALLER": lambda: msg.size < a[0],
        "MODSEQ": lambda: msg.modseq >= a[0],
        "BEFORE": lambda: msg.internaldate.date() < a[0],
        "ON": lambda: msg.internaldate.date() == a[0],
        "SINCE": lambda: msg.internaldate.date() >= a[0],
        "SENTBEFORE": lambda: msg.sent is not None and msg.sent < a[0],
        "SENTON": lambda: msg.sent is not None and msg.sent == a[0],
        "SENTSINCE": lambda: msg.sent is not None and msg.sent >= a[0],
        "BODY": lambda: a[0].casefold() in msg.body.casefold(),
        "TEXT": lambda: (
            a[0].casefold() in msg.header_block().casefold()
            or a[0].casefold() in msg.body.casefold()
        ),
        "HEADER": lambda: any(a[1].casefold() in v.casefold() for v in msg.header(a[0])),
        "UID": lambda: (
            msg.uid in scope.saved_uids if a[0].saved else a[0].contains(msg.uid, scope.largest_uid)
        ),
        "SEQSET": lambda: (
            msg.uid in scope.saved_uids if a[0].saved else a[0].contains(msg.seq, scope.largest_seq)
        ),
        "NOT": lambda: not naive(a[0], msg, scope),
        "OR": lambda: naive(a[0], msg, scope) or naive(a[1], msg, scope),
        "AND": lambda: all(naive(k, msg, scope) for k in a),
    }
    if n in ("FROM", "TO", "CC", "BCC", "SUBJECT"):
        return naive(K("HEADER", n.capitalize(), a[0]), msg, scope)
    return simple[n]()


@settings(max_examples=200, deadline=None)
@given(keys, messages, scopes)
def test_agrees_with_naive_reading(key: SearchKey, msg: FakeMessage, scope: SearchScope) -> None:
    assert matches(key, msg, scope) == naive(key, msg, scope)


@settings(max_examples=150, deadline=None)
@given(keys, keys, messages, scopes)
def test_boolean_laws(a: SearchKey, b: SearchKey, msg: FakeMessage, scope: SearchScope) -> None:
    ma, mb = matches(a, msg, scope), matches(b, msg, scope)
    assert matches(K("NOT", a), msg, scope) is (not ma)
    assert matches(K("OR", a, b), msg, scope) == (ma or mb)
    assert matches(K("AND", a, b), msg, scope) == (ma and mb)
    # De Morgan, through the evaluator only.
    assert matches(K("NOT", K("OR", a, b)), msg, scope) == matches(
        K("AND", K("NOT", a), K("NOT", b)), msg, scope
    )


@settings(max_examples=50, deadline=None)
@given(keys, st.lists(messages, min_size=1, max_size=5), scopes)
def test_compiled_predicate_is_reusable(
    key: SearchKey, msgs: list[FakeMessage], scope: SearchScope
) -> None:
    p = compile_key(key)
    assert [p(msg, scope) for msg in msgs] == [matches(key, msg, scope) for msg in msgs]
