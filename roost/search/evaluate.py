"""The reference SEARCH evaluator: does one message match one search key?

Semantics (RFC 9051 section 6.4.4, RFC 3501 section 6.4.4, RFC 7162, RFC 5182):
- Strings match as case-insensitive substrings (both sides casefolded), against
  decoded header values (BCC CC FROM SUBJECT TO HEADER), the decoded body text
  (BODY) or both the whole header and the body (TEXT).
- ``HEADER field ""`` matches every message that has the field at all.
- BEFORE / ON / SINCE compare the date part of the internal date, taken in the
  internal date's own timezone; SENTBEFORE / SENTON / SENTSINCE compare the
  Date: header's date (``sent_date()``); a message without a usable Date:
  matches none of the SENT keys.
- NEW is RECENT and not \\Seen; OLD is not RECENT (RFC 3501).
- LARGER / SMALLER compare RFC822.SIZE strictly; MODSEQ n matches modseq >= n.
- KEYWORD / UNKEYWORD compare flags case-insensitively.
- UID and SEQSET use the scope: ``*`` is the largest UID / sequence number;
  ``$`` (a saved set) means the messages of the saved result, so both match
  on ``scope.saved_uids``.
- AND of nothing matches everything (the top level of an empty criteria list).

``compile_key`` turns a key into a predicate once (strings casefolded, sets
sorted), for callers that test many messages; ``matches`` is the one-shot form.
Inside AND the cheap tests run first, so a body is read only when the flag and
size tests have not already decided. Pure: no I/O, no storage imports.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from roost.protocol.commands import SearchKey, SequenceSet


class SearchMessage(Protocol):
    """One message as the evaluator sees it; methods may be called repeatedly (cache them)."""

    seq: int
    uid: int
    flags: frozenset[str]
    internaldate: datetime
    size: int
    modseq: int
    recent: bool

    def header(self, name: str) -> list[str]: ...  # decoded values of that field

    def header_block(self) -> str: ...  # decoded whole header (for TEXT)

    def text(self) -> str: ...  # decoded body text

    def sent_date(self) -> date | None: ...


@dataclass(frozen=True)
class SearchScope:
    """What the keys that name messages need: ``*`` for each numbering, and ``$``."""

    largest_seq: int
    largest_uid: int
    saved_uids: frozenset[int] = frozenset()


Predicate = Callable[[SearchMessage, SearchScope], bool]


def matches(key: SearchKey, msg: SearchMessage, scope: SearchScope) -> bool:
    """Whether ``msg`` matches ``key``; raises ``ValueError`` for a malformed key."""
    return compile_key(key)(msg, scope)


def compile_key(key: SearchKey) -> Predicate:
    """A predicate equivalent to ``key``, to reuse across the messages of one search."""
    builder = _BUILDERS.get(key.name)
    if builder is None:
        raise ValueError(f"unknown search key {key.name!r}")
    return builder(key.name, key.args)


# ---------------------------------------------------------------- what to load

_BODY_KEYS = frozenset({"BODY", "TEXT"})
_HEADER_KEYS = frozenset(
    {"BCC", "CC", "FROM", "SUBJECT", "TO", "HEADER", "TEXT", "SENTBEFORE", "SENTON", "SENTSINCE"}
)
_COMPOUND = frozenset({"AND", "OR", "NOT"})


def needs_body(key: SearchKey) -> bool:
    """Whether evaluating ``key`` may call ``msg.text()``."""
    return _any_key(key, _BODY_KEYS)


def needs_header(key: SearchKey) -> bool:
    """Whether evaluating ``key`` may call ``header``, ``header_block`` or ``sent_date``."""
    return _any_key(key, _HEADER_KEYS)


def _any_key(key: SearchKey, names: frozenset[str]) -> bool:
    # Iterative, so a deeply nested key cannot exhaust the stack here.
    stack = [key]
    while stack:
        k = stack.pop()
        if k.name in names:
            return True
        if k.name in _COMPOUND:
            stack.extend(a for a in k.args if isinstance(a, SearchKey))
    return False


def _cost(key: SearchKey) -> int:
    """Rough cost to evaluate: 0 metadata only, 1 header, 2 body."""
    if needs_body(key):
        return 2
    return 1 if needs_header(key) else 0


# ---------------------------------------------------------------- argument checks


def _args(name: str, args: Sequence[object], *types: type) -> tuple[object, ...]:
    if len(args) != len(types) or not all(
        isinstance(a, t) and not isinstance(a, bool) for a, t in zip(args, types, strict=True)
    ):
        wanted = ", ".join(t.__name__ for t in types) or "no arguments"
        raise ValueError(f"search key {name} takes ({wanted}), got {args!r}")
    return tuple(args)


def _day(value: object) -> date:
    # A datetime is a date too; only its calendar day counts.
    return value.date() if isinstance(value, datetime) else value  # type: ignore[return-value]


# ---------------------------------------------------------------- simple keys

# search key name -> (flag, wanted presence); the SQL translation uses it too
FLAG_KEYS: dict[str, tuple[str, bool]] = {
    "ANSWERED": ("\\Answered", True),
    "DELETED": ("\\Deleted", True),
    "DRAFT": ("\\Draft", True),
    "FLAGGED": ("\\Flagged", True),
    "SEEN": ("\\Seen", True),
    "UNANSWERED": ("\\Answered", False),
    "UNDELETED": ("\\Deleted", False),
    "UNDRAFT": ("\\Draft", False),
    "UNFLAGGED": ("\\Flagged", False),
    "UNSEEN": ("\\Seen", False),
}


def _build_flag(name: str, args: Sequence[object]) -> Predicate:
    _args(name, args)
    flag, wanted = FLAG_KEYS[name]
    return lambda msg, scope: (flag in msg.flags) is wanted


def _build_state(name: str, args: Sequence[object]) -> Predicate:
    _args(name, args)
    if name == "ALL":
        return lambda msg, scope: True
    if name == "RECENT":
        return lambda msg, scope: msg.recent
    if name == "OLD":
        return lambda msg, scope: not msg.recent
    # NEW: recent and not yet seen.
    return lambda msg, scope: msg.recent and "\\Seen" not in msg.flags


def _build_keyword(name: str, args: Sequence[object]) -> Predicate:
    (word,) = _args(name, args, str)
    folded = str(word).casefold()
    wanted = name == "KEYWORD"

    def predicate(msg: SearchMessage, scope: SearchScope) -> bool:
        return any(f.casefold() == folded for f in msg.flags) is wanted

    return predicate


def _build_number(name: str, args: Sequence[object]) -> Predicate:
    (value,) = _args(name, args, int)
    n = int(value)  # type: ignore[call-overload]
    if name == "LARGER":
        return lambda msg, scope: msg.size > n
    if name == "SMALLER":
        return lambda msg, scope: msg.size < n
    return lambda msg, scope: msg.modseq >= n  # MODSEQ (RFC 7162 3.1.5)


_DATE_TESTS: dict[str, Callable[[date, date], bool]] = {
    "BEFORE": lambda day, d: day < d,
    "ON": lambda day, d: day == d,
    "SINCE": lambda day, d: day >= d,
}


def _build_internal_date(name: str, args: Sequence[object]) -> Predicate:
    (value,) = _args(name, args, date)
    d = _day(value)
    test = _DATE_TESTS[name]
    # datetime.date() keeps the datetime's own timezone: the day the server
    # recorded, not the day in UTC or in the server's zone.
    return lambda msg, scope: test(msg.internaldate.date(), d)


def _build_sent_date(name: str, args: Sequence[object]) -> Predicate:
    (value,) = _args(name, args, date)
    d = _day(value)
    test = _DATE_TESTS[name.removeprefix("SENT")]

    def predicate(msg: SearchMessage, scope: SearchScope) -> bool:
        sent = msg.sent_date()
        return sent is not None and test(sent, d)

    return predicate


# ---------------------------------------------------------------- string keys

_ADDRESS_FIELDS = {"BCC": "Bcc", "CC": "Cc", "FROM": "From", "SUBJECT": "Subject", "TO": "To"}


def _build_field(name: str, args: Sequence[object]) -> Predicate:
    (value,) = _args(name, args, str)
    return _field_predicate(_ADDRESS_FIELDS[name], str(value))


def _build_header(name: str, args: Sequence[object]) -> Predicate:
    field_name, value = _args(name, args, str, str)
    return _field_predicate(str(field_name), str(value))


def _field_predicate(field_name: str, value: str) -> Predicate:
    needle = value.casefold()
    if not needle:  # RFC 9051: an empty string matches if the field is present
        return lambda msg, scope: bool(msg.header(field_name))

    def predicate(msg: SearchMessage, scope: SearchScope) -> bool:
        return any(needle in v.casefold() for v in msg.header(field_name))

    return predicate


def _build_text(name: str, args: Sequence[object]) -> Predicate:
    (value,) = _args(name, args, str)
    needle = str(value).casefold()
    if name == "BODY":
        return lambda msg, scope: needle in msg.text().casefold()
    return lambda msg, scope: (
        needle in msg.header_block().casefold() or needle in msg.text().casefold()
    )


# ---------------------------------------------------------------- message sets


class _SetPredicate:
    """Membership in a sequence set, with ranges merged and sorted per ``*`` value."""

    def __init__(self, seqset: SequenceSet, by_uid: bool) -> None:
        self._seqset = seqset
        self._by_uid = by_uid
        self._cache: tuple[int, list[int], list[int]] | None = None

    def __call__(self, msg: SearchMessage, scope: SearchScope) -> bool:
        if self._seqset.saved:
            # "$" names the messages of the saved result, whatever numbering.
            return msg.uid in scope.saved_uids
        if self._by_uid:
            number, largest = msg.uid, scope.largest_uid
        else:
            number, largest = msg.seq, scope.largest_seq
        starts, ends = self._ranges(largest)
        i = bisect_right(starts, number) - 1
        return i >= 0 and number <= ends[i]

    def _ranges(self, largest: int) -> tuple[list[int], list[int]]:
        cached = self._cache
        if cached is not None and cached[0] == largest:
            return cached[1], cached[2]
        starts: list[int] = []
        ends: list[int] = []
        for lo, hi in sorted(self._seqset.resolve(largest)):
            if ends and lo <= ends[-1] + 1:
                ends[-1] = max(ends[-1], hi)
            else:
                starts.append(lo)
                ends.append(hi)
        self._cache = (largest, starts, ends)
        return starts, ends


def _build_set(name: str, args: Sequence[object]) -> Predicate:
    (seqset,) = _args(name, args, SequenceSet)
    return _SetPredicate(seqset, by_uid=name == "UID")  # type: ignore[arg-type]


# ---------------------------------------------------------------- combinations


def _sub_keys(name: str, args: Sequence[object]) -> list[SearchKey]:
    if not all(isinstance(a, SearchKey) for a in args):
        raise ValueError(f"search key {name} takes search keys, got {args!r}")
    return list(args)  # type: ignore[arg-type]


def _build_not(name: str, args: Sequence[object]) -> Predicate:
    (inner,) = _args(name, args, SearchKey)
    p = compile_key(inner)  # type: ignore[arg-type]
    return lambda msg, scope: not p(msg, scope)


def _build_or(name: str, args: Sequence[object]) -> Predicate:
    left, right = _args(name, args, SearchKey, SearchKey)
    a, b = sorted((left, right), key=_cost)  # type: ignore[arg-type]
    pa, pb = compile_key(a), compile_key(b)
    return lambda msg, scope: pa(msg, scope) or pb(msg, scope)


def _build_and(name: str, args: Sequence[object]) -> Predicate:
    # Order does not change the result (keys have no side effects), only the
    # work done: metadata tests first, then headers, then bodies.
    parts = [compile_key(k) for k in sorted(_sub_keys(name, args), key=_cost)]
    if len(parts) == 1:
        return parts[0]
    return lambda msg, scope: all(p(msg, scope) for p in parts)


_Builder = Callable[[str, Sequence[object]], Predicate]

_BUILDERS: dict[str, _Builder] = {
    **dict.fromkeys(FLAG_KEYS, _build_flag),
    **dict.fromkeys(("ALL", "NEW", "OLD", "RECENT"), _build_state),
    **dict.fromkeys(("KEYWORD", "UNKEYWORD"), _build_keyword),
    **dict.fromkeys(("LARGER", "SMALLER", "MODSEQ"), _build_number),
    **dict.fromkeys(("BEFORE", "ON", "SINCE"), _build_internal_date),
    **dict.fromkeys(("SENTBEFORE", "SENTON", "SENTSINCE"), _build_sent_date),
    **dict.fromkeys(_ADDRESS_FIELDS, _build_field),
    "HEADER": _build_header,
    **dict.fromkeys(("BODY", "TEXT"), _build_text),
    **dict.fromkeys(("UID", "SEQSET"), _build_set),
    "NOT": _build_not,
    "OR": _build_or,
    "AND": _build_and,
}

# Every key this evaluator understands (the parser's output, see SearchKey).
KEY_NAMES = frozenset(_BUILDERS)
