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

# One whole field: its name (printable ASCII but colon), optional whitespace
# and the colon (group 2 marks where the value starts), the rest of the line
# and every continuation line after it. ``match`` is given the region's end
# as ``endpos``, so ``\Z`` is that end and a last line may lack its break.
_FIELD = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:()[^\n]*(?:\n|\Z)(?:[ \t][^\n]*(?:\n|\Z))*")


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
    match = _FIELD.match
    while pos < end:
        first = raw[pos]
        if first == 0x0A:  # the empty line ends the header and belongs to it
            return pos + 1, fields
        if first == 0x0D:  # CR LF, or a lone CR as the region's last octet: empty line
            if pos + 1 == end:
                return end, fields
            return (pos + 2, fields) if raw[pos + 1] == 0x0A else (pos, fields)
        if first in (0x20, 0x09):  # a continuation before any field: kept, ignored
            nl = raw.find(b"\n", pos, end)
            pos = end if nl < 0 else nl + 1
            continue
        m = match(raw, pos, end)
        if m is None:  # not a header line: the body starts here
            return pos, fields
        pos = m.end()
        fields.append(Field(m.group(1).lower(), m.start(), m.start(2), pos))
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
