"""A small reader for IMAP values (strings, literals, NIL, numbers, lists), for checking output."""

from __future__ import annotations

Item = bytes | int | None | list["Item"]


def read_value(data: bytes) -> Item:
    """Parse one complete value; raises ValueError on anything that is not valid IMAP."""
    item, pos = _read(data, 0)
    if pos != len(data):
        raise ValueError(f"trailing data at {pos}")
    return item


def _read(data: bytes, pos: int) -> tuple[Item, int]:
    c = data[pos : pos + 1]
    if c == b"(":
        out: list[Item] = []
        pos += 1
        while data[pos : pos + 1] != b")":
            if out and data[pos : pos + 1] == b" ":
                pos += 1
            if pos >= len(data):
                raise ValueError("unterminated list")
            item, pos = _read(data, pos)
            out.append(item)
        return out, pos + 1
    if c == b'"':
        buf = bytearray()
        pos += 1
        while True:
            ch = data[pos : pos + 1]
            if ch in (b"", b"\r", b"\n", b"\x00"):
                raise ValueError("bad quoted string")
            if ch == b"\\":
                buf += data[pos + 1 : pos + 2]
                pos += 2
            elif ch == b'"':
                return bytes(buf), pos + 1
            else:
                buf += ch
                pos += 1
    if c == b"{":
        end = data.index(b"}\r\n", pos)
        n = int(data[pos + 1 : end])
        start = end + 3
        text = data[start : start + n]
        if len(text) != n or b"\x00" in text:
            raise ValueError("bad literal")
        return text, start + n
    if data.startswith(b"NIL", pos):
        return None, pos + 3
    end = pos
    while end < len(data) and data[end : end + 1].isdigit():
        end += 1
    if end == pos:
        raise ValueError(f"unexpected {c!r} at {pos}")
    return int(data[pos:end]), end
