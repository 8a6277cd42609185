"""Parsers for the selected-state message commands (RFC 9051 section 6.4).

FETCH, STORE (RFC 7162 UNCHANGEDSINCE), COPY, MOVE (RFC 6851), EXPUNGE and the
UID prefix (UID FETCH / STORE / COPY / MOVE / SEARCH / EXPUNGE). SEARCH itself
lives in ``parser_search``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from roost.protocol.commands import Command, Copy, Expunge, Fetch, Move, Store
from roost.protocol.parser_core import MAX_NUMBER64, Reader
from roost.protocol.parser_fetch import fetch_items, fetch_modifiers
from roost.protocol.parser_search import parse_search

_STORE_ITEM = re.compile(rb"([+-]?)FLAGS(\.SILENT)?(?=[ ]|$)", re.IGNORECASE)


def parse_fetch(r: Reader, tag: str, uid: bool = False) -> Fetch:
    r.sp()
    sequence = r.sequence_set()
    r.sp()
    items = fetch_items(r)
    changedsince, vanished = None, False
    if r.take(b" "):
        changedsince, vanished = fetch_modifiers(r, uid)
    r.end()
    return Fetch(tag, sequence, items, uid, changedsince, vanished)


def parse_store(r: Reader, tag: str, uid: bool = False) -> Store:
    """``STORE set [SP (UNCHANGEDSINCE n)] SP [+|-]FLAGS[.SILENT] SP (flag-list | flags)``."""
    r.sp()
    sequence = r.sequence_set()
    r.sp()
    unchangedsince = None
    if r.peek() == b"(":
        unchangedsince = _store_modifiers(r)
        r.sp()
    m = _STORE_ITEM.match(r.data, r.pos)
    if m is None:
        r.fail("expected FLAGS, +FLAGS or -FLAGS")
    r.pos = m.end()
    r.sp()
    flags = r.flag_list() if r.peek() == b"(" else r.space_separated(r.flag)
    r.end()
    mode = m.group(1).decode("ascii")
    return Store(tag, sequence, mode, bool(m.group(2)), tuple(flags), uid, unchangedsince)


def _store_modifiers(r: Reader) -> int:
    """RFC 7162: ``(UNCHANGEDSINCE mod-sequence-valzer)``."""

    def modifier() -> int:
        if not r.try_keyword("UNCHANGEDSINCE"):
            r.fail("unsupported STORE modifier")
        r.sp()
        return r.number(MAX_NUMBER64, "a mod-sequence")

    return r.paren(modifier)[-1]


def parse_copy(r: Reader, tag: str, uid: bool = False) -> Copy:
    r.sp()
    sequence = r.sequence_set()
    r.sp()
    mailbox = r.mailbox()
    r.end()
    return Copy(tag, sequence, mailbox, uid)


def parse_move(r: Reader, tag: str, uid: bool = False) -> Move:
    copy = parse_copy(r, tag, uid)
    return Move(tag, copy.sequence, copy.mailbox, uid)


def parse_expunge(r: Reader, tag: str) -> Expunge:
    r.end()
    return Expunge(tag)


def parse_uid_expunge(r: Reader, tag: str, uid: bool = True) -> Expunge:
    """RFC 9051 6.4.9 (RFC 4315): ``UID EXPUNGE set``."""
    r.sp()
    uids = r.sequence_set()
    r.end()
    return Expunge(tag, uids)


_UID_COMMANDS: dict[str, Callable[[Reader, str, bool], Command]] = {
    "FETCH": parse_fetch,
    "STORE": parse_store,
    "COPY": parse_copy,
    "MOVE": parse_move,
    "SEARCH": parse_search,
    "EXPUNGE": parse_uid_expunge,
}


def parse_uid(r: Reader, tag: str) -> Command:
    r.sp()
    name = r.keyword("a UID command")
    parser = _UID_COMMANDS.get(name)
    if parser is None:
        r.fail("unknown UID command")
    return parser(r, tag, True)


MESSAGE_COMMANDS: dict[str, Callable[[Reader, str], Command]] = {
    "FETCH": parse_fetch,
    "STORE": parse_store,
    "COPY": parse_copy,
    "MOVE": parse_move,
    "SEARCH": parse_search,
    "EXPUNGE": parse_expunge,
    "UID": parse_uid,
}

__all__ = ["MESSAGE_COMMANDS"]
