"""Typed IMAP commands: one frozen dataclass per command (RFC 9051 section 6).

The parser (``roost.protocol.parser``) turns the bytes of one complete command
into exactly one of these; nothing after the parser reads raw bytes. The
encoder (``roost.protocol.command_encoder``) writes them back, and
``parse(encode(cmd)) == cmd`` holds for every command.

Conventions shared by every module:
- ``tag`` is the client's tag as text.
- Mailbox names are ``str`` exactly as the client sent them (UTF-8 decoded);
  modified UTF-7 decoding for rev1 clients is the session's job.
- Flags are ``str``; system flags are normalised to their canonical case
  (``\\Seen``, ``\\Answered``, ``\\Flagged``, ``\\Deleted``, ``\\Draft``, ``\\Recent``);
  keywords keep the client's spelling.
- Names of options, status items, fetch items and search keys are upper case.
- UID variants carry ``uid=True`` rather than being separate classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TypeAlias

SYSTEM_FLAGS = ("\\Seen", "\\Answered", "\\Flagged", "\\Deleted", "\\Draft", "\\Recent")


# ---------------------------------------------------------------- sequence sets


@dataclass(frozen=True, slots=True)
class SeqRange:
    """``start:end`` (or a single number when equal); ``None`` stands for ``*``."""

    start: int | None
    end: int | None


@dataclass(frozen=True, slots=True)
class SequenceSet:
    """A sequence-set (RFC 9051 section 9), or ``$`` (RFC 5182) when ``saved``."""

    ranges: tuple[SeqRange, ...] = ()
    saved: bool = False

    def resolve(self, largest: int) -> list[tuple[int, int]]:
        """Ranges as ascending (low, high) pairs with ``*`` replaced by ``largest``.

        Ranges written backwards (``5:2``) are normalised; callers intersect with
        what exists. ``saved`` sets are resolved by the session, not here.
        """
        out = []
        for r in self.ranges:
            a = largest if r.start is None else r.start
            b = largest if r.end is None else r.end
            out.append((min(a, b), max(a, b)))
        return out

    def contains(self, number: int, largest: int) -> bool:
        return any(lo <= number <= hi for lo, hi in self.resolve(largest))


# ---------------------------------------------------------------- fetch items


@dataclass(frozen=True, slots=True)
class Section:
    """A body section spec: ``1.2.HEADER.FIELDS (From To)``.

    ``part`` is the part path (empty for the whole message). ``text`` is one of
    None, "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT", "TEXT", "MIME".
    ``fields`` are the header field names (upper-cased) for the HEADER.FIELDS forms.
    """

    part: tuple[int, ...] = ()
    text: str | None = None
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FetchBody:
    """``BODY[section]<partial>``, ``BODY.PEEK[...]``, ``BINARY[...]``, ``BINARY.PEEK[...]``.

    ``partial`` is (offset, length) or None. For BINARY the section has no ``text``.
    """

    section: Section = Section()
    peek: bool = False
    binary: bool = False
    partial: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class FetchBinarySize:
    """``BINARY.SIZE[part]``."""

    part: tuple[int, ...] = ()


# Simple fetch attributes are upper-case strings:
# "FLAGS", "INTERNALDATE", "RFC822.SIZE", "ENVELOPE", "BODY", "BODYSTRUCTURE",
# "UID", "MODSEQ", "RFC822", "RFC822.HEADER", "RFC822.TEXT".
# Macros ALL / FAST / FULL are expanded by the parser (RFC 9051 section 6.4.5).
FetchAttr: TypeAlias = str | FetchBody | FetchBinarySize


# ---------------------------------------------------------------- search keys


@dataclass(frozen=True, slots=True)
class SearchKey:
    """One search key (RFC 9051 section 6.4.4, RFC 3501 section 6.4.4, RFC 7162).

    ``name`` is upper case; ``args`` depend on it:
    - no args: ALL ANSWERED DELETED DRAFT FLAGGED SEEN UNANSWERED UNDELETED UNDRAFT
      UNFLAGGED UNSEEN NEW OLD RECENT
    - (str,): KEYWORD UNKEYWORD BCC CC FROM SUBJECT TO BODY TEXT
    - (str, str): HEADER (field-name, value)
    - (date,): BEFORE ON SINCE SENTBEFORE SENTON SENTSINCE
    - (int,): LARGER SMALLER MODSEQ (MODSEQ's optional entry-name/type are dropped)
    - (SequenceSet,): UID, and SEQSET for a bare sequence set as a key
    - (SearchKey,): NOT
    - (SearchKey, SearchKey): OR
    - (SearchKey, ...): AND for a parenthesized list (and for the top level)
    """

    name: str
    args: tuple[object, ...] = ()


# ---------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class Command:
    tag: str


@dataclass(frozen=True, slots=True)
class Capability(Command):
    pass


@dataclass(frozen=True, slots=True)
class Noop(Command):
    pass


@dataclass(frozen=True, slots=True)
class Logout(Command):
    pass


@dataclass(frozen=True, slots=True)
class Id(Command):
    """RFC 2971: ``ID NIL`` gives ``params=None``."""

    params: tuple[tuple[str, str | None], ...] | None = None


@dataclass(frozen=True, slots=True)
class StartTLS(Command):
    pass


@dataclass(frozen=True, slots=True)
class Authenticate(Command):
    """``AUTHENTICATE mech [initial-response]`` (SASL-IR, RFC 4959).

    ``initial_response`` is the base64 text as sent ("=" for an empty one) or None.
    """

    mechanism: str = ""
    initial_response: str | None = None


@dataclass(frozen=True, slots=True)
class Login(Command):
    username: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class Enable(Command):
    capabilities: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Compress(Command):
    """COMPRESS (RFC 4978): ``mechanism`` upper case; only DEFLATE is defined."""

    mechanism: str = ""


@dataclass(frozen=True, slots=True)
class QresyncParams:
    """The ``QRESYNC (uidvalidity modseq [known-uids] [(seqs uids)])`` parameter (RFC 7162 3.2.5).

    ``known_uids`` and the seq-match-data pair (``match_seqs``, ``match_uids``)
    are None when absent; none of these sets holds ``*`` (the grammar forbids it).
    """

    uidvalidity: int
    modseq: int
    known_uids: SequenceSet | None = None
    match_seqs: SequenceSet | None = None
    match_uids: SequenceSet | None = None


@dataclass(frozen=True, slots=True)
class Select(Command):
    """SELECT, or EXAMINE when ``readonly``. ``condstore`` is the (CONDSTORE) parameter,
    ``qresync`` the QRESYNC one (RFC 7162)."""

    mailbox: str = ""
    readonly: bool = False
    condstore: bool = False
    qresync: QresyncParams | None = None


@dataclass(frozen=True, slots=True)
class Create(Command):
    """CREATE, with RFC 6154 ``(USE (\\Sent ...))``."""

    mailbox: str = ""
    special_use: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Delete(Command):
    mailbox: str = ""


@dataclass(frozen=True, slots=True)
class Rename(Command):
    mailbox: str = ""
    new_name: str = ""


@dataclass(frozen=True, slots=True)
class Subscribe(Command):
    mailbox: str = ""


@dataclass(frozen=True, slots=True)
class Unsubscribe(Command):
    mailbox: str = ""


@dataclass(frozen=True, slots=True)
class List(Command):
    """LIST with RFC 5258 / RFC 9051 extended options.

    ``selection``: upper-case options among SUBSCRIBED REMOTE RECURSIVEMATCH SPECIAL-USE.
    ``returns``: among SUBSCRIBED CHILDREN SPECIAL-USE STATUS; when STATUS is
    present its items are in ``status_items``.
    """

    reference: str = ""
    patterns: tuple[str, ...] = ()
    selection: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    status_items: tuple[str, ...] = ()
    extended: bool = False  # written with selection options, several patterns or RETURN


@dataclass(frozen=True, slots=True)
class Lsub(Command):
    reference: str = ""
    pattern: str = ""


@dataclass(frozen=True, slots=True)
class Namespace(Command):
    pass


@dataclass(frozen=True, slots=True)
class Status(Command):
    """Items among MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ."""

    mailbox: str = ""
    items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AppendMessage:
    flags: tuple[str, ...] = ()
    internaldate: datetime | None = None  # timezone-aware
    data: bytes = b""
    binary: bool = False  # sent as literal8 ~{n}
    utf8: bool = False  # sent as UTF8 (~{n}) (RFC 6855)


@dataclass(frozen=True, slots=True)
class Append(Command):
    """APPEND, with MULTIAPPEND (RFC 3502): one or more messages."""

    mailbox: str = ""
    messages: tuple[AppendMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class Idle(Command):
    pass


@dataclass(frozen=True, slots=True)
class Check(Command):
    pass


@dataclass(frozen=True, slots=True)
class Close(Command):
    pass


@dataclass(frozen=True, slots=True)
class Unselect(Command):
    pass


@dataclass(frozen=True, slots=True)
class Expunge(Command):
    """EXPUNGE, or UID EXPUNGE (RFC 4315 / RFC 9051) when ``uids`` is set."""

    uids: SequenceSet | None = None


@dataclass(frozen=True, slots=True)
class Search(Command):
    """SEARCH / UID SEARCH.

    ``returns`` is None for a plain SEARCH and a tuple (maybe empty) when
    ``RETURN (...)`` was given: among MIN MAX ALL COUNT SAVE.
    ``criteria`` is a single AND key of the top-level keys.
    """

    criteria: SearchKey = SearchKey("AND")
    charset: str | None = None
    returns: tuple[str, ...] | None = None
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Fetch(Command):
    """FETCH / UID FETCH. ``changedsince`` is the CONDSTORE modifier and
    ``vanished`` the QRESYNC one (UID FETCH with CHANGEDSINCE only), RFC 7162."""

    sequence: SequenceSet = SequenceSet()
    attributes: tuple[FetchAttr, ...] = ()
    uid: bool = False
    changedsince: int | None = None
    vanished: bool = False


@dataclass(frozen=True, slots=True)
class Store(Command):
    """STORE / UID STORE. ``mode`` is "+", "-" or "" (replace)."""

    sequence: SequenceSet = SequenceSet()
    mode: str = ""
    silent: bool = False
    flags: tuple[str, ...] = ()
    uid: bool = False
    unchangedsince: int | None = None


@dataclass(frozen=True, slots=True)
class Copy(Command):
    sequence: SequenceSet = SequenceSet()
    mailbox: str = ""
    uid: bool = False


@dataclass(frozen=True, slots=True)
class Move(Command):
    sequence: SequenceSet = SequenceSet()
    mailbox: str = ""
    uid: bool = False


@dataclass(frozen=True, slots=True)
class NotifyEvent:
    """One event of a NOTIFY event group (RFC 5465 section 5).

    ``name`` is canonical (``MessageNew``, ``FlagChange`` ...) when the event is
    one RFC 5465 defines, else as the client wrote it (the session answers
    BADEVENT). ``fetch_atts`` is MessageNew's optional fetch-att list.
    """

    name: str
    fetch_atts: tuple[FetchAttr, ...] = ()


@dataclass(frozen=True, slots=True)
class NotifyGroup:
    """``(filter-mailboxes events)``: ``filter`` is SELECTED, SELECTED-DELAYED,
    INBOXES, PERSONAL, SUBSCRIBED, SUBTREE or MAILBOXES (upper case);
    ``mailboxes`` are the names of SUBTREE / MAILBOXES; no ``events`` is NONE."""

    filter: str
    mailboxes: tuple[str, ...] = ()
    events: tuple[NotifyEvent, ...] = ()


@dataclass(frozen=True, slots=True)
class Notify(Command):
    """NOTIFY (RFC 5465): ``groups`` None is NOTIFY NONE; ``status`` the STATUS indicator."""

    groups: tuple[NotifyGroup, ...] | None = None
    status: bool = False


@dataclass(frozen=True, slots=True)
class Done:
    """The ``DONE`` line that ends IDLE (not a tagged command)."""


__all__ = [
    "SYSTEM_FLAGS",
    "Append",
    "AppendMessage",
    "Authenticate",
    "Capability",
    "Check",
    "Close",
    "Command",
    "Compress",
    "Copy",
    "Create",
    "Delete",
    "Done",
    "Enable",
    "Expunge",
    "Fetch",
    "FetchAttr",
    "FetchBinarySize",
    "FetchBody",
    "Id",
    "Idle",
    "List",
    "Login",
    "Logout",
    "Lsub",
    "Move",
    "Namespace",
    "Noop",
    "Notify",
    "NotifyEvent",
    "NotifyGroup",
    "QresyncParams",
    "Rename",
    "Search",
    "SearchKey",
    "Section",
    "Select",
    "SeqRange",
    "SequenceSet",
    "StartTLS",
    "Status",
    "Store",
    "Subscribe",
    "Unselect",
    "Unsubscribe",
    "date",
]
