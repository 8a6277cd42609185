"""Header scanning: where a header ends, its fields with exact byte offsets, unfolding.

Rules (RFC 5322 section 2.2, tolerant as real mail needs):
- Lines end in LF with an optional CR before it; bare-LF mail is fine.
- A header ends at the first empty line (which belongs to the header) or, when
  there is none, at the first line that is neither a field (``name:``) nor a
  continuation (starts with space/tab); that line starts the body. With
  neither, the header runs to the end of the region and the body is empty.
- A continuation line before any field is kept in the header and ignored.
- Field names are printable ASCII without colon; whitespace before the colon
  (obsolete syntax) is allowed.

Nothing here decodes text; see ``rfc2047`` for that.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# The pieces of a header: the rest of a line (a region's end, ``\Z`` as the
# matcher's ``endpos``, may stand for the last line break), a continuation
# line, and a field's start: its name (printable ASCII but colon), optional
# whitespace and the colon.
_REST = rb"[^\n]*(?:\n|\Z)"
_CONTINUATION = rb"[ \t]" + _REST
_NAME = rb"[\x21-\x39\x3b-\x7e]+"
# One whole field: name (group 1), colon (group 2 marks where the value
# starts), the rest of the line and every continuation line after it.
_FIELD = re.compile(rb"(" + _NAME + rb")[ \t]*:()" + _REST + rb"(?:" + _CONTINUATION + rb")*")


class Field(NamedTuple):
    """One header field: ``raw[start:end]`` is the field with its final line break.

    A tuple, not a dataclass: a FETCH of header fields makes one per field of
    every message, and a tuple is several times cheaper to make."""

    name: bytes  # lower case
    start: int
    value_start: int  # just after the colon
    end: int


# Any run of header lines: field lines (name, colon) and continuation lines.
_LINES = re.compile(rb"(?:" + _NAME + rb"[ \t]*:" + _REST + rb"|" + _CONTINUATION + rb")*")
# Continuation lines before any field (kept in the header, ignored).
_LEADING = re.compile(rb"(?:" + _CONTINUATION + rb")*")


def _span(raw: bytes, start: int, end: int) -> tuple[int, int, int]:
    """(where the first field starts, where the fields end, where the body starts)
    for the header at ``raw[start:end]``; two regex matches, no loop per line."""
    first = _LEADING.match(raw, start, end).end()  # type: ignore[union-attr]  # matches ""
    stop = _LINES.match(raw, first, end).end()  # type: ignore[union-attr]
    if stop >= end:
        return first, stop, end
    octet = raw[stop]
    if octet == 0x0A:  # the empty line ends the header and belongs to it
        return first, stop, stop + 1
    if octet == 0x0D:  # CR LF, or a lone CR as the region's last octet: empty line
        if stop + 1 == end:
            return first, stop, end
        return first, stop, stop + 2 if raw[stop + 1] == 0x0A else stop
    return first, stop, stop  # not a header line: the body starts here


def scan_header(raw: bytes, start: int, end: int) -> tuple[int, list[Field]]:
    """Scan the header at ``raw[start:end]``: (offset where the body starts, fields)."""
    first, stop, body = _span(raw, start, end)
    # Between first and stop every line is a field or one of its continuations,
    # so the field matches follow each other without gaps.
    fields = [
        Field(m.group(1).lower(), m.start(), m.start(2), m.end())
        for m in _FIELD.finditer(raw, first, stop)
    ]
    return body, fields


def select_fields(raw: bytes, start: int, end: int, names: frozenset[bytes], keep: bool) -> bytes:
    """``HEADER.FIELDS`` (``keep``) or ``HEADER.FIELDS.NOT`` of the header at
    ``raw[start:end]``: the fields named (lower case) or not, each with a line
    break, then the empty line (RFC 9051 6.4.5)."""
    first, stop, _ = _span(raw, start, end)
    out = bytearray()
    for m in _FIELD.finditer(raw, first, stop):
        if (m.group(1).lower() in names) == keep:
            out += m.group()
            if raw[m.end() - 1] != 0x0A:  # a last field without its line break
                out += b"\r\n"
    out += b"\r\n"
    return bytes(out)


def field_list(raw: bytes, start: int, end: int) -> list[Field]:
    """The fields of the header at ``raw[start:end]``."""
    return scan_header(raw, start, end)[1]


def unfold(value: bytes) -> bytes:
    """Remove the line breaks of folding and the surrounding whitespace of the value."""
    return value.replace(b"\r\n", b"").replace(b"\n", b"").strip(b" \t\r")


def raw_value(raw: bytes, f: Field) -> bytes:
    """A field's value, unfolded and trimmed, bytes exactly as sent otherwise."""
    return unfold(raw[f.value_start : f.end])


def first_value(raw: bytes, fields: list[Field], name: bytes) -> bytes | None:
    """The unfolded value of the first field called ``name`` (lower case), or None."""
    for f in fields:
        if f.name == name:
            return raw_value(raw, f)
    return None


def header_end(raw: bytes, start: int = 0, end: int | None = None) -> int:
    """Where the body starts for the header beginning at ``start``."""
    return scan_header(raw, start, len(raw) if end is None else end)[0]
