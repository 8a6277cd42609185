"""Client-side encoding of the values inside commands (the parser's inverse).

``ValueWriter`` writes astrings, strings, list-mailbox patterns, flags,
sequence sets, dates, fetch items and search keys the way ``parser_core``,
``parser_fetch`` and ``parser_search`` read them back. Strings become a bare
atom when they are one, a quoted string when that is safe (7-bit, no CR, LF or
NUL), and a literal otherwise: non-synchronizing ``{n+}`` (RFC 7888) unless
``literal_plus`` is off.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from roost.protocol.commands import (
    FetchAttr,
    FetchBinarySize,
    FetchBody,
    SearchKey,
    Section,
    SeqRange,
    SequenceSet,
)

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_ASTRING = re.compile(rb'[^(){ %*"\\\x00-\x1f\x7f-\xff]+\Z')
_ATOM = re.compile(rb'[^(){ %*"\\\]\x00-\x1f\x7f-\xff]+\Z')
_LIST_CHARS = re.compile(rb'[^(){ "\\\x00-\x1f\x7f-\xff]+\Z')
_QUOTABLE = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x7f]*\Z")


class ValueWriter:
    def __init__(self, literal_plus: bool = True) -> None:
        self.plus = literal_plus

    # ------------------------------------------------------------ strings

    def literal(self, data: bytes, binary: bool = False) -> bytes:
        if not binary and b"\x00" in data:
            raise ValueError("NUL needs a literal8 (binary=True)")
        head = b"~{%d" % len(data) if binary else b"{%d" % len(data)
        return head + (b"+}\r\n" if self.plus else b"}\r\n") + data

    def string(self, data: bytes) -> bytes:
        if len(data) <= 1024 and _QUOTABLE.match(data):
            return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'
        return self.literal(data)

    def astring(self, text: str, codec: str = "utf-8") -> bytes:
        data = text.encode(codec)
        return data if _ASTRING.match(data) else self.string(data)

    def list_mailbox(self, text: str) -> bytes:
        data = text.encode("utf-8")
        return data if _LIST_CHARS.match(data) else self.string(data)

    def charset(self, name: str) -> bytes:
        """``charset = atom / quoted``."""
        data = name.encode("ascii")
        return data if _ATOM.match(data) else self.string(data)

    def nstring(self, text: str | None) -> bytes:
        return b"NIL" if text is None else self.string(text.encode("utf-8"))

    # ------------------------------------------------------------ simple values

    @staticmethod
    def flags(flags: tuple[str, ...]) -> bytes:
        return b"(" + b" ".join(f.encode("ascii") for f in flags) + b")"

    @staticmethod
    def sequence_set(seq: SequenceSet) -> bytes:
        if seq.saved:
            return b"$"
        return b",".join(_seq_range(r) for r in seq.ranges)

    @staticmethod
    def date(d: date) -> bytes:
        return f"{d.day}-{_MONTHS[d.month - 1]}-{d.year:04d}".encode("ascii")

    @staticmethod
    def date_time(dt: datetime) -> bytes:
        offset = dt.utcoffset()
        if offset is None:
            raise ValueError("APPEND date-time must be timezone-aware")
        sign = "-" if offset < timedelta(0) else "+"
        minutes = abs(offset) // timedelta(minutes=1)
        zone = f"{sign}{minutes // 60:02d}{minutes % 60:02d}"
        text = f"{dt.day:2d}-{_MONTHS[dt.month - 1]}-{dt.year:04d} {dt:%H:%M:%S} {zone}"
        return b'"' + text.encode("ascii") + b'"'

    # ------------------------------------------------------------ fetch items

    def fetch_item(self, item: FetchAttr) -> bytes:
        if isinstance(item, str):
            return item.encode("ascii")
        if isinstance(item, FetchBinarySize):
            return b"BINARY.SIZE[" + _part(item.part) + b"]"
        name = b"BINARY" if item.binary else b"BODY"
        out = name + (b".PEEK[" if item.peek else b"[") + self._section(item) + b"]"
        if item.partial is not None:
            out += b"<%d.%d>" % item.partial
        return out

    def _section(self, item: FetchBody) -> bytes:
        section: Section = item.section
        out = _part(section.part)
        if section.text:
            out += (b"." if section.part else b"") + section.text.encode("ascii")
        if section.fields:
            out += b" (" + b" ".join(self.astring(f) for f in section.fields) + b")"
        return out

    # ------------------------------------------------------------ search keys

    def search_key(self, key: SearchKey, codec: str) -> bytes:
        if key.name == "AND":
            return b"(" + self.search_keys(key, codec) + b")"
        if key.name == "SEQSET":
            return self.sequence_set(key.args[0])  # type: ignore[arg-type]
        out = [key.name.encode("ascii")]
        for arg in key.args:
            out.append(self._search_arg(key.name, arg, codec))
        return b" ".join(out)

    def search_keys(self, key: SearchKey, codec: str) -> bytes:
        """The keys of an AND, space separated (the top level of SEARCH)."""
        return b" ".join(self.search_key(k, codec) for k in key.args)  # type: ignore[arg-type]

    def _search_arg(self, name: str, arg: object, codec: str) -> bytes:
        if isinstance(arg, SearchKey):
            return self.search_key(arg, codec)
        if isinstance(arg, SequenceSet):
            return self.sequence_set(arg)
        if isinstance(arg, bool):
            raise TypeError("bool is not a search argument")
        if isinstance(arg, int):
            return b"%d" % arg
        if isinstance(arg, date):
            return self.date(arg)
        if isinstance(arg, str):
            if name in ("KEYWORD", "UNKEYWORD"):
                return arg.encode("ascii")
            return self.astring(arg, codec)
        raise TypeError(f"cannot encode search argument {arg!r}")


def _seq_range(r: SeqRange) -> bytes:
    start = b"*" if r.start is None else b"%d" % r.start
    if r.start == r.end:
        return start
    return start + b":" + (b"*" if r.end is None else b"%d" % r.end)


def _part(part: tuple[int, ...]) -> bytes:
    return b".".join(b"%d" % p for p in part)


__all__ = ["ValueWriter"]
