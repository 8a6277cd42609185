"""Decoded text for SEARCH: header values, the header block, body text, the sent date.

Rules:
- Header values are unfolded, trimmed and decoded (RFC 2047 words, raw UTF-8).
- Body text is the text/* parts (html as it is), each undone from its
  transfer encoding (an unknown one is read as stored) and decoded by its
  charset; parts of embedded messages count, with their decoded headers, since
  they are part of the outer message's body.
- The sent date is the day, month and year of the first Date field, ignoring
  time and zone (RFC 9051 SENTBEFORE/SENTON/SENTSINCE).
"""

from __future__ import annotations

import datetime
import re

from roost.mime.decode import decode_charset, decode_transfer
from roost.mime.errors import UnknownEncoding
from roost.mime.headers import Field, field_list, first_value, header_end, raw_value
from roost.mime.part import Part
from roost.mime.rfc2047 import decode_words

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: i + 1 for i, m in enumerate(_MONTH_NAMES)}
_RFC_DATE = re.compile(rb"(\d{1,2})[\s-]+([A-Za-z]{3})[A-Za-z]*\.?[\s-]+(\d{2,4})(?!\d)")
_ISO_DATE = re.compile(rb"(\d{4})-(\d{1,2})-(\d{1,2})")


def header_values(header: bytes, name: str) -> list[str]:
    """Decoded values of every field called ``name`` (any case), in header order."""
    key = name.lower().encode("utf-8", "surrogateescape")
    fields = field_list(header, 0, len(header))
    return [decode_words(raw_value(header, f)) for f in fields if f.name == key]


def header_block(raw: bytes) -> bytes:
    """The top-level header of a message, with the blank line that ends it."""
    return raw[: header_end(raw)]


def decoded_header(header: bytes) -> str:
    """The whole header as ``Name: decoded value`` lines (for SEARCH TEXT)."""
    lines = []
    for f in field_list(header, 0, len(header)):
        name = header[f.start : f.value_start].rstrip(b": \t").decode("utf-8", "replace")
        lines.append(f"{name}: {decode_words(raw_value(header, f))}")
    return "\n".join(lines)


def sent_date(header: bytes, fields: list[Field] | None = None) -> datetime.date | None:
    """The date part of the first Date field, or None when there is none or it is unreadable.

    ``fields``: the header's fields when the caller has scanned it already."""
    if fields is None:
        fields = field_list(header, 0, len(header))
    value = first_value(header, fields, b"date")
    if value is None:
        return None
    m = _RFC_DATE.search(value)
    if m is not None:
        month = _MONTHS.get(m.group(2).lower().decode("ascii"))
        year = int(m.group(3))
        if len(m.group(3)) == 2:  # RFC 5322 section 4.3 obsolete years
            year += 2000 if year < 50 else 1900
        elif len(m.group(3)) == 3:
            year += 1900
        return _date(year, month, int(m.group(1)))
    m = _ISO_DATE.search(value)
    if m is not None:
        return _date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    return None


def _date(year: int, month: int | None, day: int) -> datetime.date | None:
    if month is None:
        return None
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def search_text(raw: bytes, root: Part) -> str:
    """Decoded text of the message body for SEARCH BODY/TEXT."""
    parts = root.walk()
    embedded = {id(p.children[0]) for p in parts if p.is_message}
    out: list[str] = []
    for part in parts:
        if id(part) in embedded:
            out.append(decoded_header(raw[part.header_start : part.body_start]))
        if part.type == "text" and not part.children:
            out.append(decode_charset(_content(raw, part), part.param("charset")))
    return "\n".join(out)


def _content(raw: bytes, part: Part) -> bytes:
    data = raw[part.body_start : part.body_end]
    try:
        return decode_transfer(data, part.encoding)
    except UnknownEncoding:
        return data  # search what is stored
