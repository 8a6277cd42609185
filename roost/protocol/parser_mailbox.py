"""Parsers for the mailbox commands (RFC 9051 section 6.3).

SELECT / EXAMINE (with the RFC 7162 ``(CONDSTORE)`` and ``(QRESYNC (...))``
parameters), CREATE (with the RFC 6154 ``(USE (...))`` parameter), DELETE,
RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST (basic and RFC 5258 / RFC 9051 extended),
LSUB and STATUS.

Rules: option names are upper-cased; options this server does not implement
are a BAD, as RFC 4466 and RFC 5258 require for unrecognised parameters.
"""

from __future__ import annotations

from collections.abc import Callable

from roost.protocol.commands import (
    Command,
    Create,
    Delete,
    List,
    Lsub,
    QresyncParams,
    Rename,
    Select,
    SequenceSet,
    Status,
    Subscribe,
    Unsubscribe,
)
from roost.protocol.parser_core import MAX_NUMBER, MAX_NUMBER64, Reader

STATUS_ITEMS = frozenset(
    {"MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "DELETED", "SIZE", "RECENT", "HIGHESTMODSEQ"}
)
LIST_SELECTION = frozenset({"SUBSCRIBED", "REMOTE", "RECURSIVEMATCH", "SPECIAL-USE"})
LIST_RETURNS = frozenset({"SUBSCRIBED", "CHILDREN", "SPECIAL-USE", "STATUS"})
# RFC 6154 use-attr; other "\" names are kept as sent (the session answers NO [USEATTR]).
USE_ATTRS = {
    a.upper(): a
    for a in ("\\All", "\\Archive", "\\Drafts", "\\Flagged", "\\Junk", "\\Sent", "\\Trash")
}


def parse_select(r: Reader, tag: str, readonly: bool) -> Select:
    """RFC 9051 6.3.2 / 6.3.3; RFC 4466 select-params; RFC 7162 CONDSTORE and QRESYNC."""
    r.sp()
    mailbox = r.mailbox()
    condstore = False
    qresync: QresyncParams | None = None
    if r.take(b" "):
        for param in r.paren(lambda: _select_param(r)):
            if param is None:
                condstore = True
            elif qresync is not None:
                r.fail("QRESYNC SELECT parameter given twice")
            else:
                qresync = param
    r.end()
    return Select(tag, mailbox, readonly, condstore, qresync)


def _select_param(r: Reader) -> QresyncParams | None:
    """``CONDSTORE`` (None) or ``QRESYNC (uidvalidity modseq [known-uids] [seq-match-data])``."""
    name = r.keyword("a SELECT parameter")
    if name == "CONDSTORE":
        return None
    if name != "QRESYNC":
        r.fail("unsupported SELECT parameter")
    r.sp()
    r.expect(b"(", '"("')
    uidvalidity = r.nz_number(MAX_NUMBER, "a UIDVALIDITY")
    r.sp()
    modseq = r.number(MAX_NUMBER64, "a mod-sequence")
    known = seqs = uids = None
    if r.take(b" "):
        if r.peek() != b"(":
            known = _known_set(r)
            if r.take(b" "):
                seqs, uids = _seq_match_data(r)
        else:
            seqs, uids = _seq_match_data(r)
    r.expect(b")", '")"')
    return QresyncParams(uidvalidity, modseq, known, seqs, uids)


def _seq_match_data(r: Reader) -> tuple[SequenceSet, SequenceSet]:
    """``"(" known-sequence-set SP known-uid-set ")"`` (RFC 7162 section 7)."""
    r.expect(b"(", '"("')
    seqs = _known_set(r)
    r.sp()
    uids = _known_set(r)
    r.expect(b")", '")"')
    return seqs, uids


def _known_set(r: Reader) -> SequenceSet:
    """A QRESYNC sequence-set: "*" and "$" are not allowed (RFC 7162 section 7)."""
    if r.peek() == b"$":
        r.fail("$ is not allowed in QRESYNC parameters")
    seqset = r.sequence_set()
    if any(rng.start is None or rng.end is None for rng in seqset.ranges):
        r.fail("* is not allowed in QRESYNC parameters")
    return seqset


def parse_create(r: Reader, tag: str) -> Create:
    """RFC 9051 6.3.4 with RFC 6154 section 3: ``CREATE name (USE (\\Drafts))``."""
    r.sp()
    mailbox = r.mailbox()
    use: tuple[str, ...] = ()
    if r.take(b" "):
        r.expect(b"(", '"("')
        if not r.try_keyword("USE"):
            r.fail("unsupported CREATE parameter")
        r.sp()
        use = tuple(r.paren(lambda: _use_attr(r), allow_empty=True))
        r.expect(b")", '")"')
    r.end()
    return Create(tag, mailbox, use)


def _use_attr(r: Reader) -> str:
    r.expect(b"\\", "a special-use attribute")
    name = "\\" + r.atom("a special-use attribute")
    return USE_ATTRS.get(name.upper(), name)


def _one_mailbox(cls: type[Command]) -> Callable[[Reader, str], Command]:
    def parse(r: Reader, tag: str) -> Command:
        r.sp()
        mailbox = r.mailbox()
        r.end()
        return cls(tag, mailbox)  # type: ignore[call-arg]

    return parse


def parse_rename(r: Reader, tag: str) -> Rename:
    r.sp()
    old = r.mailbox()
    r.sp()
    new = r.mailbox()
    r.end()
    return Rename(tag, old, new)


def parse_list(r: Reader, tag: str) -> List:
    """RFC 9051 6.3.9: ``LIST [SP (opts)] SP ref SP (pattern | (patterns)) [SP RETURN (...)]``."""
    r.sp()
    extended = False
    selection: tuple[str, ...] = ()
    if r.peek() == b"(":
        extended = True
        selection = tuple(r.paren(lambda: _option(r, LIST_SELECTION), allow_empty=True))
        if "RECURSIVEMATCH" in selection and set(selection) <= {"RECURSIVEMATCH", "REMOTE"}:
            r.fail("RECURSIVEMATCH needs another selection option")  # RFC 5258 section 3
        r.sp()
    reference = r.mailbox()
    r.sp()
    if r.peek() == b"(":
        extended = True
        patterns = tuple(r.paren(r.list_mailbox))
    else:
        patterns = (r.list_mailbox(),)
    returns: tuple[str, ...] = ()
    status_items: tuple[str, ...] = ()
    if r.take(b" "):
        extended = True
        returns, status_items = _list_returns(r)
    r.end()
    return List(tag, reference, patterns, selection, returns, status_items, extended)


def _option(r: Reader, known: frozenset[str]) -> str:
    name = r.keyword("an option")
    if name not in known:
        r.fail("unsupported option")
    return name


def _list_returns(r: Reader) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if not r.try_keyword("RETURN"):
        r.fail("expected RETURN")
    r.sp()
    status_items: list[str] = []

    def option() -> str:
        name = _option(r, LIST_RETURNS)
        if name == "STATUS":  # RFC 5819: STATUS (items)
            r.sp()
            status_items.extend(_status_items(r))
        return name

    returns = tuple(r.paren(option, allow_empty=True))
    return returns, tuple(status_items)


def _status_items(r: Reader) -> list[str]:
    return r.paren(lambda: _option(r, STATUS_ITEMS))


def parse_lsub(r: Reader, tag: str) -> Lsub:
    r.sp()
    reference = r.mailbox()
    r.sp()
    pattern = r.list_mailbox()
    r.end()
    return Lsub(tag, reference, pattern)


def parse_status(r: Reader, tag: str) -> Status:
    r.sp()
    mailbox = r.mailbox()
    r.sp()
    items = _status_items(r)
    r.end()
    return Status(tag, mailbox, tuple(items))


MAILBOX_COMMANDS: dict[str, Callable[[Reader, str], Command]] = {
    "SELECT": lambda r, tag: parse_select(r, tag, False),
    "EXAMINE": lambda r, tag: parse_select(r, tag, True),
    "CREATE": parse_create,
    "DELETE": _one_mailbox(Delete),
    "RENAME": parse_rename,
    "SUBSCRIBE": _one_mailbox(Subscribe),
    "UNSUBSCRIBE": _one_mailbox(Unsubscribe),
    "LIST": parse_list,
    "LSUB": parse_lsub,
    "STATUS": parse_status,
}

__all__ = ["LIST_RETURNS", "LIST_SELECTION", "MAILBOX_COMMANDS", "STATUS_ITEMS", "USE_ATTRS"]
