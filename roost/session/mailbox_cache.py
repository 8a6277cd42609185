"""Big mailboxes' message lists kept in memory, shared by the sessions that select them.

Responsibility: a SELECT needs every UID of the mailbox and its flags. For a
big mailbox (100,000 messages) loading them is most of the cost of SELECT, and
clients select the same mailbox again and again. This cache keeps each big
mailbox's table as of a HIGHESTMODSEQ and brings it up to date with
``store.changes_since`` (one indexed query) whenever a view is opened, so a
SELECT costs a copy, not a load.

Rules:
- ``snapshot`` returns a consistent (highestmodseq, uids, flags) of one moment:
  the entry after applying every change up to the HIGHESTMODSEQ that
  ``changes_since`` reported. The caller gets its own copies to change.
- With them comes the messages' ``FlagClasses`` (``roost.session.flag_classes``),
  kept in step with ``uids`` and ``flags``; None when the mailbox has too many
  distinct flag sets (tried again once its flags have changed).
- Mailboxes under ``MIN_MESSAGES`` are not cached (they load fast anyway);
  the cached messages are bounded by ``MAX_MESSAGES``, least recently used
  mailboxes dropped first.
- Entries are per store (weakly held) and mailbox id; ids are never reused,
  and a mailbox that is gone makes ``changes_since`` raise, which drops it.
- Thread-safe: a lock for the table of entries, one per entry for its update,
  so sessions selecting one mailbox wait for one load instead of doing two.
"""

from __future__ import annotations

import threading
import weakref
from bisect import bisect_left
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import compress

from roost.session.flag_classes import FLIP, FlagClasses, uid_mask
from roost.storage.interface import Changes, MailStore, MessageFlags, StorageError

MIN_MESSAGES = 1_000
MAX_MESSAGES = 2_000_000


@dataclass
class _Entry:
    modseq: int = -1  # -1: not loaded yet
    uids: list[int] = field(default_factory=list)
    flags: dict[int, frozenset[str]] = field(default_factory=dict)
    keywords: set[str] = field(default_factory=set)  # grow-only, like the store's list
    lock: threading.Lock = field(default_factory=threading.Lock)
    classes: FlagClasses | None = None  # in step with uids and flags
    classes_tried: int = -1  # the modseq of the last failed build of ``classes``


@dataclass(frozen=True)
class Snapshot:
    highestmodseq: int
    uids: list[int]  # ascending; the caller's own copy
    flags: dict[int, frozenset[str]]  # the caller's own copy; equal sets shared
    keywords: frozenset[str]  # the keywords in those flags (perhaps a few more)
    classes: FlagClasses | None = None  # the caller's own copy; None: too many flag sets


