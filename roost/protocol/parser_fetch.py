"""Parser for FETCH data items (RFC 9051 section 6.4.5, RFC 3516, RFC 7162).

Reads the item list of a FETCH: a macro (ALL / FAST / FULL, expanded here), one
item, or a parenthesized list, and the ``(CHANGEDSINCE n [VANISHED])`` modifiers.

Rules: item names are case-insensitive and returned upper case; ``BODY[...]``
sections are validated (MIME only after a part number, HEADER.FIELDS needs a
non-empty field list, BINARY takes part numbers only); field names are
upper-cased; a partial ``<offset.length>`` needs a non-zero length.
"""

from __future__ import annotations

import re

from roost.protocol.commands import FetchAttr, FetchBinarySize, FetchBody, Section
from roost.protocol.parser_core import MAX_NUMBER, MAX_NUMBER64, Reader

SIMPLE_ITEMS = frozenset(
    {
        "FLAGS",
        "INTERNALDATE",
        "RFC822.SIZE",
        "ENVELOPE",
        "BODY",
        "BODYSTRUCTURE",
        "UID",
        "MODSEQ",
        "RFC822",
        "RFC822.HEADER",
        "RFC822.TEXT",
    }
)
MACROS: dict[str, tuple[str, ...]] = {
    "ALL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE"),
    "FAST": ("FLAGS", "INTERNALDATE", "RFC822.SIZE"),
    "FULL": ("FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY"),
}
SECTION_TEXTS = frozenset({"HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME"})
_ITEM_NAME = re.compile(rb"[A-Za-z0-9.]+")
_SECTION_TEXT = re.compile(rb"[A-Za-z.]+")


def fetch_items(r: Reader) -> tuple[FetchAttr, ...]:
    """``ALL / FAST / FULL / fetch-att / "(" fetch-att *(SP fetch-att) ")"``."""
    if r.peek() == b"(":
        return tuple(r.paren(lambda: fetch_item(r)))
    for name, expansion in MACROS.items():
        if r.try_keyword(name):
            return expansion
    return (fetch_item(r),)


def fetch_item(r: Reader) -> FetchAttr:
    m = _ITEM_NAME.match(r.data, r.pos)
    if m is None:
        r.fail("expected a fetch item")
    r.pos = m.end()
    name = m.group().decode("ascii").upper()
    if r.peek() != b"[":
        if name in SIMPLE_ITEMS:
            return name
        r.fail("unknown fetch item")
    if name in ("BODY", "BODY.PEEK"):
        section = _section(r)
        return FetchBody(section, name == "BODY.PEEK", False, _partial(r))
    if name in ("BINARY", "BINARY.PEEK"):
        part = _binary_part(r)
        return FetchBody(Section(part), name == "BINARY.PEEK", True, _partial(r))
    if name == "BINARY.SIZE":
        return FetchBinarySize(_binary_part(r))
    r.fail("unknown fetch item")


def _section(r: Reader) -> Section:
    """``"[" [section-part ["." section-text] / section-msgtext] "]"``."""
    r.expect(b"[", '"["')
    part: list[int] = []
    text = None
    fields: tuple[str, ...] = ()
    if r.take(b"]"):
        return Section()
    if r.peek().isdigit():
        part.append(r.nz_number(MAX_NUMBER, "a part number"))
        while r.take(b"."):
            if not r.peek().isdigit():
                text = _section_text(r, bool(part))
                break
            part.append(r.nz_number(MAX_NUMBER, "a part number"))
    else:
        text = _section_text(r, False)
    if text in ("HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        r.sp()
        fields = tuple(r.paren(lambda: r.astring_text("a header field name").upper()))
    r.expect(b"]", '"]"')
    return Section(tuple(part), text, fields)


def _section_text(r: Reader, after_part: bool) -> str:
    m = _SECTION_TEXT.match(r.data, r.pos)
    text = m.group().decode("ascii").upper() if m else ""
    if text not in SECTION_TEXTS or (text == "MIME" and not after_part):
        r.fail("invalid section")
    r.pos = m.end() if m else r.pos
    return text


def _binary_part(r: Reader) -> tuple[int, ...]:
    """RFC 3516 section-binary: ``"[" [nz-number *("." nz-number)] "]"``."""
    r.expect(b"[", '"["')
    part: list[int] = []
    if not r.take(b"]"):
        part.append(r.nz_number(MAX_NUMBER, "a part number"))
        while r.take(b"."):
            part.append(r.nz_number(MAX_NUMBER, "a part number"))
        r.expect(b"]", '"]"')
    return tuple(part)


def _partial(r: Reader) -> tuple[int, int] | None:
    """``"<" number64 "." nz-number64 ">"``."""
    if not r.take(b"<"):
        return None
    offset = r.number(MAX_NUMBER64, "a partial offset")
    r.expect(b".", '"."')
    length = r.nz_number(MAX_NUMBER64, "a partial length")
    r.expect(b">", '">"')
    return (offset, length)


def fetch_modifiers(r: Reader, uid: bool) -> tuple[int, bool]:
    """RFC 7162: ``(CHANGEDSINCE mod-sequence [SP VANISHED])`` in either order.

    Returns (changedsince, vanished). VANISHED is only valid in UID FETCH and
    only together with CHANGEDSINCE (RFC 7162 3.2.6): anything else is a BAD.
    Whether QRESYNC is enabled is the session's check.
    """
    changedsince: int | None = None
    vanished = False

    def modifier() -> None:
        nonlocal changedsince, vanished
        if r.try_keyword("VANISHED"):
            if vanished:
                r.fail("VANISHED FETCH modifier given twice")
            vanished = True
            return
        if not r.try_keyword("CHANGEDSINCE"):
            r.fail("unsupported FETCH modifier")
        if changedsince is not None:
            r.fail("CHANGEDSINCE FETCH modifier given twice")
        r.sp()
        # RFC 7162 asks for a non-zero value, but clients send 0 to mean "all".
        changedsince = r.number(MAX_NUMBER64, "a mod-sequence")

    r.paren(modifier)
    if vanished and not uid:
        r.fail("the VANISHED FETCH modifier is only allowed in UID FETCH")
    if changedsince is None:
        r.fail("the VANISHED FETCH modifier needs CHANGEDSINCE")
    return changedsince, vanished


__all__ = [
    "MACROS",
    "SECTION_TEXTS",
    "SIMPLE_ITEMS",
    "fetch_item",
    "fetch_items",
    "fetch_modifiers",
]
