"""Decoding header text to str: RFC 2047 encoded words and raw 8-bit (RFC 6532).

- Encoded words ``=?charset[*lang]?B|Q?text?=`` in any charset Python knows;
  an unknown charset decodes as UTF-8 with replacement characters.
- Whitespace between two adjacent encoded words is dropped (RFC 2047 section 6.2),
  and adjacent words in the same charset are joined before decoding, so a
  multi-byte character split across words still comes out whole.
- Raw 8-bit header bytes are taken as UTF-8 (invalid sequences -> U+FFFD).
- Malformed words are left as they are. Never raises.
"""

from __future__ import annotations

import re

from roost.mime.decode import decode_base64, decode_charset

_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def decode_words(value: bytes) -> str:
    """An unfolded header value as text."""
    text = value.decode("utf-8", "replace")
    if "=?" not in text:
        return text
    out: list[str] = []
    pending: tuple[str, bytearray] | None = None  # consecutive words of one charset
    pos = 0
    for m in _WORD.finditer(text):
        gap = text[pos : m.start()]
        charset = m.group(1).split("*", 1)[0].lower()
        data = _word_bytes(m.group(2), m.group(3))
        adjacent = pending is not None and not gap.strip(" \t\r\n")
        if adjacent and pending is not None and pending[0] == charset:
            pending[1].extend(data)
        else:
            if pending is not None:
                out.append(decode_charset(bytes(pending[1]), pending[0]))
            if not adjacent:
                out.append(gap)
            pending = (charset, bytearray(data))
        pos = m.end()
    if pending is not None:
        out.append(decode_charset(bytes(pending[1]), pending[0]))
    out.append(text[pos:])
    return "".join(out)


def _word_bytes(kind: str, encoded: str) -> bytes:
    data = encoded.encode("ascii", "replace")
    if kind in "bB":
        return decode_base64(data)
    data = data.replace(b"_", b" ")
    return _Q_HEX.sub(lambda m: bytes((int(m.group(1), 16),)), data)