class MailboxCache:
    def __init__(self, min_messages: int = MIN_MESSAGES, max_messages: int = MAX_MESSAGES) -> None:
        self.min_messages = min_messages
        self.max_messages = max_messages
        self._lock = threading.Lock()
        self._stores: weakref.WeakKeyDictionary[MailStore, OrderedDict[int, _Entry]] = (
            weakref.WeakKeyDictionary()
        )

    def snapshot(self, store: MailStore, mailbox_id: int) -> Snapshot:
        entry = self._entry(store, mailbox_id)
        if entry is None:
            loaded = _load(store, mailbox_id)
            if len(loaded.uids) >= self.min_messages:
                self._add(store, mailbox_id, loaded)
            return loaded
        with entry.lock:
            try:
                self._refresh(store, mailbox_id, entry)
            except StorageError:
                self._drop(store, mailbox_id)
                raise
            out = Snapshot(
                entry.modseq,
                list(entry.uids),
                entry.flags.copy(),
                frozenset(entry.keywords),
                _classes_of(entry),
            )
        if len(out.uids) < self.min_messages:
            self._drop(store, mailbox_id)  # shrank: not worth its memory any more
        return out

    def _entry(self, store: MailStore, mailbox_id: int) -> _Entry | None:
        with self._lock:
            boxes = self._stores.get(store)
            entry = boxes.get(mailbox_id) if boxes is not None else None
            if boxes is not None and entry is not None:
                boxes.move_to_end(mailbox_id)
            return entry

    def _add(self, store: MailStore, mailbox_id: int, loaded: Snapshot) -> None:
        entry = _Entry(
            loaded.highestmodseq,
            list(loaded.uids),
            loaded.flags.copy(),
            set(loaded.keywords),
            classes=loaded.classes.copy() if loaded.classes is not None else None,
            classes_tried=loaded.highestmodseq,
        )
        with self._lock:
            boxes = self._stores.setdefault(store, OrderedDict())
            boxes.setdefault(mailbox_id, entry)
            total = sum(len(e.uids) for e in boxes.values())
            while total > self.max_messages and len(boxes) > 1:
                _, oldest = boxes.popitem(last=False)
                total -= len(oldest.uids)

    def _refresh(self, store: MailStore, mailbox_id: int, entry: _Entry) -> None:
        if entry.modseq < 0:
            loaded = _load(store, mailbox_id)
            entry.modseq, entry.uids, entry.flags = loaded.highestmodseq, loaded.uids, loaded.flags
            entry.keywords = set(loaded.keywords)
            entry.classes, entry.classes_tried = loaded.classes, loaded.highestmodseq
            return
        changes = store.changes_since(mailbox_id, entry.modseq)
        if changes.expunged:
            _remove(entry, changes.expunged)
        if not _take_changes(entry, changes):  # cannot happen (UIDs ascend); reload to be safe
            entry.modseq = -1
            self._refresh(store, mailbox_id, entry)
            return
        entry.modseq = max(entry.modseq, changes.highestmodseq)

    def _drop(self, store: MailStore, mailbox_id: int) -> None:
        with self._lock:
            boxes = self._stores.get(store)
            if boxes is not None:
                boxes.pop(mailbox_id, None)


def _remove(entry: _Entry, expunged: list[int]) -> None:
    kept = uid_mask(entry.uids, set(expunged)).translate(FLIP)
    entry.uids = list(compress(entry.uids, kept))
    for uid in expunged:
        entry.flags.pop(uid, None)
    if entry.classes is not None:
        entry.classes.keep(kept)


def _take_changes(entry: _Entry, changes: Changes) -> bool:
    """Apply new and changed messages; False when a new UID is not the highest."""
    uids, flags = entry.uids, entry.flags
    last = uids[-1] if uids else 0
    for state in changes.changed:  # ascending by uid; new ones come after ``last``
        old = flags.get(state.uid)
        if old is None:
            if state.uid < last:
                return False
            uids.append(state.uid)
            last = state.uid
        flags[state.uid] = state.flags
        entry.keywords |= keywords_of(state.flags)
        classes = entry.classes
        if classes is not None and old != state.flags and not _classify(classes, uids, state):
            entry.classes = None  # too many distinct flag sets
    return True


def _classify(classes: FlagClasses, uids: list[int], state: MessageFlags) -> bool:
    """Give ``state`` its class: a new last message, or a changed one."""
    if len(classes) < len(uids):
        return classes.append(state.flags)
    return classes.put(bisect_left(uids, state.uid), state.flags)


def _classes_of(entry: _Entry) -> FlagClasses | None:
    """A copy of the entry's classes, built again if they were given up and the
    flags have changed since the last try."""
    if entry.classes is None and entry.classes_tried != entry.modseq:
        entry.classes = FlagClasses.build(list(map(entry.flags.__getitem__, entry.uids)))
        entry.classes_tried = entry.modseq
    return entry.classes.copy() if entry.classes is not None else None


def _load(store: MailStore, mailbox_id: int) -> Snapshot:
    table = store.flag_table(mailbox_id)
    keywords: set[str] = set()
    for flags in {id(f): f for f in table.flags}.values():  # each distinct set once
        keywords |= keywords_of(flags)
    return Snapshot(
        table.highestmodseq,
        list(table.uids),
        dict(zip(table.uids, table.flags, strict=True)),
        frozenset(keywords),
        FlagClasses.build(table.flags),
    )


def keywords_of(flags: frozenset[str]) -> set[str]:
    return {f for f in flags if not f.startswith("\\")}


CACHE = MailboxCache()
