"""scan_header against a plain line-by-line reading of RFC 5322 section 2.2.

The reference below walks the header one line at a time, the obvious way;
``scan_header`` matches whole fields with one regular expression for speed
and must find exactly the same fields, offsets and body start on any bytes.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from roost.mime.headers import Field, scan_header, select_fields

_NAME = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")


def reference_scan(raw: bytes, start: int, end: int) -> tuple[int, list[Field]]:
    fields: list[Field] = []
    pos = start
    while pos < end:
        nl = raw.find(b"\n", pos, end)
        line_end = end if nl < 0 else nl + 1
        content_end = line_end if nl < 0 else nl
        if content_end > pos and raw[content_end - 1] == 0x0D:
            content_end -= 1
        if content_end == pos:
            return line_end, fields
        if raw[pos] in (0x20, 0x09):
            if fields:
                last = fields[-1]
                fields[-1] = Field(last.name, last.start, last.value_start, line_end)
        else:
            m = _NAME.match(raw, pos, content_end)
            if m is None:
                return pos, fields
            fields.append(Field(m.group(1).lower(), pos, m.end(), line_end))
        pos = line_end
    return end, fields


# Lines built from the pieces that matter: names, colons, folding, CR/LF, junk.
_PIECES = st.sampled_from(
    [
        b"Subject",
        b"From",
        b"X-a",
        b":",
        b" ",
        b"\t",
        b"\r",
        b"\n",
        b"\r\n",
        b"v",
        b"\x00",
        b"\xff",
        b"a b",
    ]
)
_RAW = st.lists(_PIECES, max_size=40).map(b"".join)


@settings(max_examples=600, deadline=None)
@given(_RAW, st.data())
def test_scan_header_agrees_with_the_line_reading(raw: bytes, data: st.DataObject) -> None:
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    assert scan_header(raw, start, end) == reference_scan(raw, start, end)


def test_folded_field_ends_after_its_continuations() -> None:
    raw = b"Subject: a\r\n b\r\n\tc\r\nFrom: x\r\n\r\nbody"
    body, fields = scan_header(raw, 0, len(raw))
    assert raw[body:] == b"body"
    assert [raw[f.start : f.end] for f in fields] == [
        b"Subject: a\r\n b\r\n\tc\r\n",
        b"From: x\r\n",
    ]
    assert raw[fields[0].value_start : fields[0].value_start + 2] == b" a"


def test_last_field_without_line_break_runs_to_the_end() -> None:
    raw = b"To: y\r\nSubject : z"
    assert scan_header(raw, 0, len(raw)) == (
        len(raw),
        [Field(b"to", 0, 3, 7), Field(b"subject", 7, 16, len(raw))],
    )


_NAMES = st.frozensets(st.sampled_from([b"subject", b"from", b"x-a", b"to"]), max_size=3)


@settings(max_examples=600, deadline=None)
@given(_RAW, _NAMES, st.booleans(), st.data())
def test_select_fields_agrees_with_the_line_reading(
    raw: bytes, names: frozenset[bytes], keep: bool, data: st.DataObject
) -> None:
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    expected = bytearray()
    for f in reference_scan(raw, start, end)[1]:
        if (f.name in names) == keep:
            expected += raw[f.start : f.end]
            if raw[f.end - 1] != 0x0A:
                expected += b"\r\n"
    assert select_fields(raw, start, end, names, keep) == bytes(expected) + b"\r\n"
