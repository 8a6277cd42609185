"""Parser for SEARCH and its keys (RFC 9051 6.4.4, RFC 3501 6.4.4, RFC 4731, RFC 7162).

``SEARCH [RETURN (opts)] [CHARSET name] key *(SP key)`` becomes a ``Search``
whose ``criteria`` is one ``SearchKey("AND", keys)``. Keys are read from one
table (name -> argument kinds) rather than an if-chain.

Rules: a parenthesized list is an AND; a bare sequence set (or ``$``) is a
``SEQSET`` key; MODSEQ's optional entry name and type are read and dropped.
String arguments are decoded with the declared charset: UTF-8 for none,
UTF-8 and US-ASCII, Latin-1 (a lossless byte mapping) for any other, so the
session can still answer ``NO [BADCHARSET]`` or support that charset itself.
"""

from __future__ import annotations

from collections.abc import Callable

from roost.protocol.commands import Search, SearchKey
from roost.protocol.parser_core import MAX_NUMBER64, Reader

RETURN_OPTIONS = frozenset({"MIN", "MAX", "ALL", "COUNT", "SAVE"})
UNICODE_CHARSETS = frozenset({"UTF-8", "US-ASCII"})

# name -> argument kinds: "str" astring, "atom" flag-keyword, "date", "n64" number64,
# "set" sequence-set, "key" a nested search key.
SEARCH_KEYS: dict[str, tuple[str, ...]] = {
    **{
        name: ()
        for name in (
            "ALL", "ANSWERED", "DELETED", "DRAFT", "FLAGGED", "SEEN", "UNANSWERED",
            "UNDELETED", "UNDRAFT", "UNFLAGGED", "UNSEEN", "NEW", "OLD", "RECENT",
        )
    },
    **{name: ("str",) for name in ("BCC", "CC", "FROM", "SUBJECT", "TO", "BODY", "TEXT")},
    **{name: ("atom",) for name in ("KEYWORD", "UNKEYWORD")},
    **{
        name: ("date",)
        for name in ("BEFORE", "ON", "SINCE", "SENTBEFORE", "SENTON", "SENTSINCE")
    },
    "LARGER": ("n64",),
    "SMALLER": ("n64",),
    "HEADER": ("str", "str"),
    "UID": ("set",),
    "NOT": ("key",),
    "OR": ("key", "key"),
    "MODSEQ": ("modseq",),
}  # fmt: skip


def charset_codec(charset: str | None) -> str:
    """The codec for search strings written under ``charset`` (see module rules)."""
    return "utf-8" if charset is None or charset in UNICODE_CHARSETS else "latin-1"


def parse_search(r: Reader, tag: str, uid: bool = False) -> Search:
    r.sp()
    returns = None
    if r.try_keyword("RETURN"):
        r.sp()
        returns = tuple(r.paren(lambda: _return_option(r), allow_empty=True))
        r.sp()
    charset = None
    if r.try_keyword("CHARSET"):
        r.sp()
        charset = _charset(r)
        r.sp()
    codec = charset_codec(charset)
    keys = r.space_separated(lambda: search_key(r, codec, 0))
    r.end()
    return Search(tag, SearchKey("AND", tuple(keys)), charset, returns, uid)


def _return_option(r: Reader) -> str:
    name = r.keyword("a RETURN option")
    if name not in RETURN_OPTIONS:
        r.fail("unsupported RETURN option")
    return name


def _charset(r: Reader) -> str:
    """``charset = atom / quoted``, upper-cased (charset names are case-insensitive)."""
    raw = r.quoted() if r.peek() == b'"' else r.atom("a charset").encode("ascii")
    try:
        return raw.decode("ascii").upper()
    except UnicodeDecodeError:
        r.fail("invalid charset name")


# Nesting is bounded so that a hostile "NOT NOT NOT ..." cannot exhaust the stack.
MAX_DEPTH = 100


def search_key(r: Reader, codec: str, depth: int) -> SearchKey:
    if depth > MAX_DEPTH:
        r.fail("search keys nested too deeply")
    nxt = r.peek()
    if nxt == b"(":
        return SearchKey("AND", tuple(r.paren(lambda: search_key(r, codec, depth + 1))))
    if nxt.isdigit() or nxt in (b"*", b"$"):
        return SearchKey("SEQSET", (r.sequence_set(),))
    name = r.keyword("a search key")
    kinds = SEARCH_KEYS.get(name)
    if kinds is None:
        r.fail("unknown search key")
    args = []
    for kind in kinds:
        r.sp()
        args.append(_ARGUMENTS[kind](r, codec, depth))
    return SearchKey(name, tuple(args))


def _modseq(r: Reader, codec: str, depth: int) -> int:
    """RFC 7162: ``MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer``."""
    if r.peek() == b'"':
        entry = r.quoted()
        if not entry.startswith(b"/flags/"):
            r.fail("invalid MODSEQ entry name")
        r.sp()
        if r.keyword("an entry type") not in ("PRIV", "SHARED", "ALL"):
            r.fail("invalid MODSEQ entry type")
        r.sp()
    return r.number(MAX_NUMBER64, "a mod-sequence")


_ARGUMENTS: dict[str, Callable[[Reader, str, int], object]] = {
    "str": lambda r, codec, depth: r.text(r.astring(), "search string", codec),
    "atom": lambda r, codec, depth: r.atom("a keyword"),
    "date": lambda r, codec, depth: r.date(),
    "n64": lambda r, codec, depth: r.number(MAX_NUMBER64),
    "set": lambda r, codec, depth: r.sequence_set(),
    "key": lambda r, codec, depth: search_key(r, codec, depth + 1),
    "modseq": _modseq,
}

__all__ = ["RETURN_OPTIONS", "SEARCH_KEYS", "charset_codec", "parse_search"]
