"""IMAP data values and their wire encoding (RFC 9051 section 4).

A response is built from plain Python values, and this module is the one place
that turns them into bytes:

- ``None`` -> ``NIL``
- ``int`` -> number
- ``bytes`` / ``str`` -> a quoted string when that is safe, else a literal
- ``Atom`` -> written as it is (flags, keywords, ``\\Noselect``, response-code names)
- ``list`` / ``tuple`` -> a parenthesized list
- ``Raw`` -> already-encoded bytes (stored ENVELOPE / BODYSTRUCTURE) written as they are

Rules: the encoder never writes invalid IMAP. Strings with CR, LF, NUL or 8-bit
bytes (unless ``utf8`` is allowed) become literals; ``Atom`` refuses characters
that an atom cannot hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

# RFC 9051 ATOM-CHAR excludes these (atom-specials), and also resp-specials "]".
_ATOM_SPECIALS = frozenset(b'(){ %*"\\]') | frozenset(range(0x00, 0x20)) | {0x7F}
# Octets a quoted string cannot hold (CR, LF, NUL; 8-bit ones unless UTF-8 is
# on) and octets that are not ATOM-CHARs, as classes so a string is checked in C.
_NOT_QUOTABLE = re.compile(rb"[\r\n\x00\x80-\xff]")
_NOT_QUOTABLE_UTF8 = re.compile(rb"[\r\n\x00]")
_NOT_ATOM = re.compile(rb'[(){ %*"\\\]\x00-\x1f\x7f-\xff]')


@dataclass(frozen=True, slots=True)
class Atom:
    """An atom or flag written as it is: ``FLAGS``, ``\\Seen``, ``$Junk``, ``NIL`` is not one."""

    text: str

    def __post_init__(self) -> None:
        data = self.text.encode("ascii")
        if not data:
            raise ValueError("empty atom")
        body = data[1:] if data[:1] == b"\\" else data
        if any(b in _ATOM_SPECIALS or b > 0x7E for b in body):
            raise ValueError(f"not an atom: {self.text!r}")


@dataclass(frozen=True, slots=True)
class Raw:
    """Bytes that are already valid IMAP (a precomputed ENVELOPE, say)."""

    data: bytes


@dataclass(frozen=True, slots=True)
class Literal:
    """A string that must go as a literal (message bodies); ``binary`` makes it ``~{n}``."""

    data: bytes
    binary: bool = False


Value = Union[None, int, bytes, str, Atom, Raw, Literal, list["Value"], tuple["Value", ...]]  # noqa: UP007 (recursive alias)


def encode_value(value: Value, *, utf8: bool = False) -> bytes:
    """Encode one value as IMAP bytes; ``utf8`` allows 8-bit text in quoted strings."""
    out = bytearray()
    _encode_into(out, value, utf8)
    return bytes(out)


def _encode_into(out: bytearray, value: Value, utf8: bool) -> None:
    if value is None:
        out += b"NIL"
    elif isinstance(value, bool):
        raise TypeError("bool is not an IMAP value")
    elif isinstance(value, int):
        if value < 0:
            raise ValueError("IMAP numbers are unsigned")
        out += str(value).encode()
    elif isinstance(value, str):
        out += encode_string(value.encode("utf-8"), utf8=utf8)
    elif isinstance(value, bytes):
        out += encode_string(value, utf8=utf8)
    elif isinstance(value, Atom):
        out += value.text.encode("ascii")
    elif isinstance(value, Raw):
        out += value.data
    elif isinstance(value, Literal):
        out += b"~{%d}\r\n" % len(value.data) if value.binary else b"{%d}\r\n" % len(value.data)
        out += value.data
    elif isinstance(value, (list, tuple)):
        out += b"("
        for i, item in enumerate(value):
            if i:
                out += b" "
            _encode_into(out, item, utf8)
        out += b")"
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as IMAP")


def encode_string(data: bytes, *, utf8: bool = False) -> bytes:
    """A quoted string when every byte allows it, else a literal."""
    if len(data) > 1024 or (_NOT_QUOTABLE_UTF8 if utf8 else _NOT_QUOTABLE).search(data):
        return b"{%d}\r\n" % len(data) + data
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def encode_astring(text: str, *, utf8: bool = False) -> bytes:
    """An astring: a bare atom when it is one (mailbox names in LIST look nicer), else a string."""
    data = text.encode("utf-8")
    if data and not _NOT_ATOM.search(data) and data.upper() != b"NIL":
        return data
    return encode_string(data, utf8=utf8)


def nstring(data: bytes | None, *, utf8: bool = False) -> bytes:
    """NIL or a string."""
    return b"NIL" if data is None else encode_string(data, utf8=utf8)
