"""The analysed part tree (``Part``) and the result of ``analyse`` (``Analysis``).

Offsets index the raw message bytes: a part's MIME header is
``raw[header_start:body_start]`` (including the blank line that ends it, when
there is one) and its body is ``raw[body_start:body_end]``. Sections are
slices of the stored message, never re-parsed text.

Strings taken from header bytes are decoded as UTF-8 with ``surrogateescape``
so that 8-bit bytes survive exactly; ``to_bytes`` turns them back. The JSON
form (stored per message) is a compact nested list, pure ASCII.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from roost.mime.headers import Field

Params = list[tuple[str, str]]


def to_bytes(text: str) -> bytes:
    """The original header bytes of a string made by ``from_bytes``."""
    return text.encode("utf-8", "surrogateescape")


def from_bytes(data: bytes) -> str:
    """A lossless str for header bytes (invalid UTF-8 kept as surrogates)."""
    return data.decode("utf-8", "surrogateescape")


@dataclass
class Part:
    """One MIME entity; the root is the message itself."""

    header_start: int
    body_start: int
    body_end: int
    type: str = "text"
    subtype: str = "plain"
    params: Params = field(default_factory=list)
    id: str | None = None
    description: str | None = None
    encoding: str = "7BIT"
    md5: str | None = None
    disposition: tuple[str, Params] | None = None
    language: list[str] | None = None
    location: str | None = None
    lines: int = 0
    children: list[Part] = field(default_factory=list)

    @property
    def is_multipart(self) -> bool:
        return self.type == "multipart"

    @property
    def is_message(self) -> bool:
        """An encapsulated message whose body is analysed as ``children[0]``."""
        return self.type == "message" and self.subtype == "rfc822" and bool(self.children)

    def param(self, name: str) -> str | None:
        """The first content-type parameter of that (lower-case) name."""
        for key, value in self.params:
            if key == name:
                return value
        return None

    def walk(self) -> list[Part]:
        """This part and all below it, depth first (iterative: trees can be deep)."""
        out: list[Part] = []
        stack = [self]
        while stack:
            part = stack.pop()
            out.append(part)
            stack.extend(reversed(part.children))
        return out

    def to_json(self) -> str:
        return json.dumps(_pack(self), separators=(",", ":"), ensure_ascii=True)

    @staticmethod
    def from_json(s: str) -> Part:
        return _unpack(json.loads(s))


@dataclass
class Analysis:
    """What APPEND stores per message: the IMAP wire forms and the part tree."""

    envelope: bytes
    body: bytes
    bodystructure: bytes
    structure: Part
    # The top-level header's fields (offsets into the message, which is also
    # its header block's start), for the search index without a second scan.
    header_fields: list[Field] = field(default_factory=list)


def _pack(p: Part) -> list[Any]:
    disposition = None if p.disposition is None else [p.disposition[0], _pairs(p.disposition[1])]
    return [
        p.header_start,
        p.body_start,
        p.body_end,
        p.type,
        p.subtype,
        _pairs(p.params),
        p.id,
        p.description,
        p.encoding,
        p.md5,
        disposition,
        p.language,
        p.location,
        p.lines,
        [_pack(c) for c in p.children],
    ]


def _pairs(params: Params) -> list[list[str]]:
    return [[k, v] for k, v in params]


def _unpack(d: list[Any]) -> Part:
    (hs, bs, be, typ, sub, params, pid, desc, enc, md5, disp, lang, loc, lines, kids) = d
    return Part(
        header_start=hs,
        body_start=bs,
        body_end=be,
        type=typ,
        subtype=sub,
        params=[(k, v) for k, v in params],
        id=pid,
        description=desc,
        encoding=enc,
        md5=md5,
        disposition=None if disp is None else (disp[0], [(k, v) for k, v in disp[1]]),
        language=lang,
        location=loc,
        lines=lines,
        children=[_unpack(c) for c in kids],
    )
