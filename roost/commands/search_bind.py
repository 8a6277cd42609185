"""Binding a search key to one session's view, so the store can evaluate it alone.

Responsibility: a store knows messages by UID and their stored state; sequence
numbers, \\Recent, the saved result ``$`` and what ``*`` means belong to the
session. ``bind`` rewrites every such key into an explicit UID set of the
view, leaving a key that means the same for every message of the view
(RFC 9051 6.4.4, RFC 5182) and that ``roost.search.sql`` can translate.

Rules (each as the reference evaluator reads the key with the view's scope):
- SEQSET n:m -> UID of the view's messages with those numbers (``*`` = EXISTS).
- UID set -> the same ranges with ``*`` resolved to the view's highest UID;
  a set of many ranges becomes the view's UIDs inside it.
- ``$`` (either form) -> UID of the saved UIDs.
- RECENT -> UID of the view's \\Recent messages; OLD -> NOT that;
  NEW -> that AND UNSEEN.
- Messages outside the view (new since its last sync) may match the bound key:
  callers keep only the view's messages.
"""

from __future__ import annotations

from collections.abc import Iterable

from roost.protocol.commands import SearchKey, SeqRange, SequenceSet
from roost.search.sql import MAX_RANGES
from roost.session.selected import SelectedView

_COMPOUND = frozenset({"AND", "OR", "NOT"})


def bind(key: SearchKey, view: SelectedView, saved: Iterable[int]) -> SearchKey:
    """``key`` with the session-relative keys replaced by explicit UID sets."""
    return _Binder(view, frozenset(saved)).bind(key)


def uid_set(uids: Iterable[int]) -> SequenceSet:
    """UIDs (any order, repeats allowed) as a set of ranges."""
    return _compact(sorted(set(uids)))


def _compact(ascending: Iterable[int]) -> SequenceSet:
    ranges: list[list[int]] = []
    for uid in ascending:
        if ranges and uid == ranges[-1][1] + 1:
            ranges[-1][1] = uid
        else:
            ranges.append([uid, uid])
    return SequenceSet(tuple(SeqRange(lo, hi) for lo, hi in ranges))


class _Binder:
    def __init__(self, view: SelectedView, saved: frozenset[int]) -> None:
        self.view = view
        self.saved = saved
        self._recent: SearchKey | None = None

    def bind(self, key: SearchKey) -> SearchKey:
        name = key.name
        if name in _COMPOUND:
            return SearchKey(
                name, tuple(self.bind(a) if isinstance(a, SearchKey) else a for a in key.args)
            )
        if name in ("SEQSET", "UID") and len(key.args) == 1:
            (seqset,) = key.args
            if isinstance(seqset, SequenceSet):
                return SearchKey("UID", (self._uids(seqset, name == "UID"),))
        if name == "RECENT" and not key.args:
            return self.recent()
        if name == "OLD" and not key.args:
            return SearchKey("NOT", (self.recent(),))
        if name == "NEW" and not key.args:
            return SearchKey("AND", (self.recent(), SearchKey("UNSEEN")))
        return key

    def recent(self) -> SearchKey:
        if self._recent is None:
            self._recent = SearchKey("UID", (uid_set(self.view.recent),))
        return self._recent

    def _uids(self, seqset: SequenceSet, by_uid: bool) -> SequenceSet:
        view = self.view
        if seqset.saved:
            return uid_set(self.saved)
        if by_uid and len(seqset.ranges) <= MAX_RANGES:
            largest = view.uids[-1] if view.uids else 0
            return SequenceSet(tuple(SeqRange(lo, hi) for lo, hi in seqset.resolve(largest)))
        # Numbers name the view's messages: take the UIDs they name there.
        uids = view.uids
        return _compact(u for start, stop in view.spans(seqset, by_uid) for u in uids[start:stop])
