"""The storage interface every backend implements, its records and its one error type.

Rules:
- The API is synchronous and thread-safe: the server calls it from worker
  threads (several at once). A backend serialises its writes itself.
- Every call that changes a mailbox commits durably before it returns
  (a client that saw OK must never lose the change: fsync / synchronous=FULL).
- Every change to a mailbox (append, flag change, expunge) gets the next value
  of that mailbox's MODSEQ counter, which only ever grows. Expunged UIDs are kept
  with the MODSEQ of their expunge, so any session can be brought up to date
  with ``changes_since`` (and QRESYNC can answer VANISHED later).
- UIDs in a mailbox are strictly ascending and never reused; a mailbox deleted
  and created again gets a new UIDVALIDITY.
- After each committed change the backend calls every listener registered with
  ``add_listener`` with (user_id, mailbox_id) — from the thread that made the
  change. The server uses this to wake IDLE and NOTIFY sessions. Creating,
  deleting and renaming mailboxes report the mailboxes concerned; a change to
  the subscriptions (which are names, not mailboxes) reports mailbox_id 0.
- Errors are ``StorageError`` with a ``StorageErrorKind``; the command layer maps
  kinds to response codes in one place. Messages never reveal other users' data.
- Mailbox names are full UTF-8 names with "/" as the hierarchy delimiter; "INBOX"
  is stored as exactly "INBOX" (callers normalise its case before calling).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from roost.protocol.commands import SearchKey

DELIMITER = "/"


class StorageErrorKind(enum.Enum):
    NONEXISTENT = "NONEXISTENT"  # no such mailbox / user
    ALREADYEXISTS = "ALREADYEXISTS"
    HASCHILDREN = "HASCHILDREN"
    CANNOT = "CANNOT"  # operation not allowed (e.g. delete INBOX)
    NOPERM = "NOPERM"
    OVERQUOTA = "OVERQUOTA"
    LIMIT = "LIMIT"
    TOOBIG = "TOOBIG"
    UNAVAILABLE = "UNAVAILABLE"  # temporary backend failure
    EXPUNGEISSUED = "EXPUNGEISSUED"
    SERVERBUG = "SERVERBUG"


class StorageError(Exception):
    def __init__(self, kind: StorageErrorKind, message: str = "") -> None:
        super().__init__(message or kind.value)
        self.kind = kind
        self.message = message or kind.value


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    password_hash: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class MailboxInfo:
    id: int
    name: str
    uidvalidity: int
    uidnext: int
    highestmodseq: int
    subscribed: bool
    special_use: tuple[str, ...] = ()  # e.g. ("\\Sent",)
    noselect: bool = False  # a placeholder kept for its children (RFC 9051 6.3.5)


@dataclass(frozen=True, slots=True)
class MailboxStatus:
    messages: int
    recent: int  # messages with uid >= first_recent_uid
    unseen: int
    deleted: int
    size: int  # sum of RFC822.SIZE
    uidnext: int
    uidvalidity: int
    highestmodseq: int


@dataclass(frozen=True, slots=True)
class MessageFlags:
    """A message's mutable state, as a selected view keeps it."""

    uid: int
    flags: frozenset[str]
    modseq: int


@dataclass(frozen=True, slots=True)
class FlagTable:
    """Every message of a mailbox with its flags, as of one snapshot (a view's start).

    Compact for big mailboxes: two parallel lists, no object per message; equal
    flag sets may be one shared frozenset.
    """

    highestmodseq: int  # the mailbox's HIGHESTMODSEQ in the same snapshot
    uids: list[int]  # ascending
    flags: list[frozenset[str]]  # flags[i] belongs to uids[i]


@dataclass(frozen=True, slots=True)
class MessageMeta:
    """What FETCH needs without reading the body.

    ``envelope``, ``body`` and ``bodystructure`` are the precomputed IMAP wire
    forms (see ``roost.mime``); ``structure`` is the JSON of the MIME part tree
    with byte offsets (``roost.mime.Part.to_json``).
    """

    uid: int
    flags: frozenset[str]
    modseq: int
    internaldate: datetime
    size: int
    envelope: bytes
    body: bytes
    bodystructure: bytes
    structure: str
    blob_id: str


@dataclass(frozen=True, slots=True)
class Changes:
    """What happened in a mailbox after a MODSEQ.

    ``changed`` holds messages added or whose flags changed (modseq > since),
    ascending by uid; ``expunged`` the UIDs expunged after ``since``, ascending.
    """

    highestmodseq: int
    changed: list[MessageFlags]
    expunged: list[int]


@dataclass(frozen=True, slots=True)
class AppendResult:
    uidvalidity: int
    uids: list[int]


