"""Sequence sets: parsing, resolve() and contains() against a brute-force model."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.protocol.command_encoder_values import ValueWriter
from roost.protocol.commands import SeqRange, SequenceSet
from roost.protocol.parser_core import Reader

small = st.one_of(st.none(), st.integers(1, 30))
sets = st.lists(st.builds(SeqRange, small, small), min_size=1, max_size=5).map(
    lambda rs: SequenceSet(tuple(rs))
)


def parse_set(text: bytes) -> SequenceSet:
    r = Reader(text)
    result = r.sequence_set()
    r.end()
    return result


def test_known_answers() -> None:
    assert parse_set(b"1:*").resolve(5) == [(1, 5)]
    assert parse_set(b"5:2").resolve(9) == [(2, 5)]
    assert parse_set(b"*:3").resolve(2) == [(2, 3)]
    assert parse_set(b"2,4:5,*").resolve(7) == [(2, 2), (4, 5), (7, 7)]
    assert parse_set(b"$") == SequenceSet(saved=True)
    assert parse_set(b"4294967295") == SequenceSet((SeqRange(4294967295, 4294967295),))


@settings(max_examples=100)
@given(sets, st.integers(0, 40))
def test_resolve_matches_brute_force(seqset: SequenceSet, largest: int) -> None:
    pairs = seqset.resolve(largest)
    assert all(lo <= hi for lo, hi in pairs)
    for n in range(0, 45):
        expected = any(
            min(a, b) <= n <= max(a, b)
            for a, b in (
                (largest if r.start is None else r.start, largest if r.end is None else r.end)
                for r in seqset.ranges
            )
        )
        assert seqset.contains(n, largest) == expected


@settings(max_examples=100)
@given(sets)
def test_encode_parse_round_trip(seqset: SequenceSet) -> None:
    normal = SequenceSet(
        tuple(SeqRange(r.start, r.end) if r.start != r.end else r for r in seqset.ranges)
    )
    assert parse_set(ValueWriter.sequence_set(seqset)) == normal
