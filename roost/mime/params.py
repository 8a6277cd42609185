"""Structured MIME header fields: Content-Type, Content-Disposition, CTE, Content-Language.

RFC 2045 section 5.1 syntax, read tolerantly:
- comments ``(...)`` (nested) are skipped, quoted strings unquoted;
- an unquoted parameter value runs to the next ``;`` (so ``boundary=--=_x``
  and ``name=a b.txt`` survive) with surrounding whitespace trimmed;
- a broken parameter is skipped up to the next ``;``;
- RFC 2231 continuations (``name*0``, ``name*1*``...) are joined into ``name``
  (or ``name*`` when encoded, value left encoded as servers report it).
Parameter names are lower case. Text is kept as the raw bytes (surrogateescape str).
"""

from __future__ import annotations

import re

from roost.mime.part import Params, from_bytes

_TSPECIALS = frozenset(b'()<>@,;:\\"/[]?=')
_SECTION = re.compile(r"^(.+)\*(\d{1,3})(\*?)$")

Token = tuple[str, bytes, int, int]  # kind ("t" token, "q" quoted, "s" special), text, start, end


def tokenize(value: bytes) -> list[Token]:
    """Split a structured field value into tokens, quoted strings and specials."""
    out: list[Token] = []
    i, n = 0, len(value)
    while i < n:
        c = value[i]
        if c in b" \t\r\n":
            i += 1
        elif c == 0x28:  # "("
            i = _skip_comment(value, i)
        elif c == 0x22:  # '"'
            text, j = _quoted(value, i)
            out.append(("q", text, i, j))
            i = j
        elif c in _TSPECIALS:
            out.append(("s", value[i : i + 1], i, i + 1))
            i += 1
        else:
            j = i
            while j < n and value[j] not in _TSPECIALS and value[j] > 0x20 and value[j] != 0x7F:
                j += 1
            if j == i:  # a control character: skip it
                i += 1
                continue
            out.append(("t", value[i:j], i, j))
            i = j
    return out


def _skip_comment(value: bytes, i: int) -> int:
    depth, n = 0, len(value)
    while i < n:
        c = value[i]
        if c == 0x5C:  # backslash quotes the next byte
            i += 2
            continue
        if c == 0x28:
            depth += 1
        elif c == 0x29:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return n


def _quoted(value: bytes, i: int) -> tuple[bytes, int]:
    out = bytearray()
    i += 1
    n = len(value)
    while i < n:
        c = value[i]
        if c == 0x5C and i + 1 < n:
            out.append(value[i + 1])
            i += 2
        elif c == 0x22:
            return bytes(out), i + 1
        else:
            out.append(c)
            i += 1
    return bytes(out), n


def content_type(value: bytes) -> tuple[str, str, Params] | None:
    """(type, subtype, params), lower-case type names; None when the syntax is invalid."""
    toks = tokenize(value)
    if len(toks) < 3 or toks[0][0] != "t" or toks[1][1] != b"/" or toks[2][0] != "t":
        return None
    typ = from_bytes(toks[0][1].lower())
    sub = from_bytes(toks[2][1].lower())
    return typ, sub, parameters(value, toks[3:])


def disposition(value: bytes) -> tuple[str, Params] | None:
    """(disposition type as written, params); None when there is no type token."""
    toks = tokenize(value)
    if not toks or toks[0][0] != "t":
        return None
    return from_bytes(toks[0][1]), parameters(value, toks[1:])


def parameters(value: bytes, toks: list[Token]) -> Params:
    """The ``; name=value`` list that follows a media type or disposition type."""
    raw: Params = []
    i, n = 0, len(toks)
    while i < n:
        if toks[i][1] != b";" or toks[i][0] != "s":
            i += 1  # junk before the next ";"
            continue
        i += 1
        if i + 1 >= n or toks[i][0] != "t" or toks[i + 1][1] != b"=":
            continue
        name = from_bytes(toks[i][1].lower())
        i += 2
        if i < n and toks[i][0] == "q":
            raw.append((name, from_bytes(toks[i][1])))
            i += 1
            continue
        j = i
        while j < n and not (toks[j][0] == "s" and toks[j][1] == b";"):
            j += 1
        if j > i:
            raw.append((name, from_bytes(value[toks[i][2] : toks[j - 1][3]])))
        i = j
    return _join_continuations(raw)


def _join_continuations(params: Params) -> Params:
    """RFC 2231 section 3: ``x*0``, ``x*1``... become one ``x`` (``x*`` if encoded)."""
    if not any("*" in name for name, _ in params):
        return params
    groups: dict[str, list[tuple[int, bool, str]]] = {}
    order: list[tuple[str, str | None]] = []  # (name, value) or (base, None) placeholder
    for name, val in params:
        m = _SECTION.match(name)
        if m is None:
            order.append((name, val))
            continue
        base = m.group(1)
        if base not in groups:
            groups[base] = []
            order.append((base, None))
        groups[base].append((int(m.group(2)), bool(m.group(3)), val))
    out: Params = []
    for name, val in order:
        if val is not None:
            out.append((name, val))
            continue
        segments = sorted(groups[name], key=lambda s: s[0])
        encoded = segments[0][1]
        out.append((name + "*" if encoded else name, "".join(s[2] for s in segments)))
    return out


def transfer_encoding(value: bytes | None) -> str:
    """The CTE token upper-cased; 7BIT when absent or empty."""
    if value is None:
        return "7BIT"
    toks = [t for t in tokenize(value) if t[0] == "t"]
    return from_bytes(toks[0][1].upper()) if toks else "7BIT"


def languages(value: bytes | None) -> list[str] | None:
    """Content-Language tags (RFC 3282), or None."""
    if value is None:
        return None
    tags = [from_bytes(t[1]) for t in tokenize(value) if t[0] == "t"]
    return tags or None