@dataclass(frozen=True, slots=True)
class CopyResult:
    """For COPYUID: source and destination UIDs in matching order."""

    uidvalidity: int
    source_uids: list[int]
    dest_uids: list[int]


@dataclass(frozen=True, slots=True)
class NewMessage:
    data: bytes
    flags: frozenset[str] = frozenset()
    internaldate: datetime | None = None  # None: now


class Listener(Protocol):
    def __call__(self, user_id: int, mailbox_id: int) -> None: ...


class MailStore(Protocol):
    """One backend instance serves every user of the server."""

    # -- lifecycle
    def close(self) -> None: ...

    def add_listener(self, listener: Callable[[int, int], None]) -> None: ...

    # -- accounts (creating a user also creates INBOX, Drafts, Sent, Trash, Junk,
    #    Archive with their special-use attributes, all subscribed)
    def create_user(self, name: str, password_hash: str) -> User: ...
    def get_user(self, name: str) -> User | None: ...
    def list_users(self) -> list[User]: ...
    def set_password(self, name: str, password_hash: str) -> None: ...
    def delete_user(self, name: str) -> None: ...

    # -- mailboxes of one user
    def list_mailboxes(self, user_id: int) -> list[MailboxInfo]: ...
    def get_mailbox(self, user_id: int, name: str) -> MailboxInfo: ...  # NONEXISTENT
    def create_mailbox(
        self, user_id: int, name: str, special_use: Sequence[str] = ()
    ) -> MailboxInfo: ...  # ALREADYEXISTS; creates missing parents (RFC 9051 6.3.4)
    def delete_mailbox(self, user_id: int, name: str) -> None: ...
    # RFC 9051 6.3.5: deleting a mailbox that has children removes its messages
    # and keeps the name as a \Noselect placeholder (MailboxInfo.noselect);
    # deleting a \Noselect mailbox that has children is HASCHILDREN.
    def rename_mailbox(self, user_id: int, old: str, new: str) -> None: ...
    # renames children too; renaming INBOX moves its messages to a new mailbox
    # and leaves INBOX empty (RFC 9051 6.3.6)
    def set_subscribed(self, user_id: int, name: str, subscribed: bool) -> None: ...
    # subscriptions are names: subscribing a name that does not exist is allowed
    def list_subscriptions(self, user_id: int) -> list[str]: ...
    def status(self, mailbox_id: int) -> MailboxStatus: ...

    # -- messages
    def append(self, mailbox_id: int, messages: Sequence[NewMessage]) -> AppendResult: ...
    def message_flags(self, mailbox_id: int) -> list[MessageFlags]: ...  # ascending uid
    def flag_table(self, mailbox_id: int) -> FlagTable: ...  # the same, compactly
    def changes_since(self, mailbox_id: int, modseq: int) -> Changes: ...
    def fetch_meta(self, mailbox_id: int, uids: Iterable[int]) -> list[MessageMeta]: ...
    def read_message(self, blob_id: str) -> bytes: ...
    def read_head(self, blob_id: str) -> bytes: ...  # a prefix holding the whole top-level header
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads of this thread inside the block see one state of the store
        (a message expunged meanwhile can still be read); blocks may nest."""
        ...

    def store_flags(
        self,
        mailbox_id: int,
        uids: Iterable[int],
        mode: str,  # "+", "-" or "" (replace)
        flags: Iterable[str],
        unchangedsince: int | None = None,
    ) -> tuple[list[MessageFlags], list[int]]: ...
    # -> (messages whose flags changed, with their new modseq;
    #     uids that failed the UNCHANGEDSINCE test)
    def copy(self, mailbox_id: int, uids: Iterable[int], dest_mailbox_id: int) -> CopyResult: ...
    def move(self, mailbox_id: int, uids: Iterable[int], dest_mailbox_id: int) -> CopyResult: ...
    def expunge(self, mailbox_id: int, uids: Iterable[int] | None = None) -> list[int]: ...
    # removes messages flagged \Deleted (only among ``uids`` when given); returns them
    def take_recent(self, mailbox_id: int) -> int: ...
    # RFC 3501 \Recent: returns the first UID that is recent for this session and
    # moves the mailbox's recent floor to UIDNEXT, so no other session gets them.
    def keywords(self, mailbox_id: int) -> list[str]: ...  # keywords used in the mailbox
    def search(self, mailbox_id: int, key: SearchKey) -> list[tuple[int, int]] | None: ...

    # ascending (uid, modseq) of the messages that match ``key`` now, by the
    # reference evaluator's rules (``roost.search.evaluate``), or None when this
    # backend cannot answer that key (the caller then evaluates it itself). The
    # caller binds session-relative keys first: SEQSET, RECENT, NEW, OLD, "$"
    # and "*" give None.
