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
from dataclasses import dataclass

_FIELD_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


@dataclass(frozen=True, slots=True)
class Field:
    """One header field: ``raw[start:end]`` is the field with its final line break."""

    name: bytes  # lower case
    start: int
    value_start: int  # just after the colon
    end: int


def scan_header(raw: bytes, start: int, end: int) -> tuple[int, list[Field]]:
    """Scan the header at ``raw[start:end]``: (offset where the body starts, fields)."""
    fields: list[Field] = []
    pos = start
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        content_end = line_end if nl < 0 else nl
        if content_end > pos and raw[content_end - 1] == 0x0D:
            content_end -= 1
        if content_end == pos:  # the empty line ends the header and belongs to it
            return line_end, fields
        if raw[pos] in (0x20, 0x09):  # continuation (or an orphan one, ignored)
            if fields:
                last = fields[-1]
                fields[-1] = Field(last.name, last.start, last.value_start, line_end)
        else:
            m = _FIELD_NAME.match(raw, pos, content_end)
            if m is None:  # not a header line: the body starts here
                return pos, fields
            fields.append(Field(m.group(1).lower(), pos, m.end(), line_end))
        pos = line_end
    return end, fields


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
