"""SEARCH keys as SQL conditions, and the stored searchable form of a message they run on.

Responsibility: one module owns both sides of the agreement, so they never drift
apart: ``index_header`` computes, once at APPEND, the decoded and casefolded
header columns a store keeps, and ``translate`` turns a search key into a SQL
condition over those columns and the message row. The meaning of every key is
the reference evaluator's (``roost.search.evaluate``); a key is translated only
when SQL gives exactly the evaluator's answer, otherwise ``translate`` returns
None and the caller runs the evaluator. Pure: it writes SQL text, it runs none.

Rules:
- Columns the condition uses: the message row ``m`` (``uid``, ``modseq``,
  ``size``, ``internaldate`` as ISO text in its own zone, ``flags`` as
  space-separated text, ``sysflags`` as the ``FLAG_BITS`` mask of its system
  flags) and the message's search row ``s`` (``HEADER_COLUMNS`` and
  ``sent_date`` as ``YYYY-MM-DD``); ``Condition.needs_headers`` says whether
  ``s`` is used.
- A header column holds the decoded values (exactly ``roost.mime.header_values``)
  of every field of that name, each casefolded, joined with LF; NULL when the
  message has no such field. NUL and lone surrogates become LF too, so SQLite
  text stays valid UTF-8. A needle without LF, NUL or surrogates then occurs in
  the column exactly when it occurs in one casefolded value (it cannot straddle
  an LF); a needle with one of them is left to the evaluator.
- Substrings use ``instr`` (no LIKE wildcards to escape), and every condition is
  0 or 1, never NULL (``coalesce``), so NOT and OR keep two-valued logic.
- Keys that depend on a session (SEQSET, RECENT, NEW, OLD, ``$``, and ``*`` in
  a UID set) are not translated: the caller binds them to explicit UID sets
  first (``roost.commands.search_bind``). KEYWORD needs the mailbox's stored
  spellings (casefold -> spellings), which only the store knows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from roost.mime.headers import Field, field_list, raw_value
from roost.mime.rfc2047 import decode_words
from roost.mime.searchtext import sent_date
from roost.protocol.commands import SearchKey, SequenceSet
from roost.search.evaluate import FLAG_KEYS

# Field name (lower case, as ``header_values`` compares it) -> search column.
HEADER_COLUMNS: dict[str, str] = {
    "from": "s_from",
    "to": "s_to",
    "cc": "s_cc",
    "bcc": "s_bcc",
    "subject": "s_subject",
}
T = TypeVar("T")
U = TypeVar("U")

_KEY_FIELDS = {"BCC": "bcc", "CC": "cc", "FROM": "from", "SUBJECT": "subject", "TO": "to"}

# System flag -> bit of the ``sysflags`` column.
FLAG_BITS: dict[str, int] = {
    "\\Answered": 1,
    "\\Deleted": 2,
    "\\Draft": 4,
    "\\Flagged": 8,
    "\\Seen": 16,
}
_SYSTEM_BY_FOLD = {f.casefold(): f for f in FLAG_BITS}
_DATE_OPS = {"BEFORE": "<", "ON": "=", "SINCE": ">="}

SEPARATOR = "\n"
MAX_DEPTH = 100  # SQLite refuses expressions nested much deeper than this
MAX_PARAMS = 30_000  # below SQLite's default limit of bound variables
MAX_RANGES = 32  # UID sets with more ranges become one IN list
MAX_LISTED = 1_000_000  # UIDs in such a list (beyond that: the evaluator)


def sysflags(flags: Sequence[str] | frozenset[str]) -> int:
    """The ``sysflags`` mask of a set of (canonical) flags."""
    mask = 0
    for flag in flags:
        mask |= FLAG_BITS.get(flag, 0)
    return mask


# ---------------------------------------------------------------- the stored form


@dataclass(frozen=True, slots=True)
class HeaderIndex:
    """The searchable columns of one message (see the module rules)."""

    s_from: str | None
    s_to: str | None
    s_cc: str | None
    s_bcc: str | None
    s_subject: str | None
    sent_date: str | None

    def values(self) -> tuple[str | None, ...]:
        """In the order of ``INDEX_COLUMNS``."""
        return (self.s_from, self.s_to, self.s_cc, self.s_bcc, self.s_subject, self.sent_date)


INDEX_COLUMNS = ("s_from", "s_to", "s_cc", "s_bcc", "s_subject", "sent_date")


def _clean(text: str) -> str:
    if text.isprintable() or not any(c == "\x00" or "\ud800" <= c <= "\udfff" for c in text):
        return text
    return "".join(SEPARATOR if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def column_text(values: Sequence[str]) -> str | None:
    """One header column from the decoded values of its fields."""
    if not values:
        return None
    return _clean(SEPARATOR.join(v.casefold() for v in values))


def index_header(header: bytes, fields: list[Field] | None = None) -> HeaderIndex:
    """The searchable columns of a message, from its top-level header block
    (and its fields, when the caller has scanned them already)."""
    if fields is None:
        fields = field_list(header, 0, len(header))
    found: dict[str, list[str]] = {name: [] for name in HEADER_COLUMNS}
    for f in fields:
        # Field names are ASCII bytes, compared lower case as ``header_values`` does.
        name = f.name.decode("ascii", "replace")
        if name in found:
            found[name].append(decode_words(raw_value(header, f)))
    sent = sent_date(header, fields)
    return HeaderIndex(
        *(column_text(found[name]) for name in HEADER_COLUMNS),
        sent_date=None if sent is None else sent.isoformat(),
    )


# ---------------------------------------------------------------- translation


@dataclass(frozen=True, slots=True)
class Condition:
    sql: str
    params: tuple[object, ...]
    needs_headers: bool


class _Untranslatable(Exception):
    pass


def translate(key: SearchKey, keywords: Mapping[str, Sequence[str]]) -> Condition | None:
    """A SQL condition equal to ``key``, or None when SQL cannot say exactly the same.

    ``keywords`` maps a casefolded keyword to the spellings stored in the mailbox.
    """
    builder = _Builder(keywords)
    try:
        sql = builder.build(key, 0)
    except _Untranslatable:
        return None
    if len(builder.params) > MAX_PARAMS:
        return None
    return Condition(sql, tuple(builder.params), builder.needs_headers)


def translatable(key: SearchKey) -> bool:
    """Whether ``translate`` can take ``key`` (keyword spellings do not matter here)."""
    return translate(key, {}) is not None


class _Builder:
    def __init__(self, keywords: Mapping[str, Sequence[str]]) -> None:
        self.keywords = keywords
        self.params: list[object] = []
        self.needs_headers = False

    def build(self, key: SearchKey, depth: int) -> str:
        if depth > MAX_DEPTH:
            raise _Untranslatable
        name, args = key.name, key.args
        if name == "ALL" and not args:
            return "1"
        if name in FLAG_KEYS and not args:
            flag, present = FLAG_KEYS[name]
            return f"(m.sysflags & {FLAG_BITS[flag]}) {'!=' if present else '='} 0"
        if name in ("KEYWORD", "UNKEYWORD"):
            test = self._keyword(_one(args, str))
            return test if name == "KEYWORD" else f"NOT {test}"
        if name in ("LARGER", "SMALLER", "MODSEQ"):
            n = _one(args, int)
            column, op = {"LARGER": ("size", ">"), "SMALLER": ("size", "<")}.get(
                name, ("modseq", ">=")
            )
            return self._param(f"m.{column} {op} ?", n)
        if name in _DATE_OPS:
            day = _day(_one(args, date))
            return self._param(f"substr(m.internaldate, 1, 10) {_DATE_OPS[name]} ?", day)
        if name.startswith("SENT") and name[4:] in _DATE_OPS:
            day = _day(_one(args, date))
            self.needs_headers = True
            return self._param(f"coalesce(s.sent_date {_DATE_OPS[name[4:]]} ?, 0)", day)
        if name in _KEY_FIELDS:
            return self._field(_KEY_FIELDS[name], _one(args, str))
        if name == "HEADER":
            field_name, value = _two(args, str, str)
            if field_name.lower() not in HEADER_COLUMNS:
                raise _Untranslatable
            return self._field(field_name.lower(), value)
        if name == "UID":
            return self._uids(_one(args, SequenceSet))
        return self._compound(key, depth)

    def _compound(self, key: SearchKey, depth: int) -> str:
        subs = [a for a in key.args if isinstance(a, SearchKey)]
        if len(subs) != len(key.args):
            raise _Untranslatable
        if key.name == "NOT" and len(subs) == 1:
            return f"NOT ({self.build(subs[0], depth + 1)})"
        if key.name == "OR" and len(subs) == 2:
            left, right = (self.build(k, depth + 1) for k in subs)
            return f"(({left}) OR ({right}))"
        if key.name == "AND":
            if not subs:
                return "1"
            return "(" + " AND ".join(f"({self.build(k, depth + 1)})" for k in subs) + ")"
        # SEQSET, RECENT, NEW, OLD (session keys), BODY, TEXT, or malformed.
        raise _Untranslatable

    def _param(self, sql: str, value: object) -> str:
        self.params.append(value)
        return sql

    def _keyword(self, word: str) -> str:
        folded = word.casefold()
        if word.startswith("\\"):
            # Stored flags hold only the RFC system flags among backslash names.
            system = _SYSTEM_BY_FOLD.get(folded)
            return f"((m.sysflags & {FLAG_BITS[system]}) != 0)" if system else "0"
        spellings = [s for s in self.keywords.get(folded, ()) if s and " " not in s]
        if not spellings:
            return "0"
        tests = [self._param("instr(' ' || m.flags || ' ', ?) > 0", f" {s} ") for s in spellings]
        return "(" + " OR ".join(tests) + ")"

    def _field(self, field_name: str, value: str) -> str:
        column = "s." + HEADER_COLUMNS[field_name]
        self.needs_headers = True
        needle = value.casefold()
        if not needle:  # RFC 9051: an empty string matches when the field exists
            return f"({column} IS NOT NULL)"
        if _clean(needle) != needle or SEPARATOR in needle:
            raise _Untranslatable
        return self._param(f"coalesce(instr({column}, ?), 0) > 0", needle)

    def _uids(self, seqset: SequenceSet) -> str:
        if seqset.saved or any(r.start is None or r.end is None for r in seqset.ranges):
            raise _Untranslatable  # "$" and "*" are the session's to bind
        ranges = _merged(seqset.resolve(0))
        if not ranges:
            return "0"
        if len(ranges) <= MAX_RANGES:
            tests = [self._range(lo, hi) for lo, hi in ranges]
            return "(" + " OR ".join(tests) + ")"
        if sum(hi - lo + 1 for lo, hi in ranges) > MAX_LISTED:
            raise _Untranslatable
        listed = ",".join(",".join(map(str, range(lo, hi + 1))) for lo, hi in ranges)
        return self._param("m.uid IN (SELECT value FROM json_each(?))", f"[{listed}]")

    def _range(self, lo: int, hi: int) -> str:
        if lo == hi:
            return self._param("m.uid = ?", lo)
        self.params += [lo, hi]
        return "m.uid BETWEEN ? AND ?"


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[list[int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def _day(value: date) -> str:
    # Only the calendar day counts, as in the evaluator.
    return (value.date() if isinstance(value, datetime) else value).isoformat()


def _one(args: tuple[object, ...], kind: type[T]) -> T:
    if len(args) == 1 and isinstance(args[0], kind) and not isinstance(args[0], bool):
        return args[0]
    raise _Untranslatable


def _two(args: tuple[object, ...], first: type[T], second: type[U]) -> tuple[T, U]:
    if len(args) == 2 and isinstance(args[0], first) and isinstance(args[1], second):
        return args[0], args[1]
    raise _Untranslatable
