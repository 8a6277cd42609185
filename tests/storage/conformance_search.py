"""Conformance: ``search``, ``flag_table`` and the STATUS counters, for every backend.

``search`` may answer None ("evaluate it yourself"); when it answers, it must be
exactly what the reference evaluator says of every message of the mailbox.
Random keys over a small random mailbox (headers with encoded words, raw
UTF-8, case that folds to more letters, several fields of one name, missing
ones) check that, with hypothesis.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.commands.search import StoredMessage
from roost.protocol.commands import SearchKey, SeqRange, SequenceSet
from roost.search.evaluate import SearchScope, compile_key
from roost.storage.interface import MailStore, NewMessage
from tests.storage.conformance_messages import _inbox_id

HEADER_VALUES = (
    "Alice <alice@example.org>",
    "=?utf-8?b?w4RsZnJlZCBTdHJhw59l?= <alfred@example.de>",  # "Älfred Straße"
    "=?iso-8859-1?q?J=FCrgen?= <jurgen@EXAMPLE.org>",
    "İnvoice MASSE straße",
    "Re: invoice 42",
    "user07@example.com, USER08@example.com",
    "raw ünïcödé subject",
    "nul\x00byte",
    "",
)
NEEDLES = ("a", "A", "ss", "SS", "ß", "straße", "strasse", "invoice", "user0", "ä", "Ä",
           "@example", "42", "", " ", "i̇", "jürgen", "=?", "\n", "l\x00b", "byte")  # fmt: skip
FIELDS = ("From", "To", "Cc", "Bcc", "Subject")
KEYWORDS = ("$Label1", "$label2", "Work")
FLAGS = ("\\Seen", "\\Flagged", "\\Deleted", "\\Answered", "\\Draft", *KEYWORDS)
DATES = (date(2024, 1, 1), date(2024, 1, 2), date(2024, 3, 10), date(1999, 12, 31))


def _message(headers: list[tuple[str, str]], body: str) -> bytes:
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (head + "\r\n" + body).encode("utf-8")


header_lists = st.lists(
    st.tuples(
        st.sampled_from((*FIELDS, "Date", "X-Other")),
        st.sampled_from((*HEADER_VALUES, "Tue, 2 Jan 2024 10:00:00 +0000")),
    ),
    max_size=6,
)
messages = st.builds(
    NewMessage,
    data=st.builds(_message, header_lists, st.sampled_from(("hello", "x" * 300))),
    flags=st.frozensets(st.sampled_from(FLAGS), max_size=3),
    internaldate=st.sampled_from(
        (
            datetime(2024, 1, 1, 23, 30, tzinfo=UTC),
            datetime(2024, 1, 2, 0, 30, tzinfo=UTC),
            datetime.fromisoformat("2024-01-02T01:00:00+05:00"),
        )
    ),
)

_simple = st.one_of(
    st.sampled_from(
        [
            SearchKey(n)
            for n in (
                "ALL",
                "SEEN",
                "UNSEEN",
                "FLAGGED",
                "UNFLAGGED",
                "DELETED",
                "UNDELETED",
                "ANSWERED",
                "UNANSWERED",
                "DRAFT",
                "UNDRAFT",
            )
        ]
    ),  # fmt: skip
    st.builds(
        lambda n, k: SearchKey(n, (k,)),
        st.sampled_from(("KEYWORD", "UNKEYWORD")),
        st.sampled_from((*KEYWORDS, "$LABEL1", "work", "absent", "\\seen", "\\Recent")),
    ),
    st.builds(
        lambda n, v: SearchKey(n, (v,)),
        st.sampled_from(("LARGER", "SMALLER")),
        st.integers(0, 600),
    ),
    st.builds(lambda v: SearchKey("MODSEQ", (v,)), st.integers(0, 12)),
    st.builds(
        lambda n, d: SearchKey(n, (d,)),
        st.sampled_from(("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE")),
        st.sampled_from(DATES),
    ),
    st.builds(
        lambda n, v: SearchKey(n, (v,)),
        st.sampled_from(("FROM", "TO", "CC", "BCC", "SUBJECT")),
        st.sampled_from(NEEDLES),
    ),
    st.builds(
        lambda f, v: SearchKey("HEADER", (f, v)),
        st.sampled_from(("from", "SUBJECT", "To", "X-Other", "Date")),
        st.sampled_from(NEEDLES),
    ),
    st.builds(
        lambda ranges: SearchKey("UID", (SequenceSet(tuple(SeqRange(a, b) for a, b in ranges)),)),
        st.lists(st.tuples(st.integers(1, 9), st.integers(1, 9)), min_size=1, max_size=3),
    ),
)
keys = st.recursive(
    _simple,
    lambda inner: st.one_of(
        inner.map(lambda k: SearchKey("NOT", (k,))),
        st.tuples(inner, inner).map(lambda ks: SearchKey("OR", ks)),
        st.lists(inner, max_size=3).map(lambda ks: SearchKey("AND", tuple(ks))),
    ),
    max_leaves=6,
)


class _Reference:
    """The reference evaluator over every message of a mailbox (read once)."""

    def __init__(self, store: MailStore, mailbox_id: int) -> None:
        metas = store.fetch_meta(mailbox_id, [f.uid for f in store.message_flags(mailbox_id)])
        self.scope = SearchScope(len(metas), metas[-1].uid if metas else 0)
        self.messages = [
            StoredMessage(store, seq, meta, False) for seq, meta in enumerate(metas, start=1)
        ]

    def __call__(self, key: SearchKey) -> list[tuple[int, int]]:
        predicate = compile_key(key)
        return [(m.uid, m.modseq) for m in self.messages if predicate(m, self.scope)]


def _leaves() -> list[SearchKey]:
    out = [SearchKey(n) for n in ("ALL", "SEEN", "UNSEEN", "FLAGGED", "DELETED", "UNDRAFT")]
    out += [SearchKey(n, (k,)) for n in ("KEYWORD", "UNKEYWORD")
            for k in (*KEYWORDS, "$LABEL1", "work", "absent", "\\seen", "\\Recent")]  # fmt: skip
    out += [SearchKey(n, (v,)) for n in ("LARGER", "SMALLER") for v in (0, 60, 100, 400)]
    out += [SearchKey(n, (d,)) for n in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON",
                                         "SENTSINCE") for d in DATES]  # fmt: skip
    out += [SearchKey(f, (v,)) for f in ("FROM", "TO", "CC", "BCC", "SUBJECT") for v in NEEDLES]
    out += [SearchKey("HEADER", (f, v)) for f in ("from", "SUBJECT", "X-Other") for v in NEEDLES]
    return out


def test_every_simple_key_agrees(store: MailStore) -> None:
    box = _inbox_id(store)
    batch = [
        NewMessage(
            _message(
                [
                    (FIELDS[i % 5], value),
                    (FIELDS[(i + 2) % 5], HEADER_VALUES[(i + 3) % len(HEADER_VALUES)]),
                    ("Date", "Tue, 2 Jan 2024 10:00:00 +0000" if i % 2 else "2 Jan 99"),
                ],
                "x" * 50 * i,
            ),  # fmt: skip
            frozenset(FLAGS[i % len(FLAGS) : i % len(FLAGS) + 2]),
            datetime(2024, 1, 1, 23, 30, tzinfo=UTC) if i % 3 else datetime(2024, 1, 2, tzinfo=UTC),
        )
        for i, value in enumerate(HEADER_VALUES * 2)
    ]
    store.append(box, batch)
    reference = _Reference(store, box)
    answered = 0
    for key in _leaves():
        answer = store.search(box, key)
        if answer is not None:
            answered += 1
            assert answer == reference(key), key
    assert answered > 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batch=st.lists(messages, min_size=1, max_size=6),
    changes=st.lists(
        st.tuples(st.integers(1, 6), st.sampled_from(("+", "-", "")), st.sampled_from(FLAGS)),
        max_size=4,
    ),
    probes=st.lists(keys, min_size=1, max_size=20),
)
def test_search_agrees_with_the_evaluator(
    store: MailStore,
    batch: list[NewMessage],
    changes: list[tuple[int, str, str]],
    probes: list[SearchKey],
) -> None:
    user = store.get_user("searcher") or store.create_user("searcher", "x")
    box = store.create_mailbox(user.id, f"box{len(store.list_mailboxes(user.id))}").id
    uids = store.append(box, batch).uids
    for n, mode, flag in changes:
        store.store_flags(box, [uids[(n - 1) % len(uids)]], mode, [flag])
    store.expunge(box, [uids[0]])  # a gap, and an expunge the counters must see
    reference = _Reference(store, box)
    for key in probes:
        answer = store.search(box, key)
        if answer is not None:
            assert answer == reference(key), key


def test_search_session_keys_are_not_answered(store: MailStore) -> None:
    box = _inbox_id(store)
    store.append(box, [NewMessage(b"Subject: hi\r\n\r\nbody")])
    for key in (
        SearchKey("RECENT"),
        SearchKey("SEQSET", (SequenceSet((SeqRange(1, 1),)),)),
        SearchKey("UID", (SequenceSet((SeqRange(1, None),)),)),
        SearchKey("UID", (SequenceSet(saved=True),)),
    ):
        assert store.search(box, key) is None


def test_flag_table_matches_message_flags(store: MailStore) -> None:
    box = _inbox_id(store)
    uids = store.append(box, [NewMessage(b"a", frozenset({"\\Seen"})) for _ in range(5)]).uids
    store.store_flags(box, uids[1:3], "+", ["$Junk"])
    store.expunge(box, [])
    table = store.flag_table(box)
    states = store.message_flags(box)
    assert table.uids == [s.uid for s in states]
    assert table.flags == [s.flags for s in states]
    assert table.highestmodseq == store.get_mailbox(store.list_users()[0].id, "INBOX").highestmodseq


def test_status_counts_follow_every_change(store: MailStore) -> None:
    box = _inbox_id(store)
    user_id = store.list_users()[0].id
    other = store.create_mailbox(user_id, "Other").id
    uids = store.append(box, [NewMessage(b"x" * n) for n in (10, 20, 30, 40)]).uids
    store.store_flags(box, uids[:2], "+", ["\\Seen", "\\Deleted"])
    store.store_flags(box, uids[:1], "-", ["\\Seen"])
    store.copy(box, uids[1:3], other)
    store.move(box, uids[3:], other)
    status = store.status(box)
    assert (status.messages, status.unseen, status.deleted, status.size) == (3, 2, 2, 60)
    status = store.status(other)
    assert (status.messages, status.unseen, status.deleted, status.size) == (3, 2, 1, 90)
    store.expunge(box)
    status = store.status(box)
    assert (status.messages, status.unseen, status.deleted, status.size) == (1, 1, 0, 30)
    store.delete_mailbox(user_id, "Other")
    store.create_mailbox(user_id, "Other")
    fresh = store.status(store.get_mailbox(user_id, "Other").id)
    assert (fresh.messages, fresh.unseen, fresh.deleted, fresh.size) == (0, 0, 0, 0)
